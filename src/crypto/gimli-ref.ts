/**
 * Plain TypeScript Gimli primitives of the legacy protocol's 2025
 * generation: the reference the WebAssembly build is checked against. See
 * wasm/gimli.wat for the definitions.
 */
import { RefFrameCipher } from "./_ref-cipher.ts";
import type { LegacySuite } from "./suite.ts";

const rotl = (v: number, n: number) => ((v << n) | (v >>> (32 - n))) >>> 0;

/** The 24-round permutation on 12 u32 words, in place. */
export function permuteWords(s: Uint32Array): void {
  for (let r = 24; r > 0; r--) {
    for (let j = 0; j < 4; j++) {
      const x = rotl(s[j] as number, 24);
      const y = rotl(s[4 + j] as number, 9);
      const z = s[8 + j] as number;
      s[8 + j] = x ^ (z << 1) ^ ((y & z) << 2);
      s[4 + j] = y ^ x ^ ((x | z) << 1);
      s[j] = z ^ y ^ ((x & y) << 3);
    }
    if ((r & 3) === 0) {
      [s[0], s[1], s[2], s[3]] = [s[1] as number, s[0] as number, s[3] as number, s[2] as number];
      s[0] = (s[0] as number) ^ (0x9e377900 | r);
    } else if ((r & 3) === 2) {
      [s[0], s[1], s[2], s[3]] = [s[2] as number, s[3] as number, s[0] as number, s[1] as number];
    }
  }
}

/** The 48-byte state as the original handles it: bytes over little-endian words. */
class State {
  readonly bytes = new Uint8Array(48);
  private readonly words = new Uint32Array(this.bytes.buffer);

  permute(): void {
    permuteWords(this.words); // little-endian host: words are the LE u32s
  }

  setLen(n: number): void {
    new DataView(this.bytes.buffer).setBigUint64(0, BigInt(n), true);
    this.permute();
  }

  absorb(input: Uint8Array): void {
    for (let off = 0; off < input.length; off += 16) {
      const chunk = input.subarray(off, off + 16);
      for (let i = 0; i < chunk.length; i++) this.bytes[i] = (this.bytes[i] as number) ^ (chunk[i] as number);
      this.permute();
    }
  }
}

function multigimli(inputs: Uint8Array[]): Uint8Array {
  const s = new State();
  for (const input of inputs) s.setLen(input.length);
  for (const input of inputs) s.absorb(input);
  return s.bytes.slice(0, 16);
}

export const multigimli2 = (x: Uint8Array, y: Uint8Array) => multigimli([x, y]);
export const multigimli3 = (x: Uint8Array, y: Uint8Array, z: Uint8Array) => multigimli([x, y, z]);

/** Standard Gimli-Hash, 32 bytes. */
export function gimliHash(input: Uint8Array): Uint8Array {
  const s = new State();
  let off = 0;
  for (; input.length - off >= 16; off += 16) {
    for (let i = 0; i < 16; i++) s.bytes[i] = (s.bytes[i] as number) ^ (input[off + i] as number);
    s.permute();
  }
  const rest = input.length - off;
  for (let i = 0; i < rest; i++) s.bytes[i] = (s.bytes[i] as number) ^ (input[off + i] as number);
  s.bytes[rest] = (s.bytes[rest] as number) ^ 0x1f;
  s.bytes[15] = (s.bytes[15] as number) ^ 0x80;
  s.permute();
  const out = new Uint8Array(32);
  out.set(s.bytes.subarray(0, 16));
  s.permute();
  out.set(s.bytes.subarray(0, 16), 16);
  return out;
}

export class GimliKeystream {
  private readonly s = new State();
  private used = 0;

  constructor(key: Uint8Array) {
    this.s.setLen(key.length);
    this.s.absorb(key);
  }

  xor(data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) {
      if (this.used === 16) {
        this.s.permute();
        this.used = 0;
      }
      data[i] = (data[i] as number) ^ (this.s.bytes[this.used++] as number);
    }
  }
}

/** The Gimli generation in plain TypeScript. */
export const gimliRef: LegacySuite = {
  name: "gimli (typescript)",
  hash2: multigimli2,
  hash3: multigimli3,
  direction: (encKey, macKey) => new RefFrameCipher(encKey, macKey, (k) => new GimliKeystream(k), multigimli2),
};
