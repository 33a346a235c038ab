/**
 * Contract checks of an in-place AES-GCM engine, shared by the Linux unit
 * test (OpenSSL) and the Windows program the Wine test runs (CNG). Each
 * returns what it found; the callers assert on it.
 */
import { type GcmContext, type GcmEngine, GcmNonce, TAG_LEN } from "../../src/crypto/aes-gcm.ts";
import { hex, toHex } from "./vectors.ts";

const EMPTY = new Uint8Array(0);

/** McGrew and Viega's AES-256-GCM test case 16 (60 bytes, 20 bytes of associated data). */
export const TEST_CASE_16 = {
  key: hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"),
  iv: hex("cafebabefacedbaddecaf888"),
  ad: hex("feedfacedeadbeeffeedfacedeadbeefabaddad2"),
  plain: hex(
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
  ),
  /** Ciphertext, then tag. */
  sealedHex:
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662" +
    "76fc6ece0f4e1768cddf8853bb2d551b",
};

/** Test case 16 sealed in place (hex), and whether opening gives the plaintext back. */
export function sealTestCase16(engine: GcmEngine): { sealed: string; opens: boolean } {
  const { key, iv, ad, plain } = TEST_CASE_16;
  const ctx = engine.keyed(key);
  const buf = new Uint8Array(plain.length + TAG_LEN);
  buf.set(plain);
  ctx.sealAt(iv, ad, buf, 0, plain.length);
  const sealed = toHex(buf);
  const opens = ctx.openAt(iv, ad, buf, 0, plain.length) && toHex(buf.subarray(0, plain.length)) === toHex(plain);
  ctx.free();
  return { sealed, opens };
}

/**
 * A frame sealed with nonce 7, then every one of its bits flipped in turn:
 * how many of those `ctx` opened, and how many 6-byte windows of the
 * plaintext a refused frame still held where they were. Also the sealed
 * frame and its plaintext, for further checks.
 */
export function flipEveryBit(ctx: GcmContext): {
  tried: number;
  opened: number;
  leaked: number;
  sealed: Uint8Array;
  secret: Uint8Array;
} {
  const nonce = new GcmNonce();
  const secret = new TextEncoder().encode("a secret that must not show up when the tag is wrong");
  const sealed = new Uint8Array(secret.length + TAG_LEN);
  sealed.set(secret);
  ctx.sealAt(nonce.set(7), EMPTY, sealed, 0, secret.length);
  let opened = 0;
  let leaked = 0;
  for (let bit = 0; bit < sealed.length * 8; bit++) {
    const b = sealed.slice();
    b[bit >> 3] = (b[bit >> 3] as number) ^ (1 << (bit & 7));
    if (ctx.openAt(nonce.set(7), EMPTY, b, 0, secret.length)) opened++;
    for (let i = 0; i + 6 <= secret.length; i++) {
      if (toHex(b.subarray(i, i + 6)) === toHex(secret.subarray(i, i + 6))) leaked++;
    }
  }
  return { tried: sealed.length * 8, opened, leaked, sealed, secret };
}

/**
 * 1,000 frames sealed and opened after a full collection made room for
 * 20,000 small arrays: how many of those arrays the engine wrote into (a
 * result word it reaches only through an address taken once would be
 * collected and land in their cells), and how many frames did not open.
 */
export function strayWrites(engine: GcmEngine): { stray: number; failedOpens: number } {
  const ctx = engine.keyed(new Uint8Array(32));
  Bun.gc(true);
  const sentinels = Array.from({ length: 20000 }, () => new Uint32Array(1).fill(0xdeadbeef));
  const nonce = new GcmNonce();
  const frame = new Uint8Array(1400 + TAG_LEN);
  let failedOpens = 0;
  for (let i = 0; i < 1000; i++) {
    ctx.sealAt(nonce.set(i), EMPTY, frame, 0, 1 + (i % 1399));
    if (!ctx.openAt(nonce.set(i), EMPTY, frame, 0, 1 + (i % 1399))) failedOpens++;
  }
  ctx.free();
  return { stray: sentinels.filter((a) => a[0] !== 0xdeadbeef).length, failedOpens };
}
