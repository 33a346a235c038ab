/**
 * Crypto microbenchmark: MB/s of payload sealed and opened in 1400-byte
 * frames (MAC + keystream), through WebAssembly in place (the data path),
 * through WebAssembly with copies in and out, and through plain TypeScript.
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

const rows: [string, number, number][] = [
  ["speck wasm, in place", ...inPlace(speck)],
  ["speck wasm, copying API", ...viaInterface(speck.direction)],
  ["speck plain TypeScript", ...viaInterface(speckRef.direction)],
  ["gimli wasm (SIMD), in place", ...inPlace(gimli)],
  ["gimli wasm (SIMD), copying API", ...viaInterface(gimli.direction)],
  ["gimli plain TypeScript", ...viaInterface(gimliRef.direction)],
];

if (values.json) {
  console.log(JSON.stringify({ frame: SIZE, results: rows.map(([name, seal, open]) => ({ name, seal, open })) }));
} else {
  console.log(`frames of ${SIZE} bytes, MB/s of payload (1 MB = 10^6 bytes), ${SECONDS}s each`);
  console.table(
    rows.map(([path, seal, open]) => ({ path, "seal MB/s": +seal.toFixed(1), "open MB/s": +open.toFixed(1) })),
  );
}
