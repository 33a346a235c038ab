/**
 * Crypto microbenchmark: MB/s of payload sealed and opened in 1400-byte
 * frames: the legacy suites (MAC + keystream) through WebAssembly in place
 * (the data path), with copies in and out, and in plain TypeScript; the
 * modern link's AES-256-GCM (node:crypto) in place. Then the modern
 * handshake's cost per role (X25519 and AES-GCM native, ML-KEM-768 from
 * @noble/post-quantum), as handshakes per second of one core.
 *
 *   npm run bench:crypto            (bun test/bench/crypto.ts [--seconds N] [--json])
 */
import { parseArgs } from "node:util";
import {
  FRAME_OVERHEAD,
  type FrameCipher,
  gimli,
  gimliRef,
  type LegacySuite,
  sharedHeap,
  speck,
  speckRef,
} from "../../src/crypto/index.ts";
import { CipherState } from "../../src/crypto/noise/cipher-state.ts";
import { HandshakeState, NN_HFS_PSK0 } from "../../src/crypto/noise/handshake-state.ts";
import { MAGIC } from "../../src/transport/codec/modern-wire.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "1" },
    size: { type: "string", default: "1400" },
    json: { type: "boolean" },
  },
});
const SECONDS = Number(values.seconds);
const SIZE = Number(values.size);

function measure(fn: () => void): number {
  for (let i = 0; i < 200; i++) fn(); // warm up the JIT
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < SECONDS * 1000) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    t = performance.now();
  }
  return (n * SIZE) / ((t - t0) / 1000) / 1e6;
}

const enc = crypto.getRandomValues(new Uint8Array(16));
const mac = crypto.getRandomValues(new Uint8Array(16));
const payload = crypto.getRandomValues(new Uint8Array(SIZE));

/** WebAssembly, frames sealed and opened where they lie in wasm memory (the data path). */
function inPlace(suite: LegacySuite): [number, number] {
  const heap = sharedHeap();
  const tx = suite.direction(enc, mac);
  const frame = heap.alloc(SIZE + FRAME_OVERHEAD);
  heap.u8().set(payload, frame + 2);
  const seal = measure(() => {
    tx.sealAt(frame, SIZE);
  });
  // open: a valid stream, one frame decrypted and verified per call
  const opener = suite.direction(enc, mac);
  opener.prefetch(); // what a link's receiving direction does
  const sealer = suite.direction(enc, mac);
  const open = measure(() => {
    sealer.sealAt(frame, SIZE);
    opener.xorAt(frame, SIZE + FRAME_OVERHEAD);
    if (!opener.verifyAt(frame + 2, SIZE)) throw new Error("MAC failed in benchmark");
  });
  // the open loop also sealed each frame: subtract the sealing time
  const openOnly = 1 / (1 / open - 1 / seal);
  for (const c of [tx, opener, sealer]) c.dispose();
  heap.release(frame, SIZE + FRAME_OVERHEAD);
  return [seal, openOnly];
}

/** Through the copying FrameCipher interface (Uint8Array in, Uint8Array out). */
function viaInterface(make: (e: Uint8Array, m: Uint8Array) => FrameCipher): [number, number] {
  const tx = make(enc, mac);
  const seal = measure(() => {
    tx.seal(payload);
  });
  const sealer = make(enc, mac);
  const opener = make(enc, mac);
  const open = measure(() => {
    const f = sealer.seal(payload);
    opener.xor(f);
    if (!opener.verify(f.subarray(2, 2 + SIZE), f.subarray(2 + SIZE))) throw new Error("MAC failed in benchmark");
  });
  const openOnly = 1 / (1 / open - 1 / seal);
  for (const c of [tx, sealer, opener]) c.dispose();
  return [seal, openOnly];
}

/** The modern link's AES-256-GCM, sealed and opened in place in the shared heap. */
function modernInPlace(): [number, number] {
  const heap = sharedHeap();
  const key = crypto.getRandomValues(new Uint8Array(32));
  const [tx, sealer, opener] = [new CipherState(), new CipherState(), new CipherState()];
  for (const c of [tx, sealer, opener]) c.initializeKey(key);
  const frame = heap.alloc(SIZE + 16);
  heap.u8().set(payload, frame);
  const none = new Uint8Array(0);
  const seal = measure(() => {
    tx.encryptAt(none, heap.u8(), frame, SIZE);
  });
  const open = measure(() => {
    sealer.encryptAt(none, heap.u8(), frame, SIZE);
    if (!opener.decryptAt(none, heap.u8(), frame, SIZE)) throw new Error("tag failed in benchmark");
  });
  heap.release(frame, SIZE + 16);
  return [seal, 1 / (1 / open - 1 / seal)];
}

/** Handshakes per second of one core for each step of the modern handshake. */
function handshakeRates(): { step: string; perSecond: number }[] {
  const psk = crypto.getRandomValues(new Uint8Array(32));
  const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
  const payload = new TextEncoder().encode('{"node":"bench"}');
  const make = (initiator: boolean) =>
    new HandshakeState({ pattern: NN_HFS_PSK0, initiator, prologue: MAGIC, psk, random });
  const rate = (fn: () => void) => {
    for (let i = 0; i < 20; i++) fn();
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < SECONDS * 1000) {
      fn();
      n++;
    }
    return n / ((performance.now() - t0) / 1000);
  };
  const m1 = make(true).writeMessage(payload) as Uint8Array;
  const listener = rate(() => {
    const l = make(false);
    l.readMessage(m1);
    l.writeMessage(payload);
    l.split();
  });
  const connectorWrite = rate(() => make(true).writeMessage(payload));
  // reading message 2 needs a fresh handshake each time: time a batch made beforehand
  const pairs = Array.from({ length: 300 }, () => {
    const c = make(true);
    const l = make(false);
    l.readMessage(c.writeMessage(payload) as Uint8Array);
    return [c, l.writeMessage(payload) as Uint8Array] as const;
  });
  const t0 = performance.now();
  for (const [c, m2] of pairs) c.readMessage(m2);
  const connectorRead = pairs.length / ((performance.now() - t0) / 1000);
  return [
    { step: "listener: read message 1, write message 2 (encapsulate), split", perSecond: listener },
    { step: "connector: write message 1 (ML-KEM keygen)", perSecond: connectorWrite },
    { step: "connector: read message 2 (decapsulate)", perSecond: connectorRead },
  ];
}

const rows: [string, number, number][] = [
  ["modern AES-256-GCM (node:crypto), in place", ...modernInPlace()],
  ["speck wasm, in place", ...inPlace(speck)],
  ["speck wasm, copying API", ...viaInterface(speck.direction)],
  ["speck plain TypeScript", ...viaInterface(speckRef.direction)],
  ["gimli wasm (SIMD), in place", ...inPlace(gimli)],
  ["gimli wasm (SIMD), copying API", ...viaInterface(gimli.direction)],
  ["gimli plain TypeScript", ...viaInterface(gimliRef.direction)],
];

const handshakes = handshakeRates();
if (values.json) {
  console.log(
    JSON.stringify({ frame: SIZE, results: rows.map(([name, seal, open]) => ({ name, seal, open })), handshakes }),
  );
} else {
  console.log(`frames of ${SIZE} bytes, MB/s of payload (1 MB = 10^6 bytes), ${SECONDS}s each`);
  console.table(
    rows.map(([path, seal, open]) => ({ path, "seal MB/s": +seal.toFixed(1), "open MB/s": +open.toFixed(1) })),
  );
  console.log("modern handshake, one core:");
  console.table(handshakes.map((h) => ({ step: h.step, "per second": Math.round(h.perSecond) })));
}
