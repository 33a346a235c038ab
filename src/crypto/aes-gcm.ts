/**
 * AES-256-GCM with Noise's nonce encoding: 4 zero bytes, then the 64-bit
 * counter big-endian. Works in place on any byte view (the link buffers
 * live in the shared WebAssembly heap): the ciphertext replaces the
 * plaintext and the 16-byte tag follows it.
 *
 * Two ways to run it. The one-shot functions (`gcmSealAt`, `gcmOpenAt`)
 * and the default engine use node:crypto, which has no AEAD call that
 * writes into a caller's buffer: each call makes one native cipher object
 * and one output buffer. A platform may install a faster engine
 * (`installGcmEngine`): a keyed native context that seals and opens where
 * the bytes lie, so a link's frames make no garbage. An engine is taken
 * only after it reproduces node:crypto's output on known inputs.
 */
import { createCipheriv, createDecipheriv } from "node:crypto";

export const AES_KEY_LEN = 32;
export const TAG_LEN = 16;
const ALGO = "aes-256-gcm";

/** A reusable 12-byte nonce for counter `n` (n < 2^53, or "max" for 2^64-1). */
export class GcmNonce {
  readonly bytes = Buffer.alloc(12);
  set(n: number | "max"): Buffer {
    if (n === "max") {
      this.bytes.fill(0, 0, 4);
      this.bytes.fill(0xff, 4);
    } else {
      this.bytes.writeUInt32BE(0, 0);
      this.bytes.writeUInt32BE(Math.floor(n / 0x1_0000_0000), 4);
      this.bytes.writeUInt32BE(n >>> 0, 8);
    }
    return this.bytes;
  }
}

/** Encrypts buf[p, p+len) in place and writes the tag at buf[p+len, p+len+16). */
export function gcmSealAt(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, buf: Uint8Array, p: number, len: number) {
  const c = createCipheriv(ALGO, key, nonce);
  if (ad.length) c.setAAD(ad);
  if (len > 0) buf.set(c.update(buf.subarray(p, p + len)), p);
  c.final();
  buf.set(c.getAuthTag(), p + len);
}

/**
 * Opens buf[p, p+len+16) (ciphertext, then tag) in place: true and the
 * plaintext at buf[p, p+len) when the tag verifies; false and the buffer
 * untouched when it does not.
 */
export function gcmOpenAt(
  key: Uint8Array,
  nonce: Uint8Array,
  ad: Uint8Array,
  buf: Uint8Array,
  p: number,
  len: number,
): boolean {
  const d = createDecipheriv(ALGO, key, nonce);
  d.setAuthTag(buf.subarray(p + len, p + len + TAG_LEN));
  if (ad.length) d.setAAD(ad);
  const out = len > 0 ? d.update(buf.subarray(p, p + len)) : undefined;
  try {
    d.final();
  } catch {
    return false; // the tag did not verify: bytes from the network never throw
  }
  if (out) buf.set(out, p);
  return true;
}

/** One key's AES-256-GCM, sealing and opening in place. */
export interface GcmContext {
  /** As gcmSealAt with this context's key. */
  sealAt(nonce: Uint8Array, ad: Uint8Array, buf: Uint8Array, p: number, len: number): void;
  /**
   * As gcmOpenAt with this context's key, except that when the tag does
   * not verify buf[p, p+len) may have been overwritten (never with
   * unverified plaintext): callers drop the frame and the link.
   */
  openAt(nonce: Uint8Array, ad: Uint8Array, buf: Uint8Array, p: number, len: number): boolean;
  /** Overwrites the key and releases the context; it is not used again. */
  free(): void;
}

export interface GcmEngine {
  /** What the operator is told, e.g. "OpenSSL 3.0.19". */
  readonly name: string;
  /** A context for a 32-byte key (copied; the caller may overwrite its array). */
  keyed(key: Uint8Array): GcmContext;
}

