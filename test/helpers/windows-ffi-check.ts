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
import { flipEveryBit, sealTestCase16, strayWrites } from "./gcm-checks.ts";
import { toHex } from "./vectors.ts";

const EMPTY = new Uint8Array(0);
const report: Record<string, unknown> = {};

const engine = bcryptGcm();
report.engine = typeof engine === "string" ? `none: ${engine}` : engine.name;
if (typeof engine !== "string") {
  report.disagreement = gcmDisagreement(engine, nodeGcm) ?? null;

  const vector = sealTestCase16(engine);
  report.vector16 = vector.sealed;
  report.vector16Opens = vector.opens;

  const nonce = new GcmNonce();
  const ctx = engine.keyed(new Uint8Array(32).fill(9));
  const { tried, opened, leaked, sealed, secret } = flipEveryBit(ctx);
  report.flippedBits = { tried, opened, leaked };
  ctx.free();
  try {
    ctx.sealAt(nonce.set(8), EMPTY, sealed, 0, secret.length);
    report.afterFree = "sealed";
  } catch (e) {
    report.afterFree = (e as Error).message;
  }

  const stray = strayWrites(engine);
  report.strayWrites = stray.stray;
  report.failedOpens = stray.failedOpens;

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
