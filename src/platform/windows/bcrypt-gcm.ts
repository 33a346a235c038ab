/**
 * AES-256-GCM from Windows CNG (bcrypt.dll) through bun:ffi, the Windows
 * twin of platform/linux/libcrypto.ts: one AES provider set to GCM, one
 * key object per context, and BCryptEncrypt / BCryptDecrypt with input
 * and output at the same address, so a modern link's frames are sealed
 * and opened where they lie (the link buffers in the WebAssembly heap)
 * and the data path allocates nothing per frame. The tag is the 16 bytes
 * after the frame, read from and written to there.
 *
 * Absent or unusable CNG: `bcryptGcm()` says why and the node stays on
 * node:crypto.
 */
import { dlopen, FFIType, type Pointer, ptr, read } from "bun:ffi";
import { AES_KEY_LEN, type GcmContext, type GcmEngine, TAG_LEN } from "../../crypto/aes-gcm.ts";

const { i32, u32, ptr: P } = FFIType;

// every call returns an NTSTATUS (0 is success; failures have the top bit set)
const SYMBOLS = {
  BCryptOpenAlgorithmProvider: { args: [P, P, P, u32], returns: i32 },
  BCryptSetProperty: { args: [P, P, P, u32, u32], returns: i32 },
  BCryptGetProperty: { args: [P, P, P, u32, P, u32], returns: i32 },
  BCryptGenerateSymmetricKey: { args: [P, P, P, u32, P, u32, u32], returns: i32 },
  BCryptEncrypt: { args: [P, P, u32, P, P, u32, P, u32, P, u32], returns: i32 },
  BCryptDecrypt: { args: [P, P, u32, P, P, u32, P, u32, P, u32], returns: i32 },
  BCryptDestroyKey: { args: [P], returns: i32 },
} as const;

type Lib = ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"];

/** CNG's names are NUL-terminated UTF-16 strings. */
const wide = (s: string) => Buffer.from(`${s}\0`, "utf16le");

const STATUS_AUTH_TAG_MISMATCH = 0xc000a002 | 0;
const NONCE_LEN = 12;

/**
 * BCRYPT_AUTHENTICATED_CIPHER_MODE_INFO as x64 Windows lays it out
 * (bcrypt.h; each pointer 8-aligned), in 32-bit words:
 *   0 cbSize  1 dwInfoVersion  2-3 pbNonce  4 cbNonce  6-7 pbAuthData
 *   8 cbAuthData  10-11 pbTag  12 cbTag  14-15 pbMacContext
 *   16 cbMacContext  17 cbAAD  18-19 cbData  20 dwFlags  (88 bytes)
 */
const INFO_BYTES = 88;
const INFO = {
  cbSize: 0,
  dwInfoVersion: 1,
  pbNonce: 2,
  cbNonce: 4,
  pbAuthData: 6,
  cbAuthData: 8,
  pbTag: 10,
  cbTag: 12,
  macContextToFlags: 14,
} as const;
const BCRYPT_AUTHENTICATED_CIPHER_MODE_INFO_VERSION = 1;

/** `address` into words i, i+1 of `words` (little-endian), without a BigInt. */
function setPointer(words: Uint32Array, i: number, address: number): void {
  words[i] = address >>> 0;
  words[i + 1] = Math.floor(address / 0x1_0000_0000);
}

const hexStatus = (status: number) => `NTSTATUS 0x${(status >>> 0).toString(16).padStart(8, "0")}`;

