/**
 * The soak benchmark (root): does a node's memory stay flat over time
 * under traffic, peer churn and bad peers? Three namespaces in a line:
 *
 *   soak-a (TUN) ──veth── soak-r (relay, listens) ──veth── soak-b (TUN)
 *
 * For --minutes M: UDP through the relay from A to B (iperf3, 30 s runs
 * back to back) and pings; node B restarted every --restart S seconds
 * (the relay and A lose it and learn it again); and from A's namespace,
 * every second, one bad or short-lived peer at the relay, in turn: random
 * bytes, a wrong key, a peer with the right key that announces a name
 * never seen before and leaves (a new route and flood for the relay to
 * hold until they expire), one that sends frames with bad MACs, and a
 * silent one left to the handshake deadline. Each node's RSS (/proc) and
 * JavaScript heap (its own `status`) are read every 5 s; the report gives
 * both after the first minute, at the end, their peak, their lowest in
 * the first and the last third of the run after its first minute (what
 * is live: the heap falls back at each full collection), their slope
 * over the second half (KiB per minute), and the relay's counters.
 *
 *   npm run bench:soak [-- --minutes 10 --restart 120 --gc-log --json]
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Subprocess } from "bun";
import { nameToIpv6Text } from "../../src/addr/node-name.ts";
import { ROOT } from "../helpers/binary.ts";
import { LegacyPeer, meshPacket } from "../helpers/legacy-peer.ts";
import { addNamespace, cleanup, isRoot, link } from "../helpers/netns.ts";
import { NodeProc, stopAll, waitFor } from "../helpers/node-proc.ts";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    restart: { type: "string", default: "120" },
    json: { type: "boolean", default: false },
    bin: { type: "string" },
    // the nodes log every garbage collection (JavaScriptCore's logGC) and
    // the report counts their full collections
    "gc-log": { type: "boolean", default: false },
    // internal: the bad-peer loop, run inside A's namespace
    "bad-peers": { type: "string" },
  },
});
const PORT = 4810;
const KEY = "soak";

if (values["bad-peers"]) {
  await badPeers(values["bad-peers"]);
  process.exit(0);
}

/**
 * One bad or short-lived peer a second at HOST, in turn, until killed.
 * Prints, every 5 s, how many of each kind went as expected and how many
 * did not (`unexpected`).
 */
async function badPeers(host: string): Promise<never> {
  const counts = { garbage: 0, wrongKey: 0, newName: 0, badMac: 0, silent: 0, unexpected: 0 };
  const silent: { end(): void }[] = [];
  const raw = async (bytes: Uint8Array) => {
    const sock = await Bun.connect({ hostname: host, port: PORT, socket: { data() {} } });
    sock.write(bytes);
    return sock;
  };
  setInterval(() => console.log(JSON.stringify(counts)), 5000);
  for (let i = 0; ; i++) {
    const t0 = performance.now();
    try {
      switch (i % 5) {
        case 0: {
          const sock = await raw(crypto.getRandomValues(new Uint8Array(1 + Math.floor(Math.random() * 4096))));
          setTimeout(() => sock.end(), 500);
          counts.garbage++;
          break;
        }
        case 1:
          try {
            (await LegacyPeer.connect(PORT, "not the key", host, 3000)).close();
            counts.unexpected++;
          } catch (e) {
            // refused by the relay, not a connection that failed
            if (String(e).includes("closed the connection during the handshake")) counts.wrongKey++;
            else counts.unexpected++;
          }
          break;
        case 2: {
          const p = await LegacyPeer.connect(PORT, KEY, host, 3000);
          p.announce(`soak-passer-by-${i}`);
          await p.drained();
          setTimeout(() => p.close(), 500);
          counts.newName++;
          break;
        }
        case 3: {
          const p = await LegacyPeer.connect(PORT, KEY, host, 3000);
          for (let k = 0; k < 20; k++) p.sendTampered(meshPacket(3, crypto.getRandomValues(new Uint8Array(200))));
          await p.until(() => p.closed, 3000, "the relay to drop a peer with bad MACs");
          counts.badMac++;
          break;
        }
        case 4:
          // the relay drops it at its handshake deadline (10 s); at most 20 open
          silent.push(await raw(new Uint8Array(0)));
          if (silent.length > 20) silent.shift()?.end();
          counts.silent++;
          break;
      }
    } catch {
      counts.unexpected++;
    }
    await Bun.sleep(Math.max(0, 1000 - (performance.now() - t0))); // the schedule: one peer a second
  }
}

