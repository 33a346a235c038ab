/**
 * AES-256-GCM from node:crypto with Noise's nonce encoding: 4 zero bytes,
 * then the 64-bit counter big-endian. Works in place on any byte view (the
 * link buffers live in the shared WebAssembly heap): the ciphertext
 * replaces the plaintext and the 16-byte tag follows it. Opening writes
 * the plaintext back only once the tag has verified.
 *
 * node:crypto has no one-shot AEAD that writes into a caller's buffer, so
 * each call makes one native cipher object and one output buffer; the
 * frame itself is never copied through anything else.
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
export function gcmSealAt(key: Uint8Array, nonce: Buffer, ad: Uint8Array, buf: Uint8Array, p: number, len: number) {
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
  nonce: Buffer,
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
