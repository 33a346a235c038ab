/**
 * Plain TypeScript SPECK primitives of the legacy protocol: the reference
 * the WebAssembly build is cross-checked against in tests, and the fallback
 * for benchmarks. u64 words are kept as (high, low) u32 pairs so no BigInt
 * is needed on the per-byte paths.
 *
 * ernd(x, y, k): x = ror(x, 8); x += y; x ^= k; y = rol(y, 3); y ^= x
 */
import { RefFrameCipher } from "./_ref-cipher.ts";
import { checkKey16, type LegacySuite } from "./suite.ts";

/** Working state: [xh, xl, yh, yl]. */
type State = Uint32Array;

function round(s: State, kh: number, kl: number): void {
  const xh0 = s[0] as number;
  const xl0 = s[1] as number;
  const yh = s[2] as number;
  const yl = s[3] as number;
  // x = ror(x, 8)
  const rh = ((xh0 >>> 8) | (xl0 << 24)) >>> 0;
  const rl = ((xl0 >>> 8) | (xh0 << 24)) >>> 0;
  // x += y
  const sl = (rl + yl) >>> 0;
  const sh = (rh + yh + (sl < rl ? 1 : 0)) >>> 0;
  // x ^= k
  const xh = (sh ^ kh) >>> 0;
  const xl = (sl ^ kl) >>> 0;
  // y = rol(y, 3) ^ x
  s[0] = xh;
  s[1] = xl;
  s[2] = (((yh << 3) | (yl >>> 29)) ^ xh) >>> 0;
  s[3] = (((yl << 3) | (yh >>> 29)) ^ xl) >>> 0;
}

const MASK64 = (1n << 64n) - 1n;

function split(v: bigint): [number, number] {
  return [Number((v >> 32n) & 0xffffffffn), Number(v & 0xffffffffn)];
}

function join(h: number, l: number): bigint {
  return (BigInt(h) << 32n) | BigInt(l);
}

/** One encryption round on u64 words. */
export function ernd(x: bigint, y: bigint, k: bigint): [bigint, bigint] {
  const s = new Uint32Array([...split(x & MASK64), ...split(y & MASK64)]);
  const [kh, kl] = split(k & MASK64);
  round(s, kh, kl);
  return [join(s[0] as number, s[1] as number), join(s[2] as number, s[3] as number)];
}

/** The exact inverse of `ernd`. */
export function drnd(x: bigint, y: bigint, k: bigint): [bigint, bigint] {
  const rotr = (v: bigint, n: bigint) => ((v >> n) | (v << (64n - n))) & MASK64;
  const rotl = (v: bigint, n: bigint) => ((v << n) | (v >> (64n - n))) & MASK64;
  const ny = rotr(y ^ x, 3n);
  const nx = rotl((((x ^ k) - ny) & MASK64) as bigint, 8n);
  return [nx, ny];
}

function readU64(b: Uint8Array, off: number): bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i] as number);
  return v;
}

/**
 * key_schedule(key, rounds): b = key word 0, a = words 1..; each round
 * emits b, then (a[i % len_a], b) = ernd(a[i % len_a], b, i).
 */
export function keySchedule(key: Uint8Array, rounds: number): bigint[] {
  if (key.length % 8 !== 0 || key.length < 16) {
    throw new RangeError(`"key" expected a multiple of 8 bytes, at least 16, got length=${key.length}`);
  }
  const a: bigint[] = [];
  for (let off = 8; off < key.length; off += 8) a.push(readU64(key, off));
  let b = readU64(key, 0);
  const out: bigint[] = [];
  for (let i = 0; i < rounds; i++) {
    out.push(b);
    const slot = i % a.length;
    const [x, y] = ernd(a[slot] as bigint, b, BigInt(i));
    a[slot] = x;
    b = y;
  }
  return out;
}

/** Textbook Speck128 encryption of (x, y) with 32 round keys. */
export function encryptBlock(roundKeys: readonly bigint[], x: bigint, y: bigint): [bigint, bigint] {
  let s: [bigint, bigint] = [x, y];
  for (const k of roundKeys) s = ernd(s[0], s[1], k);
  return s;
}

function absorb(s: State, input: Uint8Array): void {
  round(s, 0, input.length);
  for (let i = 0; i < input.length; i++) round(s, 0, input[i] as number);
  round(s, 0, 0);
}

function output(s: State, first: 0 | 2): Uint8Array {
  const out = new Uint8Array(16);
  const dv = new DataView(out.buffer);
  const second = first === 0 ? 2 : 0;
  dv.setUint32(0, s[first + 1] as number, true);
  dv.setUint32(4, s[first] as number, true);
  dv.setUint32(8, s[second + 1] as number, true);
  dv.setUint32(12, s[second] as number, true);
  return out;
}

function multispeck(count: number, inputs: Uint8Array[]): Uint8Array {
  const s = new Uint32Array([0, 69, 0, count]);
  for (const input of inputs) absorb(s, input);
  return output(s, 0);
}

export function multispeck2(x: Uint8Array, y: Uint8Array): Uint8Array {
  return multispeck(2, [x, y]);
}

export function multispeck3(x: Uint8Array, y: Uint8Array, z: Uint8Array): Uint8Array {
  return multispeck(3, [x, y, z]);
}

/** The original's IpAddr::from_node_name over the name's UTF-8 bytes. */
export function nameToIpv6(name: Uint8Array): Uint8Array {
  const s = new Uint32Array([0, 69, 0, name.length]);
  for (let i = 0; i < name.length; i++) {
    round(s, 0, name[i] as number);
    for (let r = 0; r < 32; r++) round(s, 0, 0);
  }
  for (let r = 0; r < 32; r++) round(s, 0, 0);
  while (((s[3] as number) & 0xffff) !== 0x00fd) round(s, 0, 0);
  return output(s, 2);
}

/** SPECK-128 CTR keystream of the legacy protocol, continuous per direction. */
export class RefKeystream {
  private readonly rk: Uint32Array;
  private ctrHigh = 0n;
  private ctrLow = 0n;
  private readonly block = new Uint8Array(16);
  private used = 16;

  constructor(key: Uint8Array) {
    checkKey16("key", key);
    const keys = keySchedule(key, 32);
    this.rk = new Uint32Array(64);
    keys.forEach((k, i) => {
      const [h, l] = split(k);
      this.rk[2 * i] = h;
      this.rk[2 * i + 1] = l;
    });
  }

  private refill(): void {
    this.ctrLow = (this.ctrLow + 1n) & MASK64;
    if (this.ctrLow === 0n) this.ctrHigh = (this.ctrHigh + 1n) & MASK64;
    const s = new Uint32Array([...split(this.ctrHigh), ...split(this.ctrLow)]);
    for (let i = 0; i < 32; i++) round(s, this.rk[2 * i] as number, this.rk[2 * i + 1] as number);
    this.block.set(output(s, 0));
    this.used = 0;
  }

  xor(data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) {
      if (this.used === 16) this.refill();
      data[i] = (data[i] as number) ^ (this.block[this.used++] as number);
    }
  }
}

/** The SPECK generation in plain TypeScript. */
export const speckRef: LegacySuite = {
  name: "speck (typescript)",
  hash2: multispeck2,
  hash3: multispeck3,
  direction: (encKey, macKey) => new RefFrameCipher(encKey, macKey, (k) => new RefKeystream(k), multispeck2),
};
