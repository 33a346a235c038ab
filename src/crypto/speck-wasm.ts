/**
 * The SPECK generation through WebAssembly (wasm/speck.wasm), instantiated
 * on first use over the shared heap. Each frame cipher owns a 320-byte
 * context (round keys, counter, partial block, MAC prefix state) there.
 */
import { readFileSync } from "node:fs";
import wasmPath from "../../wasm/speck.wasm" with { type: "file" };
import { sharedHeap, type WasmHeap } from "./heap.ts";
import { checkKey16, FrameCipher, type LegacySuite } from "./suite.ts";

interface SpeckExports {
  ernd(x: bigint, y: bigint, k: bigint): [bigint, bigint];
  drnd(x: bigint, y: bigint, k: bigint): [bigint, bigint];
  encrypt_block(rk: number, x: bigint, y: bigint): [bigint, bigint];
  key_schedule(key: number, keyLen: number, rounds: number, out: number, scratch: number): number;
  multispeck2(x: number, xLen: number, y: number, yLen: number, out: number): void;
  multispeck3(x: number, xLen: number, y: number, yLen: number, z: number, zLen: number, out: number): void;
  ctx_init(ctx: number, encKey: number, macKey: number): void;
  ks_xor(ctx: number, p: number, len: number): void;
  ring_init(ctx: number, ring: number): void;
  mac(ctx: number, p: number, len: number, out: number): void;
  seal(ctx: number, frame: number, len: number, ks: number): number;
  verify(ctx: number, p: number, len: number): number;
  name_to_ipv6(p: number, len: number, out: number): void;
}

const CTX_SIZE = 336;
/** The prefetch ring: 4096 keystream blocks. */
const RING_SIZE = 4096 * 16;

/** wasm hands i64 results to JS as signed BigInts. */
function u64Pair([x, y]: [bigint, bigint]): [bigint, bigint] {
  return [BigInt.asUintN(64, x), BigInt.asUintN(64, y)];
}

export class SpeckWasm {
  readonly fn: SpeckExports;
  readonly heap: WasmHeap;
  /** Where `seal` puts a frame's keystream (the largest frame plus a block). */
  readonly sealScratch: number;

  constructor(bytes: Uint8Array, heap: WasmHeap) {
    this.heap = heap;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: heap.memory } });
    this.fn = instance.exports as unknown as SpeckExports;
    this.sealScratch = heap.alloc(65535 + 18 + 32);
  }

  ernd(x: bigint, y: bigint, k: bigint): [bigint, bigint] {
    return u64Pair(this.fn.ernd(x, y, k));
  }

  drnd(x: bigint, y: bigint, k: bigint): [bigint, bigint] {
    return u64Pair(this.fn.drnd(x, y, k));
  }

  keySchedule(key: Uint8Array, rounds: number): bigint[] {
    const size = Math.max(8, rounds * 8) + key.length;
    const out = this.heap.alloc(size);
    try {
      const [k] = this.heap.stage(key) as [number];
      if (this.fn.key_schedule(k, key.length, rounds, out, out + rounds * 8) !== 0) {
        throw new RangeError(`"key" expected a multiple of 8 bytes, at least 16, got length=${key.length}`);
      }
      const dv = this.heap.dv();
      return Array.from({ length: rounds }, (_, i) => dv.getBigUint64(out + i * 8, true));
    } finally {
      this.heap.release(out, size);
    }
  }

  /** Textbook Speck128 encryption of (x, y) with 32 round keys. */
  encryptBlock(roundKeys: readonly bigint[], x: bigint, y: bigint): [bigint, bigint] {
    if (roundKeys.length !== 32) throw new RangeError(`"roundKeys" expected 32 keys, got ${roundKeys.length}`);
    const rk = this.heap.scratch(256);
    const dv = this.heap.dv();
    roundKeys.forEach((k, i) => {
      dv.setBigUint64(rk + i * 8, k, true);
    });
    return u64Pair(this.fn.encrypt_block(rk, x, y));
  }

  private result16(at: number): Uint8Array {
    return this.heap.u8().slice(at, at + 16);
  }

  multispeck2(x: Uint8Array, y: Uint8Array): Uint8Array {
    const [px, py] = this.heap.stage(x, y) as [number, number];
    const out = py + y.length;
    this.fn.multispeck2(px, x.length, py, y.length, out);
    return this.result16(out);
  }

  multispeck3(x: Uint8Array, y: Uint8Array, z: Uint8Array): Uint8Array {
    const [px, py, pz] = this.heap.stage(x, y, z) as [number, number, number];
    const out = pz + z.length;
    this.fn.multispeck3(px, x.length, py, y.length, pz, z.length, out);
    return this.result16(out);
  }

  nameToIpv6(name: Uint8Array): Uint8Array {
    const [p] = this.heap.stage(name) as [number];
    const out = p + name.length;
    this.fn.name_to_ipv6(p, name.length, out);
    return this.result16(out);
  }

  direction(encKey: Uint8Array, macKey: Uint8Array): WasmFrameCipher {
    return new WasmFrameCipher(this, encKey, macKey);
  }
}

