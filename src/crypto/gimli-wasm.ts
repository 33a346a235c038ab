/**
 * The Gimli generation through WebAssembly (wasm/gimli.wasm, 128-bit SIMD),
 * instantiated on first use over the shared heap. Each frame cipher owns a
 * 128-byte context there.
 */
import { readFileSync } from "node:fs";
import wasmPath from "../../wasm/gimli.wasm" with { type: "file" };
import { sharedHeap, type WasmHeap } from "./heap.ts";
import { checkKey16, FrameCipher, type LegacySuite } from "./suite.ts";

interface GimliExports {
  permute(p: number): void;
  multigimli2(x: number, xLen: number, y: number, yLen: number, out: number, s: number): void;
  multigimli3(x: number, xLen: number, y: number, yLen: number, z: number, zLen: number, out: number, s: number): void;
  ks_init(ctx: number, key: number, keyLen: number): void;
  ctx_init(ctx: number, encKey: number, macKey: number): void;
  ks_xor(ctx: number, p: number, len: number): void;
  mac(ctx: number, p: number, len: number, out: number, s: number): void;
  seal(ctx: number, frame: number, len: number, s: number): number;
  verify(ctx: number, p: number, len: number, s: number): number;
  gimli_hash(p: number, len: number, out: number, s: number): void;
}

const CTX_SIZE = 128;

export class GimliWasm {
  readonly fn: GimliExports;
  readonly heap: WasmHeap;
  /** 48 bytes of working state for hashes (single-threaded use). */
  readonly state: number;

  constructor(bytes: Uint8Array, heap: WasmHeap) {
    this.heap = heap;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: heap.memory } });
    this.fn = instance.exports as unknown as GimliExports;
    this.state = heap.alloc(64);
  }

  /** The permutation of 12 u32 words. */
  permuteWords(words: Uint32Array): Uint32Array {
    const m = this.heap.u8();
    m.set(new Uint8Array(words.buffer, words.byteOffset, 48), this.state);
    this.fn.permute(this.state);
    return new Uint32Array(this.heap.u8().slice(this.state, this.state + 48).buffer);
  }

  multigimli2(x: Uint8Array, y: Uint8Array): Uint8Array {
    const [px, py] = this.heap.stage(x, y) as [number, number];
    const out = py + y.length;
    this.fn.multigimli2(px, x.length, py, y.length, out, this.state);
    return this.heap.u8().slice(out, out + 16);
  }

  multigimli3(x: Uint8Array, y: Uint8Array, z: Uint8Array): Uint8Array {
    const [px, py, pz] = this.heap.stage(x, y, z) as [number, number, number];
    const out = pz + z.length;
    this.fn.multigimli3(px, x.length, py, y.length, pz, z.length, out, this.state);
    return this.heap.u8().slice(out, out + 16);
  }

  gimliHash(input: Uint8Array): Uint8Array {
    const [p] = this.heap.stage(input) as [number];
    const out = p + input.length;
    this.fn.gimli_hash(p, input.length, out, this.state);
    return this.heap.u8().slice(out, out + 32);
  }

  /** `n` keystream bytes for a key of any length (the vectors use 0 to 36 bytes). */
  keystream(key: Uint8Array, n: number): Uint8Array {
    const ctx = this.heap.alloc(CTX_SIZE);
    try {
      const [k] = this.heap.stage(key) as [number];
      this.fn.ks_init(ctx, k, key.length);
      const buf = this.heap.scratch(n);
      this.heap.u8().fill(0, buf, buf + n);
      this.fn.ks_xor(ctx, buf, n);
      return this.heap.u8().slice(buf, buf + n);
    } finally {
      this.heap.release(ctx, CTX_SIZE);
    }
  }

  direction(encKey: Uint8Array, macKey: Uint8Array): FrameCipher {
    return new GimliFrameCipher(this, encKey, macKey);
  }
}

class GimliFrameCipher extends FrameCipher {
  private readonly w: GimliWasm;
  private ctx: number;

  constructor(w: GimliWasm, encKey: Uint8Array, macKey: Uint8Array) {
    super(w.heap);
    checkKey16("encKey", encKey);
    checkKey16("macKey", macKey);
    this.w = w;
    this.ctx = w.heap.alloc(CTX_SIZE);
    const [e, m] = w.heap.stage(encKey, macKey) as [number, number];
    w.fn.ctx_init(this.ctx, e, m);
  }

  private live(): number {
    if (this.ctx === 0) throw new Error("FrameCipher used after dispose()");
    return this.ctx;
  }

  xorAt(p: number, len: number): void {
    this.w.fn.ks_xor(this.live(), p, len);
  }

  macAt(p: number, len: number, out: number): void {
    this.w.fn.mac(this.live(), p, len, out, this.w.state);
  }

  override sealAt(frame: number, len: number): number {
    return this.w.fn.seal(this.live(), frame, len, this.w.state);
  }

  verifyAt(p: number, len: number): boolean {
    return this.w.fn.verify(this.live(), p, len, this.w.state) === 1;
  }

  dispose(): void {
    if (this.ctx !== 0) {
      this.heap.release(this.ctx, CTX_SIZE);
      this.ctx = 0;
    }
  }
}

let instance: GimliWasm | undefined;

export function gimliWasm(): GimliWasm {
  instance ??= new GimliWasm(readFileSync(wasmPath), sharedHeap());
  return instance;
}

/** The Gimli generation through WebAssembly. */
export const gimli: LegacySuite = {
  name: "gimli",
  hash2: (x, y) => gimliWasm().multigimli2(x, y),
  hash3: (x, y, z) => gimliWasm().multigimli3(x, y, z),
  direction: (encKey, macKey) => gimliWasm().direction(encKey, macKey),
};
