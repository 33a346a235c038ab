/**
 * The SPECK generation through WebAssembly (wasm/speck.wasm). The module is
 * compiled on first use, not at import. Frame ciphers own a 320-byte
 * context in the module's memory; the `*At` methods work on bytes already
 * in that memory (the zero-copy data path), the others copy through a
 * scratch area for convenience.
 */
import { readFileSync } from "node:fs";
import wasmPath from "../../wasm/speck.wasm" with { type: "file" };
import { WasmHeap } from "./_wasm-heap.ts";
import { checkKey16, checkPayload, FRAME_OVERHEAD, type FrameCipher, type LegacySuite } from "./suite.ts";

interface SpeckExports {
  memory: WebAssembly.Memory;
  ernd(x: bigint, y: bigint, k: bigint): [bigint, bigint];
  drnd(x: bigint, y: bigint, k: bigint): [bigint, bigint];
  encrypt_block(rk: number, x: bigint, y: bigint): [bigint, bigint];
  key_schedule(key: number, keyLen: number, rounds: number, out: number, scratch: number): number;
  multispeck2(x: number, xLen: number, y: number, yLen: number, out: number): void;
  multispeck3(x: number, xLen: number, y: number, yLen: number, z: number, zLen: number, out: number): void;
  ctx_init(ctx: number, encKey: number, macKey: number): void;
  ks_xor(ctx: number, p: number, len: number): void;
  mac(ctx: number, p: number, len: number, out: number): void;
  seal(ctx: number, frame: number, len: number): number;
  verify(ctx: number, p: number, len: number): number;
  name_to_ipv6(p: number, len: number, out: number): void;
}

const CTX_SIZE = 320;

function u64Pair([x, y]: [bigint, bigint]): [bigint, bigint] {
  return [BigInt.asUintN(64, x), BigInt.asUintN(64, y)];
}

/** The instance, its heap and a growable scratch area. */
export class SpeckWasm {
  readonly fn: SpeckExports;
  readonly heap: WasmHeap;
  private scratchPtr = 0;
  private scratchSize = 0;

  constructor(bytes: Uint8Array) {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    this.fn = instance.exports as unknown as SpeckExports;
    this.heap = new WasmHeap(this.fn.memory, 1024);
  }

  /** A scratch area of at least `size` bytes, valid until the next call. */
  scratch(size: number): number {
    if (size > this.scratchSize) {
      if (this.scratchSize) this.heap.release(this.scratchPtr, this.scratchSize);
      this.scratchSize = 1 << Math.max(12, Math.ceil(Math.log2(size)));
      this.scratchPtr = this.heap.alloc(this.scratchSize);
    }
    return this.scratchPtr;
  }

  /** Copies the inputs into scratch one after another; returns their addresses. */
  stage(...inputs: Uint8Array[]): number[] {
    const total = inputs.reduce((n, b) => n + b.length, 0);
    let p = this.scratch(total + 16);
    const mem = this.heap.u8();
    return inputs.map((b) => {
      mem.set(b, p);
      const at = p;
      p += b.length;
      return at;
    });
  }

  keySchedule(key: Uint8Array, rounds: number): bigint[] {
    const [k] = this.stage(key) as [number];
    const out = this.heap.alloc(Math.max(8, rounds * 8) + key.length);
    try {
      const rc = this.fn.key_schedule(k, key.length, rounds, out, out + rounds * 8);
      if (rc !== 0) {
        throw new RangeError(`"key" expected a multiple of 8 bytes, at least 16, got length=${key.length}`);
      }
      const dv = this.heap.dv();
      return Array.from({ length: rounds }, (_, i) => dv.getBigUint64(out + i * 8, true));
    } finally {
      this.heap.release(out, Math.max(8, rounds * 8) + key.length);
    }
  }

  /** Textbook Speck128 encryption of (x, y) with 32 round keys. */
  encryptBlock(roundKeys: readonly bigint[], x: bigint, y: bigint): [bigint, bigint] {
    if (roundKeys.length !== 32) throw new RangeError(`"roundKeys" expected 32 keys, got ${roundKeys.length}`);
    const rk = this.scratch(256);
    const dv = this.heap.dv();
    roundKeys.forEach((k, i) => {
      dv.setBigUint64(rk + i * 8, k, true);
    });
    return u64Pair(this.fn.encrypt_block(rk, x, y));
  }

  /** One round, as u64 values (wasm hands i64 to JS as signed BigInts). */
  ernd(x: bigint, y: bigint, k: bigint): [bigint, bigint] {
    return u64Pair(this.fn.ernd(x, y, k));
  }

