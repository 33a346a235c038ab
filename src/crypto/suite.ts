/**
 * The legacy_tcp cipher suite interface. One generation of smolmesh2's
 * legacy transport (SPECK now, Gimli later) is a pair of 16-byte hashes and
 * a per-direction frame cipher; the handshake and framing code only see
 * this interface, so both generations and both implementations
 * (WebAssembly and plain TypeScript) are interchangeable.
 */
import type { WasmHeap } from "./heap.ts";

/** Frame overhead on the wire: the u16 length and the 16-byte MAC. */
export const FRAME_OVERHEAD = 18;
/** Largest payload a frame can carry (its length is a u16). */
export const MAX_PAYLOAD = 65535;

export function checkKey16(what: string, key: Uint8Array): void {
  if (key.length !== 16) {
    throw new RangeError(`"${what}" expected Uint8Array of length 16, got length=${key.length}`);
  }
}

function checkPayload(payload: Uint8Array): void {
  if (payload.length === 0 || payload.length > MAX_PAYLOAD) {
    throw new RangeError(`"payload" expected 1..${MAX_PAYLOAD} bytes, got length=${payload.length}`);
  }
}

/**
 * Keystream + MAC state of one direction of one link. The `*At` methods
 * work on addresses in the shared heap (the data path); the others copy
 * through its scratch area for convenience.
 */
export abstract class FrameCipher {
  constructor(protected readonly heap: WasmHeap) {}

  /** XORs the keystream over [p, p+len) in place, continuing the stream. */
  abstract xorAt(p: number, len: number): void;
  /** Writes the 16-byte MAC of the payload [p, p+len) to `out`. */
  abstract macAt(p: number, len: number, out: number): void;
  /** Frees what the cipher holds; it must not be used afterwards. */
  abstract dispose(): void;

  /** A hint for a direction that will only open frames (ciphers may compute ahead). */
  prefetch(): void {}

  /** Seals the payload already at frame+2: length, MAC, encryption in place. Returns the frame length. */
  sealAt(frame: number, len: number): number {
    const dv = this.heap.dv();
    dv.setUint16(frame, len, true);
    this.macAt(frame + 2, len, frame + 2 + len);
    this.xorAt(frame, len + FRAME_OVERHEAD);
    return len + FRAME_OVERHEAD;
  }

  /** Whether the decrypted MAC that follows the payload [p, p+len) matches it. */
  abstract verifyAt(p: number, len: number): boolean;

  xor(data: Uint8Array): void {
    const chunk = 65536;
    for (let off = 0; off < data.length; off += chunk) {
      const part = data.subarray(off, off + chunk);
      const [p] = this.heap.stage(part) as [number];
      this.xorAt(p, part.length);
      data.set(this.heap.u8().subarray(p, p + part.length), off);
    }
  }

  mac(payload: Uint8Array): Uint8Array {
    const [p] = this.heap.stage(payload) as [number];
    this.macAt(p, payload.length, p + payload.length);
    return this.heap.u8().slice(p + payload.length, p + payload.length + 16);
  }

  /** The wire bytes of one frame: KS xor (len:u16 || payload || mac). */
  seal(payload: Uint8Array): Uint8Array {
    checkPayload(payload);
    const f = this.heap.scratch(payload.length + FRAME_OVERHEAD);
    this.heap.u8().set(payload, f + 2);
    const n = this.sealAt(f, payload.length);
    return this.heap.u8().slice(f, f + n);
  }

  /** Whether `tag` (already decrypted) is the MAC of `payload`. */
  verify(payload: Uint8Array, tag: Uint8Array): boolean {
    if (tag.length !== 16) return false;
    const [p] = this.heap.stage(payload, tag) as [number, number];
    return this.verifyAt(p, payload.length);
  }
}

export interface LegacySuite {
  readonly name: string;
  /** H2(x, y): 16 bytes. */
  hash2(x: Uint8Array, y: Uint8Array): Uint8Array;
  /** H3(x, y, z): 16 bytes. */
  hash3(x: Uint8Array, y: Uint8Array, z: Uint8Array): Uint8Array;
  /** A direction's cipher from its 16-byte enc and MAC keys, in the shared heap. */
  direction(encKey: Uint8Array, macKey: Uint8Array): FrameCipher;
}
