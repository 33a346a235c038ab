/**
 * AES-256-GCM from the system's OpenSSL 3 (libcrypto.so.3) through
 * bun:ffi: one EVP context per key, set up once, sealing and opening
 * frames where they lie (the link buffers in the WebAssembly heap), so
 * a modern link's data path allocates nothing per frame. Bun's own
 * BoringSSL does not export its symbols, and node:crypto makes a cipher
 * object and an output buffer for every frame.
 *
 * Absent or unusable libcrypto: `openSslGcm()` says why and the node
 * stays on node:crypto.
 */
import { dlopen, FFIType, ptr } from "bun:ffi";
import { AES_KEY_LEN, type GcmContext, type GcmEngine } from "../../crypto/aes-gcm.ts";

const { i32 } = FFIType;
const P = FFIType.ptr;

const SYMBOLS = {
  OpenSSL_version: { args: [i32], returns: FFIType.cstring },
  EVP_aes_256_gcm: { args: [], returns: P },
  EVP_CIPHER_CTX_new: { args: [], returns: P },
  EVP_CIPHER_CTX_free: { args: [P], returns: FFIType.void },
  EVP_CipherInit_ex: { args: [P, P, P, P, P, i32], returns: i32 },
  EVP_CipherUpdate: { args: [P, P, P, P, i32], returns: i32 },
  EVP_CipherFinal_ex: { args: [P, P, P], returns: i32 },
  EVP_CIPHER_CTX_ctrl: { args: [P, i32, i32, P], returns: i32 },
} as const;

const EVP_CTRL_GCM_SET_IVLEN = 0x9;
const EVP_CTRL_GCM_GET_TAG = 0x10;
const EVP_CTRL_GCM_SET_TAG = 0x11;
const TAG = 16;

type Lib = ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"];
type Pointer = NonNullable<ReturnType<Lib["EVP_CIPHER_CTX_new"]>>;

/** The OpenSSL engine (with the number of its contexts not yet released), or the reason there is none. */
export function openSslGcm(): (GcmEngine & { contexts(): number }) | string {
  let lib: Lib;
  try {
    lib = dlopen("libcrypto.so.3", SYMBOLS).symbols;
  } catch (e) {
    return `libcrypto.so.3 could not be loaded (${(e as Error).message.split("\n")[0]})`;
  }
  const cipher = lib.EVP_aes_256_gcm();
  if (!cipher) return "libcrypto.so.3 has no AES-256-GCM";
  const version = String(lib.OpenSSL_version(0)).replace(/ \d+ \w+ \d{4}.*$/, "");
  let live = 0;
  // a context a collected CipherState left behind (dropped without erase) is still released
  const orphans = new FinalizationRegistry<Pointer>((ctx) => {
    lib.EVP_CIPHER_CTX_free(ctx);
    live--;
  });
  // OpenSSL writes each call's output length here. Passed as the array itself,
  // never as an address taken once: an array reachable only through a number
  // is collected (OpenSSL then writes into freed memory), and the JIT moves a
  // small array's bytes when it compiles a function that uses it.
  const outLen = new Int32Array(1);
  const fail = (what: string): never => {
    throw new Error(`OpenSSL AES-256-GCM: ${what} failed`);
  };

  class OpenSslContext implements GcmContext {
    private ctx: Pointer | null;
    constructor(key: Uint8Array) {
      if (key.length < AES_KEY_LEN) throw new RangeError(`"key" expected 32 bytes, got length=${key.length}`);
      const ctx = lib.EVP_CIPHER_CTX_new();
      if (!ctx) throw new Error("OpenSSL AES-256-GCM: EVP_CIPHER_CTX_new failed");
      this.ctx = ctx;
      live++;
      orphans.register(this, ctx, this);
      if (
        lib.EVP_CipherInit_ex(ctx, cipher, null, null, null, 1) !== 1 ||
        lib.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, null) !== 1 ||
        lib.EVP_CipherInit_ex(ctx, null, null, key, null, 1) !== 1
      ) {
        this.free();
        fail("setting the key");
      }
    }

    sealAt(nonce: Uint8Array, ad: Uint8Array, buf: Uint8Array, p: number, len: number): void {
      const ctx = this.live();
      const at = ptr(buf, p);
      const tag = ptr(buf, p + len);
      if (lib.EVP_CipherInit_ex(ctx, null, null, null, nonce, 1) !== 1) fail("setting the nonce");
      if (ad.length && lib.EVP_CipherUpdate(ctx, null, outLen, ad, ad.length) !== 1) fail("adding data");
      if (len > 0 && lib.EVP_CipherUpdate(ctx, at, outLen, at, len) !== 1) fail("sealing");
      if (lib.EVP_CipherFinal_ex(ctx, tag, outLen) !== 1) fail("finishing");
      if (lib.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG, tag) !== 1) fail("taking the tag");
    }

    openAt(nonce: Uint8Array, ad: Uint8Array, buf: Uint8Array, p: number, len: number): boolean {
      const ctx = this.live();
      const at = ptr(buf, p);
      const tag = ptr(buf, p + len);
      if (lib.EVP_CipherInit_ex(ctx, null, null, null, nonce, 0) !== 1) fail("setting the nonce");
      if (lib.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG, tag) !== 1) fail("setting the tag");
      if (ad.length && lib.EVP_CipherUpdate(ctx, null, outLen, ad, ad.length) !== 1) fail("adding data");
      if (len > 0 && lib.EVP_CipherUpdate(ctx, at, outLen, at, len) !== 1) fail("opening");
      // the tag is checked last, after the bytes were decrypted in place: unverified plaintext is wiped
      if (lib.EVP_CipherFinal_ex(ctx, tag, outLen) === 1) return true;
      if (len > 0) buf.fill(0, p, p + len);
      return false;
    }

    free(): void {
      if (!this.ctx) return;
      orphans.unregister(this);
      lib.EVP_CIPHER_CTX_free(this.ctx); // cleanses the key schedule
      this.ctx = null;
      live--;
    }

    private live(): Pointer {
      if (!this.ctx) throw new Error("OpenSSL AES-256-GCM: context used after free");
      return this.ctx;
    }
  }

  return { name: `${version} (libcrypto.so.3)`, keyed: (key) => new OpenSslContext(key), contexts: () => live };
}