  drnd(x: bigint, y: bigint, k: bigint): [bigint, bigint] {
    return u64Pair(this.fn.drnd(x, y, k));
  }

  private result16(at: number): Uint8Array {
    return this.heap.u8().slice(at, at + 16);
  }

  multispeck2(x: Uint8Array, y: Uint8Array): Uint8Array {
    const [px, py] = this.stage(x, y) as [number, number];
    const out = py + y.length;
    this.fn.multispeck2(px, x.length, py, y.length, out);
    return this.result16(out);
  }

  multispeck3(x: Uint8Array, y: Uint8Array, z: Uint8Array): Uint8Array {
    const [px, py, pz] = this.stage(x, y, z) as [number, number, number];
    const out = pz + z.length;
    this.fn.multispeck3(px, x.length, py, y.length, pz, z.length, out);
    return this.result16(out);
  }

  nameToIpv6(name: Uint8Array): Uint8Array {
    const [p] = this.stage(name) as [number];
    const out = p + name.length;
    this.fn.name_to_ipv6(p, name.length, out);
    return this.result16(out);
  }

  direction(encKey: Uint8Array, macKey: Uint8Array): WasmFrameCipher {
    return new WasmFrameCipher(this, encKey, macKey);
  }
}

/** A direction whose keystream and MAC state live in wasm memory. */
export class WasmFrameCipher implements FrameCipher {
  private readonly w: SpeckWasm;
  private ctx: number;

  constructor(w: SpeckWasm, encKey: Uint8Array, macKey: Uint8Array) {
    checkKey16("encKey", encKey);
    checkKey16("macKey", macKey);
    this.w = w;
    this.ctx = w.heap.alloc(CTX_SIZE);
    const [e, m] = w.stage(encKey, macKey) as [number, number];
    w.fn.ctx_init(this.ctx, e, m);
  }

  private live(): number {
    if (this.ctx === 0) throw new Error("FrameCipher used after dispose()");
    return this.ctx;
  }

  /** Keystream XOR over wasm memory [p, p+len). */
  xorAt(p: number, len: number): void {
    this.w.fn.ks_xor(this.live(), p, len);
  }

  /** Seals the payload already at frame+2 in wasm memory; returns the frame length. */
  sealAt(frame: number, len: number): number {
    return this.w.fn.seal(this.live(), frame, len);
  }

  /** Checks the decrypted MAC that follows the payload at [p, p+len). */
  verifyAt(p: number, len: number): boolean {
    return this.w.fn.verify(this.live(), p, len) === 1;
  }

  xor(data: Uint8Array): void {
    const chunk = 65536;
    for (let off = 0; off < data.length; off += chunk) {
      const part = data.subarray(off, off + chunk);
      const [p] = this.w.stage(part) as [number];
      this.xorAt(p, part.length);
      data.set(this.w.heap.u8().subarray(p, p + part.length), off);
    }
  }

  mac(payload: Uint8Array): Uint8Array {
    const [p] = this.w.stage(payload) as [number];
    this.w.fn.mac(this.live(), p, payload.length, p + payload.length);
    return this.w.heap.u8().slice(p + payload.length, p + payload.length + 16);
  }

  seal(payload: Uint8Array): Uint8Array {
    checkPayload(payload);
    const f = this.w.scratch(payload.length + FRAME_OVERHEAD);
    this.w.heap.u8().set(payload, f + 2);
    const n = this.sealAt(f, payload.length);
    return this.w.heap.u8().slice(f, f + n);
  }

  verify(payload: Uint8Array, tag: Uint8Array): boolean {
    if (tag.length !== 16) return false;
    const [p] = this.w.stage(payload, tag) as [number, number];
    return this.verifyAt(p, payload.length);
  }

  dispose(): void {
    if (this.ctx !== 0) {
      this.w.heap.release(this.ctx, CTX_SIZE);
      this.ctx = 0;
    }
  }
}

let instance: SpeckWasm | undefined;

/** The shared instance, compiled on first use. */
export function speckWasm(): SpeckWasm {
  instance ??= new SpeckWasm(readFileSync(wasmPath));
  return instance;
}

/** The SPECK generation through WebAssembly. */
export const speck: LegacySuite = {
  name: "speck-wasm",
  hash2: (x, y) => speckWasm().multispeck2(x, y),
  hash3: (x, y, z) => speckWasm().multispeck3(x, y, z),
  direction: (encKey, macKey) => speckWasm().direction(encKey, macKey),
};
