/**
 * The hostile-peer benchmark: each attack against a relay (the built
 * dist/smolmesh, on loopback, default limits) while two good peers
 * exchange data through it, and what the relay held and counted.
 *
 *   lockout   200 connections from 127.0.0.1 that send one byte and stay
 *             silent, then a good peer from ::1: did it get in, and how fast
 *   names     a key holder announces NAMES never-seen names over SECONDS
 *             (default 300,000 in 50 s): the relay's RSS, routes held,
 *             what it dropped, how many log lines it wrote
 *   together  a listener and a connector started at the same moment (the
 *             connector first): time until the link is up
 *
 * For each: whether the good path held (data packets sent every 20 ms
 * from one good peer to the other through the relay, share delivered).
 *
 *   npm run bench:hostile [-- --names 300000 --seconds 50 --only together|lockout|names --json]
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "../helpers/binary.ts";
import { ipv6Datagram, meshIpv6, meshPacket } from "../helpers/legacy-peer.ts";
import { ModernPeer } from "../helpers/modern-peer.ts";
import { freePort, NodeProc, stopAll, waitFor } from "../helpers/node-proc.ts";

const { values } = parseArgs({
  options: {
    names: { type: "string", default: "300000" },
    seconds: { type: "string", default: "50" },
    json: { type: "boolean", default: false },
    bin: { type: "string" },
    // internal: the flooding key holder, run in a process of its own so the good peers are not starved
    flood: { type: "string" },
    only: { type: "string" },
  },
});
const NAMES = Number(values.names);
const SECONDS = Number(values.seconds);
const BIN = values.bin ?? join(ROOT, "dist/smolmesh");
const KEY = "hostile-bench";
const te = new TextEncoder();
const log = (s: string) => {
  if (!values.json) process.stderr.write(`${s}\n`);
};

/** From /proc (VmHWM would count scrypt's 32 MiB at a modern node's start-up). */
const kib = (pid: number, field: "VmRSS") =>
  Number(readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp(`${field}:\\s+(\\d+)`))?.[1] ?? 0);

function relayNode(port: number, name = "bench-relay"): NodeProc {
  return new NodeProc(
    name,
    { node_name: name, transports: [{ type: "tcp_listen", port, keys: [KEY], legacy: true }] },
    [],
    {
      command: [BIN],
    },
  );
}

async function relayStatus(n: NodeProc): Promise<{
  node: { memory: { rssBytes: number; heapBytes: number } };
  routes: unknown[];
  router: Record<string, number>;
  handshakes: { pending: number; displaced: number };
}> {
  const p = Bun.spawn([BIN, "status", "--json", "--socket", n.controlSocket], { stdout: "pipe" });
  return JSON.parse(await new Response(p.stdout).text());
}

/** Two good peers through the relay: one sends a data packet to the other every 20 ms. */
async function goodPath(port: number) {
  const a = await ModernPeer.connect(port, KEY, "good-a");
  const b = await ModernPeer.connect(port, KEY, "good-b");
  b.announce("good-b");
  await a.until(() => a.received(0, "good-b").length > 0, 15_000, "good-b's flood at good-a");
  let sent = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    a.send(meshPacket(3, ipv6Datagram(meshIpv6("good-a"), meshIpv6("good-b"), te.encode(`n${sent++}`))));
    // and flood their names every 5 s, as nodes do: a route silent for 30 s carries no traffic
    if (++ticks % 250 === 0) {
      a.announce("good-a");
      b.announce("good-b");
    }
  }, 20);
  return {
    get sent() {
      return sent;
    },
    /** Stops sending; the share delivered, counting what arrives within 3 s after the last send. */
    async stop(): Promise<number> {
      clearInterval(timer);
      await b.until(() => b.received(3).length >= sent, 3000, "the last data packets").catch(() => {});
      const got = b.received(3).length;
      a.close();
      b.close();
      return sent ? got / sent : 0;
    },
    reset() {
      sent = 0;
      b.packets.length = 0;
    },
  };
}

type Row = Record<string, string | number | boolean>;

async function lockout(): Promise<Row> {
  const port = await freePort();
  const relay = relayNode(port);
  await relay.waitLog(/listening on/, 20_000);
  const path = await goodPath(port);
  path.reset();
  const socks = [];
  for (let i = 0; i < 200; i++) {
    socks.push(
      await Bun.connect({
        hostname: "127.0.0.1",
        port,
        socket: { open: (s) => void s.write(Uint8Array.of(1)), data() {} },
      }),
    );
  }
  const t0 = performance.now();
  let gotIn = true;
  try {
    const p = await ModernPeer.connect(port, KEY, "latecomer", 5000, "::1");
    p.close();
  } catch {
    gotIn = false;
  }
  const ms = performance.now() - t0;
  const s = await relayStatus(relay);
  for (const c of socks) c.end();
  const delivered = await path.stop();
  const row = {
    attack: "200 silent connections from one address",
    "good peer from another address got in": gotIn,
    "its handshake (ms)": Math.round(ms),
    "pending / displaced handshakes": `${s.handshakes.pending} / ${s.handshakes.displaced}`,
    "relay RSS after (MiB)": +(kib(relay.pid, "VmRSS") / 1024).toFixed(1),
    "good path delivered": `${(delivered * 100).toFixed(1)}%`,
  };
  await relay.stop();
  return row;
}