class OneShotContext implements GcmContext {
  private readonly key: Uint8Array;
  constructor(key: Uint8Array) {
    this.key = key.slice(0, AES_KEY_LEN);
  }
  sealAt(nonce: Uint8Array, ad: Uint8Array, buf: Uint8Array, p: number, len: number): void {
    gcmSealAt(this.key, nonce, ad, buf, p, len);
  }
  openAt(nonce: Uint8Array, ad: Uint8Array, buf: Uint8Array, p: number, len: number): boolean {
    return gcmOpenAt(this.key, nonce, ad, buf, p, len);
  }
  free(): void {
    this.key.fill(0);
  }
}

/** node:crypto, one cipher object per call: available everywhere. */
export const nodeGcm: GcmEngine = { name: "node:crypto", keyed: (key) => new OneShotContext(key) };

let engine: GcmEngine = nodeGcm;

/** The engine new link keys are given to. */
export function gcmEngine(): GcmEngine {
  return engine;
}

/**
 * Makes `e` the engine for keys set from now on, once it has matched
 * node:crypto byte for byte (frames of 0 to 1,500 bytes, with and without
 * associated data, nonces 0 and 2^64-1, a wrong tag and a wrong byte
 * refused). Returns the mismatch instead when it does not; the engine in
 * use is kept then.
 */
export function installGcmEngine(e: GcmEngine): string | undefined {
  const problem = gcmDisagreement(e, nodeGcm);
  if (problem === undefined) engine = e;
  return problem;
}

/**
 * Where `a` and `b` differ on known inputs, or undefined when they agree.
 * `b` is the reference; `a` failing (a system library that throws on
 * keying or sealing) is a difference, said as such, not a throw.
 */
export function gcmDisagreement(a: GcmEngine, b: GcmEngine): string | undefined {
  const key = Uint8Array.from({ length: AES_KEY_LEN }, (_, i) => (i * 29 + 7) & 0xff);
  const ctxB = b.keyed(key);
  let ctxA: GcmContext | undefined;
  const nonce = new GcmNonce();
  try {
    ctxA = a.keyed(key);
    for (const len of [0, 1, 15, 16, 17, 64, 1400, 1500]) {
      for (const adLen of [0, 13]) {
        for (const n of [0, 1, 0x1_0000_0001, "max"] as const) {
          const ad = Uint8Array.from({ length: adLen }, (_, i) => i ^ len);
          const plain = Uint8Array.from({ length: len }, (_, i) => (i * 131 + len) & 0xff);
          const bufA = new Uint8Array(len + TAG_LEN + 8);
          const bufB = new Uint8Array(len + TAG_LEN + 8);
          bufA.set(plain, 3);
          bufB.set(plain, 3);
          ctxA.sealAt(nonce.set(n), ad, bufA, 3, len);
          ctxB.sealAt(nonce.set(n), ad, bufB, 3, len);
          const what = `${len}-byte frame, ${adLen}-byte ad, nonce ${n}`;
          if (Buffer.compare(bufA, bufB) !== 0) return `${a.name} and ${b.name} sealed a ${what} differently`;
          const tampered = bufA.slice();
          tampered[3 + len] = (tampered[3 + len] as number) ^ 1;
          if (ctxA.openAt(nonce.set(n), ad, tampered, 3, len)) return `${a.name} opened a ${what} with a wrong tag`;
          if (len > 0) {
            const flipped = bufA.slice();
            flipped[3] = (flipped[3] as number) ^ 0x80;
            if (ctxA.openAt(nonce.set(n), ad, flipped, 3, len)) return `${a.name} opened a ${what} with a wrong byte`;
          }
          if (!ctxA.openAt(nonce.set(n), ad, bufA, 3, len) || Buffer.compare(bufA.subarray(3, 3 + len), plain) !== 0) {
            return `${a.name} did not open a ${what} it sealed`;
          }
        }
      }
    }
    return undefined;
  } catch (e) {
    return `${a.name} failed: ${(e as Error).message}`;
  } finally {
    ctxA?.free();
    ctxB.free();
  }
}