/** Least-squares slope of ys over xs. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    den += ((xs[i] as number) - mx) ** 2;
  }
  return den ? num / den : 0;
}

if (!isRoot) {
  console.error("bench:soak: needs root (network namespaces and TUN devices)");
  process.exit(1);
}
const MINUTES = Number(values.minutes);
const RESTART_S = Number(values.restart);
if (!(MINUTES >= 2) || !(RESTART_S >= 20)) {
  console.error("bench:soak: --minutes must be at least 2 and --restart at least 20");
  process.exit(2);
}
const bin = values.bin ?? join(ROOT, "dist/smolmesh");
const log = (s: string) => {
  if (!values.json) process.stderr.write(`${s}\n`);
};
const gcEnv: Record<string, string> = values["gc-log"] ? { BUN_JSC_logGC: "1" } : {};
const helpers: Subprocess[] = [];
const teardown = async () => {
  for (const p of helpers) p.kill("SIGKILL");
  await stopAll();
  cleanup();
};
process.on("SIGINT", async () => {
  await teardown();
  process.exit(130);
});

try {
  const [nsA, nsR, nsB] = [addNamespace("soak-a"), addNamespace("soak-r"), addNamespace("soak-b")] as [
    string,
    string,
    string,
  ];
  const [, rAddrA] = link(nsA, nsR, 241);
  const [rAddrB] = link(nsR, nsB, 242);
  const relay = new NodeProc(
    "soak-r",
    { node_name: "soak-r", transports: [{ type: "legacy_tcp_listen", port: PORT, keys: [KEY] }] },
    [],
    { netns: nsR, command: [bin], env: gcEnv },
  );
  await relay.waitLog(/listening on/, 10_000);
  const tunNode = (name: string, ns: string, host: string, ipv4: string) =>
    new NodeProc(
      name,
      {
        node_name: name,
        ipv4_addresses: [ipv4],
        linux_tuntap: true,
        transports: [{ type: "legacy_tcp_connect", host, port: PORT, key: KEY }],
      },
      [],
      { netns: ns, command: [bin], env: gcEnv },
    );
  const a = tunNode("soak-a", nsA, rAddrA, "10.243.0.1");
  let b = tunNode("soak-b", nsB, rAddrB, "10.243.0.2");
  const bAddr = nameToIpv6Text("soak-b");
  const reachable = () =>
    spawnSync("ip", ["netns", "exec", nsA, "ping", "-n", "-c", "1", "-W", "0.3", bAddr]).status === 0;
  await waitFor(reachable, 30_000, "A to reach B through the relay");
  log(`mesh up; soaking for ${MINUTES} min, B restarted every ${RESTART_S} s`);

  const spawnIn = (ns: string, cmd: string[]) => {
    const p = Bun.spawn(["ip", "netns", "exec", ns, ...cmd], { stdout: "pipe", stderr: "ignore" });
    helpers.push(p);
    return p;
  };
  spawnIn(nsB, ["iperf3", "-s"]);
  const traffic = spawnIn(nsA, [
    "sh",
    "-c",
    `while :; do if iperf3 -c ${bAddr} -u -b 20M -t 30 >/dev/null 2>&1; then echo ok; else echo failed; sleep 1; fi; done`,
  ]);
  const pinger = spawnIn(nsA, ["ping", "-n", "-i", "0.2", bAddr]);
  const bad = spawnIn(nsA, [process.execPath, import.meta.path, "--bad-peers", rAddrA]);
  /** The last 1,000 lines `p` printed, kept up to date. */
  const linesOf = (p: Subprocess) => {
    const lines: string[] = [];
    (async () => {
      const dec = new TextDecoder();
      let buf = "";
      for await (const chunk of p.stdout as ReadableStream<Uint8Array>) {
        buf += dec.decode(chunk, { stream: true });
        const parts = buf.split("\n");
        buf = parts.pop() ?? "";
        lines.push(...parts);
        if (lines.length > 1000) lines.splice(0, lines.length - 1000);
      }
    })();
    return lines;
  };
  const trafficLines = linesOf(traffic);
  const badLines = linesOf(bad);
  const pingLines = linesOf(pinger);

  type Status = {
    node?: { memory?: { rssBytes: number; heapBytes: number } };
    listeners?: { accepted: number; refused: number }[];
    router?: Record<string, number>;
  };
  const status = (n: NodeProc): Status => {
    const r = spawnSync(bin, ["status", "--json", "--socket", n.controlSocket], { encoding: "utf8" });
    try {
      return r.status === 0 ? (JSON.parse(r.stdout) as Status) : {};
    } catch {
      return {};
    }
  };
  const NAMES = ["a", "relay", "b"] as const;
  const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
  type Name = (typeof NAMES)[number];
  const nodeOf = (k: Name) => (k === "a" ? a : k === "relay" ? relay : b);
  // KiB of resident memory (from /proc) and of JavaScript heap (the node's own status), per node
  const samples: { t: number; rss: Record<Name, number>; heap: Record<Name, number> }[] = [];
  const t0 = performance.now();
  let restarts = 0;
  let fullGcB = 0;
  const fullCollections = (n: NodeProc) => n.log.split("=> FullCollection").length - 1;
  let nextRestart = RESTART_S * 1000;
  while (performance.now() - t0 < MINUTES * 60_000) {
    const t = performance.now() - t0;
    const rss = {} as Record<Name, number>;
    const heap = {} as Record<Name, number>;
    for (const k of NAMES) {
      rss[k] = nodeOf(k).rssKiB();
      heap[k] = (status(nodeOf(k)).node?.memory?.heapBytes ?? Number.NaN) / 1024;
    }
    samples.push({ t: t / 60_000, rss, heap });
    if (samples.length % 12 === 0) {
      log(
        `${(t / 60_000).toFixed(1)} min: RSS / heap ${NAMES.map((k) => `${k} ${mib(rss[k])} / ${mib(heap[k])}`).join(", ")}; ` +
          (values["gc-log"]
            ? `full collections so far: a ${fullCollections(a)}, relay ${fullCollections(relay)}; `
            : "") +
          (badLines.at(-1) ?? ""),
      );
    }
    if (t >= nextRestart) {
      fullGcB += fullCollections(b);
      await b.stop("SIGTERM");
      b = tunNode("soak-b", nsB, rAddrB, "10.243.0.2");
      await b.waitLog(/link \d+ up/, 30_000);
      restarts++;
      nextRestart += RESTART_S * 1000;
    }
    // the sampling schedule (not a readiness wait): the next 5 s mark, with
    // a millisecond to spare (a timer may fire a hair early)
    const elapsed = performance.now() - t0;
    await Bun.sleep((Math.floor(elapsed / 5000) + 1) * 5000 - elapsed + 1);
  }
  const relayStatus = status(relay);
  pinger.kill("SIGINT");
  await pinger.exited;
  const pingSummary = pingLines.find((l) => /packets transmitted/.test(l)) ?? "";

  const half = samples.filter((s) => s.t >= MINUTES / 2);
  const warm = samples.find((s) => s.t >= 1) ?? (samples[0] as (typeof samples)[number]);
  const last = samples.at(-1) as (typeof samples)[number];
  // the heap is a sawtooth (a full collection every ~10 min brings it back
  // down): its lows, not its slope, show whether what is live grows
  const low = (k: Name, of: "rss" | "heap", from: number, to: number) =>
    Math.min(
      ...samples
        .filter((s) => s.t >= from && s.t < to)
        .map((s) => s[of][k])
        .filter(Number.isFinite),
    );
  const figures = (k: Name, of: "rss" | "heap") => {
    const known = half.filter((s) => Number.isFinite(s[of][k]));
    return {
      afterOneMinKiB: warm[of][k],
      endKiB: last[of][k],
      peakKiB: Math.max(...samples.map((s) => s[of][k]).filter(Number.isFinite)),
      // thirds of the run after its first minute (start-up)
      lowFirstThirdKiB: low(k, of, 1, 1 + (MINUTES - 1) / 3),
      lowLastThirdKiB: low(k, of, MINUTES - (MINUTES - 1) / 3, MINUTES + 1),
      secondHalfKiBPerMin: slope(
        known.map((s) => s.t),
        known.map((s) => s[of][k]),
      ),
    };
  };
  const report = {
    date: new Date().toISOString(),
    minutes: MINUTES,
    restartEveryS: RESTART_S,
    rss: Object.fromEntries(NAMES.map((k) => [k, figures(k, "rss")])),
    heap: Object.fromEntries(NAMES.map((k) => [k, figures(k, "heap")])),
    bRestarts: restarts,
    fullCollections: values["gc-log"]
      ? { a: fullCollections(a), relay: fullCollections(relay), b: fullGcB + fullCollections(b) }
      : null,
    iperfRuns: {
      ok: trafficLines.filter((l) => l === "ok").length,
      failed: trafficLines.filter((l) => l === "failed").length,
    },
    ping: pingSummary,
    badPeers: badLines.at(-1) ? JSON.parse(badLines.at(-1) as string) : null,
    relayListener: relayStatus.listeners?.[0] ?? null,
    relayRouter: relayStatus.router ?? null,
  };
  if (!values.json) {
    console.log(`\nsoak ${MINUTES} min, ${samples.length} samples, B restarted ${restarts} times`);
    for (const of of ["rss", "heap"] as const)
      for (const [name, r] of Object.entries(report[of]))
        console.log(
          `${of.padEnd(4)} ${name.padEnd(5)} after 1 min ${mib(r.afterOneMinKiB)}, end ${mib(r.endKiB)}, peak ${mib(r.peakKiB)}, ` +
            `lowest in the first / last third ${mib(r.lowFirstThirdKiB)} / ${mib(r.lowLastThirdKiB)}, second half ${r.secondHalfKiBPerMin.toFixed(0)} KiB/min`,
        );
    console.log(`iperf3 30 s runs: ${report.iperfRuns.ok} ok, ${report.iperfRuns.failed} failed; ping: ${pingSummary}`);
    console.log(`bad peers: ${JSON.stringify(report.badPeers)}`);
    if (report.fullCollections) console.log(`full collections: ${JSON.stringify(report.fullCollections)}`);
    console.log(`relay listener: ${JSON.stringify(report.relayListener)}`);
  }
  console.log(JSON.stringify(report));
} finally {
  await teardown();
}