class WasmFrameCipher extends FrameCipher {
  private readonly fn: SpeckExports;
  private readonly sealScratch: number;
  private ctx: number;
  private ring = 0;
  private sealed = false;

  constructor(w: SpeckWasm, encKey: Uint8Array, macKey: Uint8Array) {
    super(w.heap);
    checkKey16("encKey", encKey);
    checkKey16("macKey", macKey);
    this.fn = w.fn;
    this.sealScratch = w.sealScratch;
    this.ctx = w.heap.alloc(CTX_SIZE);
    const [e, m] = w.heap.stage(encKey, macKey) as [number, number];
    this.fn.ctx_init(this.ctx, e, m);
  }

  private live(): number {
    if (this.ctx === 0) throw new Error("FrameCipher used after dispose()");
    return this.ctx;
  }

  xorAt(p: number, len: number): void {
    this.fn.ks_xor(this.live(), p, len);
  }

  macAt(p: number, len: number, out: number): void {
    this.fn.mac(this.live(), p, len, out);
  }

  override sealAt(frame: number, len: number): number {
    if (this.ring) throw new Error("a direction with a prefetch ring only opens frames");
    this.sealed = true;
    return this.fn.seal(this.live(), frame, len, this.sealScratch);
  }

  /**
   * For a receiving direction: compute the keystream ahead while verifying
   * MACs (see verify in wasm/speck.wat). Costs 64 KiB; the direction may
   * no longer seal.
   */
  override prefetch(): void {
    if (this.sealed) throw new Error("a direction that sealed frames cannot prefetch");
    if (this.ring) return;
    this.ring = this.heap.alloc(RING_SIZE);
    this.fn.ring_init(this.live(), this.ring);
  }

  override verifyAt(p: number, len: number): boolean {
    return this.fn.verify(this.live(), p, len) === 1;
  }

  dispose(): void {
    if (this.ctx !== 0) {
      this.heap.release(this.ctx, CTX_SIZE);
      this.ctx = 0;
    }
    if (this.ring !== 0) {
      this.heap.release(this.ring, RING_SIZE);
      this.ring = 0;
    }
  }
}

let instance: SpeckWasm | undefined;

/** The shared instance, compiled on first use. */
export function speckWasm(): SpeckWasm {
  instance ??= new SpeckWasm(readFileSync(wasmPath), sharedHeap());
  return instance;
}

/** The SPECK generation through WebAssembly. */
export const speck: LegacySuite = {
  name: "speck",
  hash2: (x, y) => speckWasm().multispeck2(x, y),
  hash3: (x, y, z) => speckWasm().multispeck3(x, y, z),
  direction: (encKey, macKey) => speckWasm().direction(encKey, macKey),
};
