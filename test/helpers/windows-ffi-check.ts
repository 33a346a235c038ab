/**
 * A program the Wine test builds for Windows and runs under Wine: the
 * contract checks of the in-place AES-GCM engines (test/unit/aes-gcm.test.ts
 * runs them on Linux against OpenSSL) applied to Windows CNG, and the one
 * fact about bun:ffi that platform/windows/net.ts relies on (a SOCKET given
 * as a plain number reaches Winsock whole). Prints one JSON object, which
 * the test asserts on; it does not judge anything itself.
 */
import { GcmNonce, gcmDisagreement, nodeGcm, TAG_LEN } from "../../src/crypto/aes-gcm.ts";
import { WasmHeap } from "../../src/crypto/heap.ts";
import { bcryptGcm } from "../../src/platform/windows/bcrypt-gcm.ts";
import { ws2 } from "../../src/platform/windows/ws2.ts";

const hex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const EMPTY = new Uint8Array(0);
const report: Record<string, unknown> = {};

const engine = bcryptGcm();
report.engine = typeof engine === "string" ? `none: ${engine}` : engine.name;
if (typeof engine !== "string") {
  report.disagreement = gcmDisagreement(engine, nodeGcm) ?? null;

  // McGrew and Viega's AES-256-GCM test case 16 (60 bytes, 20 bytes of associated data)
  const ctx = engine.keyed(hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"));
  const iv = hex("cafebabefacedbaddecaf888");
  const ad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  const plain = hex(
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
  );
  const buf = new Uint8Array(plain.length + TAG_LEN);
  buf.set(plain);
  ctx.sealAt(iv, ad, buf, 0, plain.length);
  report.vector16 = toHex(buf);
  report.vector16Opens =
    ctx.openAt(iv, ad, buf, 0, plain.length) && toHex(buf.subarray(0, plain.length)) === toHex(plain);

  // every flipped bit is refused, and no 6 bytes of the plaintext stay where they were
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
  report.flippedBits = { tried: sealed.length * 8, opened, leaked };
  ctx.free();
  try {
    ctx.sealAt(nonce.set(8), EMPTY, sealed, 0, secret.length);
    report.afterFree = "sealed";
  } catch (e) {
    report.afterFree = (e as Error).message;
  }

  // nothing is written outside the frame: small arrays made right after a
  // full collection (they take the cells it freed) keep their contents
  Bun.gc(true);
  const sentinels = Array.from({ length: 20000 }, () => new Uint32Array(1).fill(0xdeadbeef));
  const frame = new Uint8Array(1400 + TAG_LEN);
  const busy = engine.keyed(new Uint8Array(32));
  for (let i = 0; i < 1000; i++) {
    busy.sealAt(nonce.set(i), EMPTY, frame, 0, 1 + (i % 1399));
    busy.openAt(nonce.set(i), EMPTY, frame, 0, 1 + (i % 1399));
  }
  busy.free();
  report.strayWrites = sentinels.filter((a) => a[0] !== 0xdeadbeef).length;

  // frames at odd offsets of the WebAssembly heap, which grows (and moves) on the way
  const heap = new WasmHeap();
  let seed = 0x2545f491;
  const next = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  let frames = 0;
  let differ = 0;
  const startBytes = heap.memory.buffer.byteLength;
  for (let i = 0; i < 200; i++) {
    const key = Uint8Array.from({ length: 32 }, () => next(256));
    const body = Uint8Array.from({ length: next(3000) }, () => next(256));
    const aad = Uint8Array.from({ length: next(3) === 0 ? 0 : next(40) }, () => next(256));
    const offset = next(5000);
    const n = next(2 ** 30) * 4096;
    const a = engine.keyed(key);
    const b = nodeGcm.keyed(key);
    const at = heap.alloc(offset + body.length + TAG_LEN) + offset;
    if (i % 20 === 0) heap.alloc(1 << 20); // grows the memory: views are fetched again below
    const view = heap.u8();
    view.set(body, at);
    a.sealAt(nonce.set(n), aad, view, at, body.length);
    const theirs = new Uint8Array(body.length + TAG_LEN);
    theirs.set(body);
    b.sealAt(nonce.set(n), aad, theirs, 0, body.length);
    if (toHex(view.subarray(at, at + body.length + TAG_LEN)) !== toHex(theirs)) differ++;
    else if (!a.openAt(nonce.set(n), aad, view, at, body.length)) differ++;
    else if (toHex(view.subarray(at, at + body.length)) !== toHex(body)) differ++;
    frames++;
    a.free();
    b.free();
  }
  report.heapFrames = { frames, differ, grew: heap.memory.buffer.byteLength > startBytes };
}

// SO_TYPE of a TCP socket through its handle as a number, then through the
// handle plus 2^32: refused (WSAENOTSOCK) if the whole 64 bits arrive
const w = ws2();
const sock = Number(w.socket(2, 1, 6));
const value = new Int32Array(1);
const size = new Int32Array(1);
const soType = (s: number) => {
  value[0] = 0;
  size[0] = 4;
  return w.getsockopt(s, 0xffff, 0x1008, value, size) === 0 ? value[0] : -w.WSAGetLastError();
};
report.socketAsNumber = soType(sock);
report.socketPlus2to32 = soType(sock + 2 ** 32);
w.closesocket(sock);
report.afterClose = soType(sock);

console.log(JSON.stringify(report));