/** The CNG engine, or the reason there is none. */
export function bcryptGcm(): GcmEngine | string {
  let lib: Lib;
  try {
    lib = dlopen("bcrypt.dll", SYMBOLS).symbols;
  } catch (e) {
    return `bcrypt.dll could not be loaded (${(e as Error).message.split("\n")[0]})`;
  }
  const handleOut = new Uint8Array(8);
  let status = lib.BCryptOpenAlgorithmProvider(handleOut, wide("AES"), null, 0);
  if (status !== 0) return `bcrypt.dll has no AES provider (BCryptOpenAlgorithmProvider: ${hexStatus(status)})`;
  // kept for the life of the process: every context's key comes from it
  const aes = read.ptr(ptr(handleOut), 0) as Pointer;
  const gcm = wide("ChainingModeGCM");
  status = lib.BCryptSetProperty(aes, wide("ChainingMode"), gcm, gcm.length, 0);
  if (status !== 0) return `bcrypt.dll's AES has no GCM mode (BCryptSetProperty: ${hexStatus(status)})`;
  const word = new Uint32Array(1);
  status = lib.BCryptGetProperty(aes, wide("ObjectLength"), word, 4, handleOut, 0);
  if (status !== 0) return `bcrypt.dll does not say how large a key is (BCryptGetProperty: ${hexStatus(status)})`;
  const keyObjectBytes = word[0] as number;

  // One call at a time (the event loop's thread): every context shares the
  // mode info, the nonce it points to and the result word. The info and the
  // result are passed to each call as arrays, which Bun turns into their
  // address at that moment. The nonce's address is written into the info
  // once, so it lives in an ArrayBuffer of its own (a small typed array made
  // by length keeps its bytes in the collector's heap, and the JIT moves them
  // out when it compiles a function that uses it) and describe() keeps it
  // reachable: an array reachable only through an address taken from it is
  // collected, and CNG would then write into freed memory.
  const info = new Uint32Array(INFO_BYTES / 4);
  const nonce = new Uint8Array(new ArrayBuffer(NONCE_LEN));
  info[INFO.cbSize] = INFO_BYTES;
  info[INFO.dwInfoVersion] = BCRYPT_AUTHENTICATED_CIPHER_MODE_INFO_VERSION;
  setPointer(info, INFO.pbNonce, ptr(nonce));
  info[INFO.cbNonce] = NONCE_LEN;
  info[INFO.cbTag] = TAG_LEN;
  const result = new Uint32Array(1);
  /** A key handle and the memory CNG keeps that key in (ours, so we can wipe it). */
  interface Keyed {
    handle: Pointer;
    object: Uint8Array;
  }
  const destroy = (k: Keyed) => {
    lib.BCryptDestroyKey(k.handle);
    k.object.fill(0);
  };
  // a key a collected CipherState left behind (dropped without erase) is
  // still destroyed; the registry holds its memory until then
  const orphans = new FinalizationRegistry<Keyed>(destroy);

  /** Points the mode info at this call's nonce, associated data and tag. */
  function describe(n: Uint8Array, ad: Uint8Array, tagAt: Pointer): void {
    if (n.length !== NONCE_LEN) throw new RangeError(`"nonce" expected ${NONCE_LEN} bytes, got length=${n.length}`);
    nonce.set(n);
    if (ad.length > 0) setPointer(info, INFO.pbAuthData, ptr(ad));
    else setPointer(info, INFO.pbAuthData, 0);
    info[INFO.cbAuthData] = ad.length;
    setPointer(info, INFO.pbTag, tagAt);
    // pbMacContext, cbMacContext, cbAAD, cbData, dwFlags: no chained calls
    info.fill(0, INFO.macContextToFlags);
  }

  class CngContext implements GcmContext {
    private key: Keyed | null;
    constructor(secret: Uint8Array) {
      if (secret.length < AES_KEY_LEN) throw new RangeError(`"key" expected 32 bytes, got length=${secret.length}`);
      // CNG keeps the key schedule in memory we give it (an ArrayBuffer of
      // its own, which never moves), so free() can overwrite it afterwards
      const object = new Uint8Array(new ArrayBuffer(keyObjectBytes));
      const rc = lib.BCryptGenerateSymmetricKey(aes, handleOut, object, keyObjectBytes, secret, AES_KEY_LEN, 0);
      if (rc !== 0) throw new Error(`Windows CNG AES-256-GCM: BCryptGenerateSymmetricKey failed (${hexStatus(rc)})`);
      this.key = { handle: read.ptr(ptr(handleOut), 0) as Pointer, object };
      orphans.register(this, this.key, this);
    }

    sealAt(n: Uint8Array, ad: Uint8Array, buf: Uint8Array, p: number, len: number): void {
      const key = this.live();
      const at = ptr(buf, p);
      describe(n, ad, ptr(buf, p + len));
      const rc = lib.BCryptEncrypt(key, at, len, info, null, 0, at, len, result, 0);
      if (rc !== 0) throw new Error(`Windows CNG AES-256-GCM: BCryptEncrypt failed (${hexStatus(rc)})`);
    }

    openAt(n: Uint8Array, ad: Uint8Array, buf: Uint8Array, p: number, len: number): boolean {
      const key = this.live();
      const at = ptr(buf, p);
      describe(n, ad, ptr(buf, p + len));
      const rc = lib.BCryptDecrypt(key, at, len, info, null, 0, at, len, result, 0);
      if (rc === 0) return true;
      if (rc !== STATUS_AUTH_TAG_MISMATCH) {
        throw new Error(`Windows CNG AES-256-GCM: BCryptDecrypt failed (${hexStatus(rc)})`);
      }
      // whether CNG decrypted before it compared the tags is its business: no unverified plaintext stays
      if (len > 0) buf.fill(0, p, p + len);
      return false;
    }

    free(): void {
      if (!this.key) return;
      orphans.unregister(this);
      destroy(this.key);
      this.key = null;
    }

    private live(): Pointer {
      if (!this.key) throw new Error("Windows CNG AES-256-GCM: context used after free");
      return this.key.handle;
    }
  }

  return { name: "Windows CNG (bcrypt.dll)", keyed: (key) => new CngContext(key) };
}
