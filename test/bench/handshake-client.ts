/**
 * The client half of the handshake benchmark in `npm run bench`: opens
 * modern links to HOST:PORT with KEY, `--parallel` at a time, for
 * `--seconds`; each completes the handshake, sends its first frame (which
 * confirms the key to the listener) and closes. Prints one JSON line:
 * handshakes completed and the wall time.
 *
 *   bun test/bench/handshake-client.ts --host 10.77.0.1 --port 4700 --key K [--seconds 5] [--parallel 8]
 */
import { parseArgs } from "node:util";
import { sharedHeap } from "../../src/crypto/heap.ts";
import { linkPsk } from "../../src/crypto/link-psk.ts";
import { ModernSession } from "../../src/transport/codec/modern-session.ts";
import { encodePayload } from "../../src/transport/codec/modern-wire.ts";

const { values } = parseArgs({
  options: {
    host: { type: "string" },
    port: { type: "string" },
    key: { type: "string" },
    seconds: { type: "string", default: "5" },
    parallel: { type: "string", default: "8" },
  },
});
const psk = linkPsk(values.key ?? "");
const payload = encodePayload({ node: "handshake-bench" });
const heap = sharedHeap();
const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const flood = new Uint8Array(9 + 15);
flood.set(new TextEncoder().encode("handshake-bench"), 9);

const drain = (s: ModernSession) => {
  const { at, length } = s.writeSource();
  const out = heap.u8().slice(at, at + length);
  s.wrote(length);
  return out;
};

/** One handshake: resolves true once it is up and its first frame is sent. */
function once(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new ModernSession({ role: "connect", psks: [psk], payload, random, heap });
    let done = false;
    const finish = (ok: boolean, sock?: { end(): void }) => {
      if (done) return;
      done = true;
      sock?.end();
      s.dispose();
      resolve(ok);
    };
    Bun.connect({
      hostname: values.host as string,
      port: Number(values.port),
      socket: {
        open: (sock) => {
          sock.write(drain(s));
        },
        data: (sock, d) => {
          if (done) return;
          if (s.feed(new Uint8Array(d), { packet() {} })) return finish(false, sock);
          if (!s.established) return;
          new DataView(flood.buffer).setBigUint64(0, BigInt(Date.now()), true);
          s.send(flood, false);
          sock.write(drain(s));
          finish(true, sock);
        },
        close: () => finish(false),
        error: () => finish(false),
      },
    }).catch(() => finish(false));
  });
}

const t0 = performance.now();
const end = t0 + Number(values.seconds) * 1000;
let completed = 0;
let failed = 0;
await Promise.all(
  Array.from({ length: Number(values.parallel) }, async () => {
    while (performance.now() < end) {
      if (await once()) completed++;
      else failed++;
    }
  }),
);
console.log(JSON.stringify({ completed, failed, seconds: (performance.now() - t0) / 1000 }));