/** The flooder's own process: NAMES new names over SECONDS to PORT, paced in 100 ms steps; prints the seconds it took. */
async function flood(port: number): Promise<void> {
  const flooder = await ModernPeer.connect(port, KEY, "flooder");
  const t0 = performance.now();
  let sent = 0;
  while (sent < NAMES) {
    const due = Math.min(NAMES, Math.ceil((NAMES * (performance.now() - t0)) / (SECONDS * 1000)) + 1);
    while (sent < due) flooder.send(meshPacket(0, te.encode(`hostile-${sent++}`)));
    await flooder.drained(60_000);
    await new Promise((r) => setTimeout(r, 100)); // pacing of the attack, not a wait for readiness
  }
  flooder.close();
  console.log((performance.now() - t0) / 1000);
}

async function names(): Promise<Row> {
  const port = await freePort();
  const relay = relayNode(port);
  await relay.waitLog(/listening on/, 20_000);
  const path = await goodPath(port);
  // a modern node's start-up briefly holds scrypt's 32 MiB: measure from where its RSS settles
  let last = Number.POSITIVE_INFINITY;
  await waitFor(
    () => {
      const now = kib(relay.pid, "VmRSS");
      const settled = now > last - 512;
      last = now;
      return settled;
    },
    30_000,
    "the relay's RSS to settle",
    1000,
  );
  const before = kib(relay.pid, "VmRSS");
  let peak = before;
  path.reset();
  const flooder = Bun.spawn(
    [
      process.execPath,
      import.meta.path,
      "--flood",
      String(port),
      "--names",
      String(NAMES),
      "--seconds",
      String(SECONDS),
    ],
    { stdout: "pipe", stderr: "inherit" },
  );
  const timeline: number[] = [];
  const sampler = setInterval(() => {
    const now = kib(relay.pid, "VmRSS");
    peak = Math.max(peak, now);
    if (timeline.length < 10 * (SECONDS + 10)) timeline.push(now);
  }, 100);
  const seconds = Number((await new Response(flooder.stdout).text()).trim());
  clearInterval(sampler);
  const s = await relayStatus(relay);
  const delivered = await path.stop();
  const lines = relay.log.split("\n").length;
  const row = {
    attack: `${NAMES.toLocaleString("en")} new names in ${seconds.toFixed(0)} s from one key holder`,
    "relay RSS before (MiB)": +(before / 1024).toFixed(1),
    "relay RSS at most, sampled every 100 ms (MiB)": +(peak / 1024).toFixed(1),
    "relay RSS every 5 s (MiB)": timeline
      .filter((_, i) => i % 50 === 49)
      .map((k) => (k / 1024).toFixed(0))
      .join(" "),
    "relay JavaScript heap at the end (MiB)": +(s.node.memory.heapBytes / 1048576).toFixed(1),
    "routes held": s.routes.length,
    "dropped: rate / cap": `${s.router.destinationsRateLimited} / ${s.router.destinationsFull}`,
    "relay log lines": lines,
    "relay packets dropped for full queues": s.router.sendDropped ?? 0,
    "good data sent / forwarded by the relay": `${path.sent} / ${s.router.dataForwarded}`,
    "good path delivered": `${(delivered * 100).toFixed(1)}%`,
  };
  await relay.stop();
  return row;
}

async function together(): Promise<Row> {
  const port = await freePort();
  const connector = new NodeProc(
    "together-c",
    { node_name: "together-c", transports: [{ type: "tcp_connect", host: "127.0.0.1", port, key: KEY }] },
    [],
    { command: [BIN] },
  );
  const t0 = performance.now();
  const listener = relayNode(port, "together-l");
  await waitFor(() => /link \d+ up/.test(connector.log), 20_000, "the link to come up");
  const ms = performance.now() - t0;
  const retried = (connector.log.match(/next try in/g) ?? []).length;
  await connector.stop();
  await listener.stop();
  return {
    attack: "listener and connector started together",
    "link up after (ms)": Math.round(ms),
    "failed attempts before it": retried,
  };
}

if (values.flood) {
  await flood(Number(values.flood));
  process.exit(0);
}

const rows: Row[] = [];
try {
  for (const [name, fn] of [
    ["together", together],
    ["lockout", lockout],
    ["names", names],
  ] as const) {
    if (values.only && values.only !== name) continue;
    log(`${name}...`);
    const r = await fn();
    log(`  ${JSON.stringify(r)}`);
    rows.push(r);
  }
} finally {
  await stopAll();
}
if (values.json) console.log(JSON.stringify({ date: new Date().toISOString(), rows }));
else {
  console.log(`\n${new Date().toISOString().slice(0, 10)}, loopback, ${BIN}`);
  for (const r of rows) {
    console.log(`\n${r.attack}`);
    for (const [k, v] of Object.entries(r)) if (k !== "attack") console.log(`  ${k}: ${v}`);
  }
}
