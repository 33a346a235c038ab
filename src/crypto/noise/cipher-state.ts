/**
 * Noise's CipherState (revision 34, §5.1) over AES-256-GCM: a key, a
 * nonce counter, EncryptWithAd / DecryptWithAd and Rekey. The `*At`
 * methods seal and open in place (the link's data path) through a context
 * from the installed engine, made on first use; the others copy (the
 * handshake) and use node:crypto once per call. Keys are overwritten on
 * Rekey and on `erase` (the context released with them), so a key taken
 * from memory later does not open what was sent before.
 *
 * Counters stop at 2^53 - 1 (a JS number): far past what a link sends,
 * and an exhausted state refuses instead of reusing a nonce.
 */
import { AES_KEY_LEN, type GcmContext, GcmNonce, gcmEngine, gcmOpenAt, gcmSealAt, TAG_LEN } from "../aes-gcm.ts";

const EMPTY = new Uint8Array(0);
const NONCE_LIMIT = Number.MAX_SAFE_INTEGER;

export class CipherState {
  private readonly k = new Uint8Array(AES_KEY_LEN);
  private keyed = false;
  /** The next nonce. */
  n = 0;
  private readonly nonce = new GcmNonce();
  /** The engine's context for k, while the data path uses one. */
  private ctx: GcmContext | undefined;

  /** InitializeKey(key): a 32-byte key, or undefined for none. */
  initializeKey(key: Uint8Array | undefined): void {
    this.release();
    if (key) {
      if (key.length < AES_KEY_LEN) throw new RangeError(`"key" expected 32 bytes, got length=${key.length}`);
      this.k.set(key.subarray(0, AES_KEY_LEN));
    } else {
      this.k.fill(0);
    }
    this.keyed = key !== undefined;
    this.n = 0;
  }

  hasKey(): boolean {
    return this.keyed;
  }

  /** Seals buf[p, p+len) in place, tag at p+len. False when the nonce space is used up. */
  encryptAt(ad: Uint8Array, buf: Uint8Array, p: number, len: number): boolean {
    if (this.n >= NONCE_LIMIT) return false;
    this.context().sealAt(this.nonce.set(this.n), ad, buf, p, len);
    this.n++;
    return true;
  }

  /**
   * Opens buf[p, p+len+16) in place. False when it does not authenticate:
   * n is kept, and buf[p, p+len) holds no unverified plaintext (it may
   * have been overwritten; the frame is dropped with its link).
   */
  decryptAt(ad: Uint8Array, buf: Uint8Array, p: number, len: number): boolean {
    if (this.n >= NONCE_LIMIT) return false;
    if (!this.context().openAt(this.nonce.set(this.n), ad, buf, p, len)) return false;
    this.n++;
    return true;
  }

  /** EncryptWithAd(ad, plaintext): the ciphertext with its tag, or the plaintext itself without a key. */
  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (!this.keyed) return plaintext.slice();
    if (this.n >= NONCE_LIMIT) throw new RangeError("nonce space exhausted");
    const out = new Uint8Array(plaintext.length + TAG_LEN);
    out.set(plaintext);
    gcmSealAt(this.k, this.nonce.set(this.n), ad, out, 0, plaintext.length);
    this.n++;
    return out;
  }

  /** DecryptWithAd(ad, ciphertext): the plaintext, or undefined when it does not authenticate. */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined {
    if (!this.keyed) return ciphertext.slice();
    if (ciphertext.length < TAG_LEN) return undefined;
    if (this.n >= NONCE_LIMIT) return undefined;
    const buf = ciphertext.slice();
    const len = buf.length - TAG_LEN;
    if (!gcmOpenAt(this.k, this.nonce.set(this.n), ad, buf, 0, len)) return undefined;
    this.n++;
    return buf.subarray(0, len);
  }

  /** Rekey(): k = the first 32 bytes of ENCRYPT(k, 2^64 - 1, empty, 32 zero bytes); n is kept. */
  rekey(): void {
    const buf = new Uint8Array(AES_KEY_LEN + TAG_LEN);
    gcmSealAt(this.k, this.nonce.set("max"), EMPTY, buf, 0, AES_KEY_LEN);
    this.k.set(buf.subarray(0, AES_KEY_LEN));
    buf.fill(0);
    this.release();
  }

  /** Overwrites the key; the state holds no key afterwards. */
  erase(): void {
    this.initializeKey(undefined);
  }

  private context(): GcmContext {
    this.ctx ??= gcmEngine().keyed(this.k);
    return this.ctx;
  }

  private release(): void {
    this.ctx?.free();
    this.ctx = undefined;
  }
}
