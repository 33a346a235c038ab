/**
 * The network benchmark (root): two namespaces joined by a veth pair, one
 * TUN node in each, and iperf3/ping through the mesh.
 *
 *   ns smb-1  10.77.0.1 ──veth── 10.77.0.2  ns smb-2
 *   bench-one (listens)                     bench-two (connects)
 *
 * Measures TCP throughput over the mesh IPv6 and IPv4 addresses (1 and 4
 * streams, both directions), UDP at a fixed offered rate (loss), ping RTT
 * through the mesh and over the bare veth at three rates (flood pacing,
 * 100/s, 5/s: average, p99 and max of the answers' own times; at a low
 * rate each packet finds the nodes asleep), CPU seconds of both node
 * processes per GB carried, their RSS under load (sampled at the end of
 * each iperf3 run: the kernel's high-water mark would count a modern
 * node's start-up, where scrypt briefly takes 32 MiB) and idle before and
 * after it, and the time from start to the
 * first answered ping; on modern links also the handshakes a listener
 * completes per second and its CPU per handshake. Median and range over
 * the repetitions.
 *
 * By default each repetition runs the mesh twice, once over modern links
 * (tcp_listen / tcp_connect) and once over legacy ones, in turn (modern
 * legacy modern legacy ...), so both see the same machine.
 *
 *   npm run bench [-- --seconds 10 --reps 3 --udp 100 --pings 100 --links modern,legacy --json]
 *   npm run bench -- --only ping   (pings and idle RSS only)
 *   SMOLMESH_COMPARE_BIN=/path/to/other npm run bench   (A B A B on each kind of link, ratios A/B;
 *     --links legacy to compare with smolmesh2, which speaks only legacy)
 *   npm run bench -- --mixed    (one node of each binary over a legacy link: interoperation under load)
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { nameToIpv6Text } from "../../src/addr/node-name.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    reps: { type: "string", default: "3" },
    udp: { type: "string", default: "100" },
    bin: { type: "string" },
    mixed: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    only: { type: "string" },
    links: { type: "string", default: "modern,legacy" },
    pings: { type: "string", default: "100" },
  },
});
type LinkKind = "modern" | "legacy";
const KINDS = (values.links ?? "").split(",").filter((k): k is LinkKind => k === "modern" || k === "legacy");
if (KINDS.length === 0) throw new Error(`--links expects modern, legacy or both, got "${values.links}"`);
const SECONDS = Number(values.seconds);
const REPS = Number(values.reps);
const UDP_MBIT = Number(values.udp);
/** Pings at 5/s per repetition; 3x as many at 100/s and 20x in flood pacing. */
const PINGS = Number(values.pings);
const binA = values.bin ?? join(import.meta.dir, "../../dist/smolmesh");
const binB = process.env.SMOLMESH_COMPARE_BIN;
const NS = ["smb-1", "smb-2"] as const;
const PORT = 4700;
const log = (s: string) => {
  if (!values.json) process.stderr.write(`${s}\n`);
};

function sh(cmd: string[], allowFail = false): string {
  const r = spawnSync(cmd[0] as string, cmd.slice(1), { encoding: "utf8" });
  if (r.status !== 0 && !allowFail) throw new Error(`${cmd.join(" ")}: ${r.stderr || r.stdout}`);
  return r.stdout;
}
const inNs = (ns: string, cmd: string[]) => ["ip", "netns", "exec", ns, ...cmd];

function cpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

function rssKiB(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

interface Mesh {
  pids: number[];
  /** The largest RSS of either node seen at the end of an iperf3 run. */
  rssUnderLoadKiB: number;
  procs: ReturnType<typeof Bun.spawn>[];
  dir: string;
  startToPingMs: number;
}

/** The mesh running now, for the SIGINT handler. */
let live: Mesh | undefined;

/**
 * Stops the nodes as an operator would, with SIGTERM, so each removes its
 * control socket (the default one in /run/smolmesh, which a killed node
 * leaves behind), routes and interface; SIGKILL for one still running 5 s
 * later. Then kills whatever else runs in the namespaces and deletes them.
 */
async function teardown(mesh?: Mesh): Promise<void> {
  await Promise.all(
    (mesh?.procs ?? []).map(async (p) => {
      p.kill("SIGTERM");
      const exited = await Promise.race([p.exited.then(() => true), Bun.sleep(5000).then(() => false)]);
      if (!exited) p.kill("SIGKILL");
      await p.exited;
    }),
  );
  for (const ns of NS) {
    // a one-shot iperf3 server nobody connected to (a run with --only ping) would outlive its namespace
    for (const pid of sh(["ip", "netns", "pids", ns], true).split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        // gone already
      }
    }
    sh(["ip", "netns", "del", ns], true);
  }
  if (mesh) rmSync(mesh.dir, { recursive: true, force: true });
  if (live === mesh) live = undefined;
}

async function setup(bin1: string, bin2: string, kind: LinkKind): Promise<Mesh> {
  await teardown();
  for (const ns of NS) {
    sh(["ip", "netns", "add", ns]);
    sh(inNs(ns, ["ip", "link", "set", "lo", "up"]));
  }
  sh(["ip", "link", "add", "smb1", "netns", NS[0], "type", "veth", "peer", "name", "smb2", "netns", NS[1]]);
  sh(inNs(NS[0], ["ip", "addr", "add", "10.77.0.1/24", "dev", "smb1"]));
  sh(inNs(NS[1], ["ip", "addr", "add", "10.77.0.2/24", "dev", "smb2"]));
  sh(inNs(NS[0], ["ip", "link", "set", "smb1", "up"]));
  sh(inNs(NS[1], ["ip", "link", "set", "smb2", "up"]));
  const dir = mkdtempSync(join(tmpdir(), "smolmesh-bench-"));
  // legacy links use only the original's fields, so any smolmesh2-compatible binary takes the same config
  const prefix = kind === "modern" ? "" : "legacy_";
  const configs = [
    {
      node_name: "bench-one",
      ipv4_addresses: ["10.88.0.1"],
      linux_tuntap: true,
      transports: [{ type: `${prefix}tcp_listen`, port: PORT, keys: ["bench"] }],
    },
    {
      node_name: "bench-two",
      ipv4_addresses: ["10.88.0.2"],
      linux_tuntap: true,
      transports: [{ type: `${prefix}tcp_connect`, host: "10.77.0.1", port: PORT, key: "bench" }],
    },
  ];
  const start = (i: number, bin: string) => {
    const path = join(dir, `node${i}.json`);
    writeFileSync(path, JSON.stringify(configs[i]), { mode: 0o600 });
    return Bun.spawn(inNs(NS[i] as string, [bin, "meshnode", path]), { stdout: "ignore", stderr: "ignore", cwd: dir });
  };
  // the listener first, so the connecting node's first attempt finds it (a refused
  // attempt would wait out the 5-10 s reconnect delay)
  const first = start(0, bin1);
  const listening = () =>
    spawnSync("ip", inNs(NS[0], ["sh", "-c", `ss -ltn | grep -q ':${PORT} '`]).slice(1)).status === 0;
  const listenDeadline = performance.now() + 10_000;
  while (!listening()) {
    if (performance.now() > listenDeadline) throw new Error(`${bin1} did not listen within 10 s`);
  }
  const t0 = performance.now();
  const procs = [first, start(1, bin2)];
  const mesh: Mesh = { pids: procs.map((p) => p.pid), procs, dir, startToPingMs: 0, rssUnderLoadKiB: 0 };
  live = mesh;
  const target = nameToIpv6Text("bench-one");
  const deadline = performance.now() + 30_000;
  for (;;) {
    const r = spawnSync("ip", inNs(NS[1], ["ping", "-n", "-c", "1", "-W", "0.2", target]).slice(1));
    if (r.status === 0) break;
    if (performance.now() > deadline) {
      await teardown(mesh);
      throw new Error(`no ping through the mesh within 30 s (${bin1} / ${bin2})`);
    }
  }
  mesh.startToPingMs = performance.now() - t0;
  sh(inNs(NS[0], ["iperf3", "-s", "-D", "-1"]), true);
  return mesh;
}

/** How fast ping sends: flood (the next request as soon as the answer is in), or a fixed rate. */
const PING_RATES = [
  { label: "flood", args: ["-i", "0"], count: () => 20 * PINGS },
  { label: "100/s", args: ["-i", "0.01"], count: () => 3 * PINGS },
  { label: "5/s", args: ["-i", "0.2"], count: () => PINGS },
] as const;

interface PingStats {
  avgMs: number;
  p99Ms: number;
  maxMs: number;
  loss: number;
}

/**
 * `count` pings at one rate, each answer's own time= read from ping's
 * output (`-i 0` is ping's flood pacing: root only, one request in flight,
 * unlike `-f` it prints every answer).
 */
function pingStats(ns: string, addr: string, args: readonly string[], count: number): PingStats {
  const out = sh(inNs(ns, ["ping", "-n", "-c", String(count), ...args, addr]), true);
  const times = [...out.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
  const loss = Number(out.match(/([\d.]+)% packet loss/)?.[1] ?? 100);
  if (times.length === 0) return { avgMs: Number.NaN, p99Ms: Number.NaN, maxMs: Number.NaN, loss };
  const avgMs = times.reduce((a, b) => a + b, 0) / times.length;
  const p99Ms = times[Math.min(times.length - 1, Math.ceil(0.99 * times.length) - 1)] as number;
  return { avgMs, p99Ms, maxMs: times[times.length - 1] as number, loss };
}

interface Iperf {
  mbit: number;
  bytes: number;
  lossPct?: number;
}

function iperf(mesh: Mesh, addr: string, args: string[]): Iperf & { cpuPerGB: number } {
  let lastError = "";
  // a run can fail on iperf3's own control connection (a one-shot server still
  // exiting): retry up to three times, report the first good one
  for (let attempt = 0; attempt < 3; attempt++) {
    sh(inNs(NS[0], ["iperf3", "-s", "-D", "-1"]), true);
    const cpu0 = mesh.pids.reduce((s, p) => s + cpuSeconds(p), 0);
    let out = "";
    for (let tries = 0; tries < 20; tries++) {
      const r = spawnSync("ip", inNs(NS[1], ["iperf3", "-c", addr, "-t", String(SECONDS), "-J", ...args]).slice(1), {
        encoding: "utf8",
      });
      out = r.stdout;
      if (r.status === 0 || !/unable to connect|Connection refused/.test(out)) break;
      spawnSync("sleep", ["0.1"]); // the one-shot server is starting; retry shortly (bounded)
    }
    const cpu = mesh.pids.reduce((s, p) => s + cpuSeconds(p), 0) - cpu0;
    mesh.rssUnderLoadKiB = Math.max(mesh.rssUnderLoadKiB, ...mesh.pids.map(rssKiB));
    let j: {
      error?: string;
      end?: {
        sum_received?: { bytes: number; bits_per_second: number };
        sum?: { bytes: number; bits_per_second: number; lost_percent?: number };
      };
    };
    try {
      j = JSON.parse(out);
    } catch {
      lastError = `unreadable iperf3 output: ${out.slice(0, 200)}`;
      continue;
    }
    if (j.error || !j.end) {
      lastError = j.error ?? "no result";
      log(`  iperf3 failed (${lastError}); retrying`);
      continue;
    }
    const sum = (j.end.sum_received ?? j.end.sum) as { bytes: number; bits_per_second: number };
    const bytes = Number(sum.bytes);
    return {
      mbit: Number(sum.bits_per_second) / 1e6,
      bytes,
      lossPct: j.end.sum?.lost_percent,
      cpuPerGB: bytes > 0 ? cpu / (bytes / 1e9) : Number.NaN,
    };
  }
  throw new Error(`iperf3 failed three times: ${lastError}`);
}

type Results = Record<string, number[]>;

/** Modern handshakes from a client in the other namespace for 5 s: completed per second, listener CPU per handshake. */
function handshakes(mesh: Mesh): { perSecond: number; listenerCpuMs: number } {
  const listener = mesh.pids[0] as number;
  const cpu0 = cpuSeconds(listener);
  const client = join(import.meta.dir, "handshake-client.ts");
  const args = ["--host", "10.77.0.1", "--port", String(PORT), "--key", "bench", "--seconds", "5"];
  const out = sh(inNs(NS[1], [process.execPath, client, ...args]));
  const r = JSON.parse(out.trim().split("\n").pop() as string) as { completed: number; seconds: number };
  const cpu = cpuSeconds(listener) - cpu0;
  return { perSecond: r.completed / r.seconds, listenerCpuMs: r.completed ? (cpu * 1000) / r.completed : Number.NaN };
}

async function runOnce(bin1: string, bin2: string, kind: LinkKind, into: Results): Promise<void> {
  const mesh = await setup(bin1, bin2, kind);
  const add = (k: string, v: number) => {
    into[k] ??= [];
    (into[k] as number[]).push(v);
  };
  try {
    add("connecting node start to first ping (ms)", mesh.startToPingMs);
    add("RSS of a node idle, before any load (MiB)", Math.max(...mesh.pids.map(rssKiB)) / 1024);
    const v6 = nameToIpv6Text("bench-one");
    const cases: [string, string, string[]][] = [
      ["TCP IPv6 1 stream ->", v6, []],
      ["TCP IPv6 1 stream <-", v6, ["-R"]],
      ["TCP IPv6 4 streams ->", v6, ["-P", "4"]],
      ["TCP IPv6 4 streams <-", v6, ["-P", "4", "-R"]],
      ["TCP IPv4 1 stream ->", "10.88.0.1", []],
      ["TCP IPv4 1 stream <-", "10.88.0.1", ["-R"]],
      ["TCP IPv4 4 streams ->", "10.88.0.1", ["-P", "4"]],
      ["TCP IPv4 4 streams <-", "10.88.0.1", ["-P", "4", "-R"]],
    ];
    for (const [name, addr, args] of cases) {
      if (values.only && !name.includes(values.only)) continue;
      const r = iperf(mesh, addr, args);
      log(`  ${name}: ${r.mbit.toFixed(0)} Mbit/s, ${r.cpuPerGB.toFixed(1)} CPU s/GB`);
      add(`${name} (Mbit/s)`, r.mbit);
      add(`${name} CPU s per GB`, r.cpuPerGB);
    }
    if (!values.only || "UDP".includes(values.only)) {
      // iperf3's default socket buffer (~208 KiB, 170 datagrams) overflows when a
      // node pauses and then writes a burst; with 4 MiB the figure is the mesh's own
      for (const [label, extra] of [
        ["default socket buffer", []],
        ["4 MiB socket buffer", ["-w", "4M"]],
      ] as const) {
        const u = iperf(mesh, v6, ["-u", "-b", `${UDP_MBIT}M`, "-l", "1200", ...extra]);
        log(
          `  UDP ${UDP_MBIT} Mbit/s offered, ${label}: ${u.mbit.toFixed(0)} Mbit/s received, ${u.lossPct?.toFixed(3)}% lost`,
        );
        add(`UDP at ${UDP_MBIT} Mbit/s, ${label}: loss (%)`, u.lossPct ?? Number.NaN);
      }
    }
    // RTT last: a node that has carried traffic runs optimised code, as a long-running node does
    if (!values.only || "ping".includes(values.only)) {
      let floodAvg = Number.NaN;
      for (const rate of PING_RATES) {
        const bare = pingStats(NS[1], "10.77.0.1", rate.args, rate.count());
        const mesh6 = pingStats(NS[1], v6, rate.args, rate.count());
        log(
          `  ping ${rate.label}: mesh ${mesh6.avgMs.toFixed(3)} / p99 ${mesh6.p99Ms.toFixed(3)} / max ${mesh6.maxMs.toFixed(3)} ms` +
            `, bare veth ${bare.avgMs.toFixed(3)} / ${bare.p99Ms.toFixed(3)} / ${bare.maxMs.toFixed(3)} ms, mesh loss ${mesh6.loss}%`,
        );
        for (const [what, s] of [
          ["mesh", mesh6],
          ["bare veth", bare],
        ] as const) {
          add(`ping ${rate.label} ${what}: avg (ms)`, s.avgMs);
          add(`ping ${rate.label} ${what}: p99 (ms)`, s.p99Ms);
          add(`ping ${rate.label} ${what}: max (ms)`, s.maxMs);
        }
        if (rate.label === "flood") floodAvg = mesh6.avgMs;
        else add(`ping ${rate.label} mesh avg / flood avg`, mesh6.avgMs / floodAvg);
        if (mesh6.loss > 0) add(`ping ${rate.label} mesh: loss (%)`, mesh6.loss);
      }
    }
    if (mesh.rssUnderLoadKiB) add("RSS of a node under load (MiB)", mesh.rssUnderLoadKiB / 1024);
    add("RSS of a node idle, after the load (MiB)", Math.max(...mesh.pids.map(rssKiB)) / 1024);
    if (kind === "modern" && (!values.only || "handshakes".includes(values.only))) {
      const h = handshakes(mesh);
      log(`  handshakes: ${h.perSecond.toFixed(0)}/s completed, listener ${h.listenerCpuMs.toFixed(2)} CPU ms each`);
      add("modern handshakes completed per second (client on the same cores)", h.perSecond);
      add("listener CPU ms per modern handshake", h.listenerCpuMs);
    }
  } finally {
    await teardown(mesh);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(3));
const cell = (xs: number[] | undefined) =>
  xs?.length ? `${fmt(median(xs))}${xs.length > 1 ? ` (${fmt(Math.min(...xs))}-${fmt(Math.max(...xs))})` : ""}` : "-";

if (process.getuid?.() !== 0) {
  console.error("bench: needs root (network namespaces and TUN devices)");
  process.exit(1);
}
process.on("SIGINT", async () => {
  await teardown(live);
  process.exit(130);
});

const machine = `${sh(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]).trim()}, ${sh(["nproc"]).trim()} cores, Linux ${sh(["uname", "-r"]).trim()}`;
const runs: [string, string, string, LinkKind][] = values.mixed
  ? [["mixed", binA, binB ?? binA, "legacy"]]
  : binB
    ? KINDS.flatMap((k): [string, string, string, LinkKind][] => [
        [`A ${k}`, binA, binA, k],
        [`B ${k}`, binB, binB, k],
      ])
    : KINDS.map((k) => [k, binA, binA, k]);
const results: Record<string, Results> = Object.fromEntries(runs.map(([label]) => [label, {}]));
for (let rep = 0; rep < REPS; rep++) {
  for (const [label, b1, b2, kind] of runs) {
    log(`rep ${rep + 1}/${REPS}, ${label}: ${b1}${b1 === b2 ? "" : ` + ${b2}`}, ${kind} links`);
    await runOnce(b1, b2, kind, results[label] as Results);
  }
}

const keys = [...new Set(Object.values(results).flatMap((r) => Object.keys(r)))];
if (!values.json) {
  console.log(`\n${new Date().toISOString().slice(0, 10)}, ${machine}; ${REPS} reps of ${SECONDS} s; median (range)`);
  const labels = runs.map(([l]) => l);
  // A/B per link kind when comparing binaries, else first/second
  const pairs: [string, string][] = binB
    ? KINDS.map((k) => [`A ${k}`, `B ${k}`])
    : labels.length > 1
      ? [[labels[0] as string, labels[1] as string]]
      : [];
  const header = ["", ...labels, ...pairs.map(([a, b]) => `${a}/${b}`)];
  const rows = keys.map((k) => {
    const cols = labels.map((l) => cell(results[l]?.[k]));
    for (const [first, second] of pairs) {
      const a = results[first]?.[k];
      const b = results[second]?.[k];
      cols.push(a?.length && b?.length && median(b) ? (median(a) / median(b)).toFixed(2) : "-");
    }
    return [k, ...cols];
  });
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => (r[i] ?? "").length)));
  for (const r of [header, ...rows])
    console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  "));
}
console.log(
  JSON.stringify({
    date: new Date().toISOString(),
    machine,
    seconds: SECONDS,
    reps: REPS,
    results: Object.fromEntries(
      Object.entries(results).map(([l, r]) => [
        l,
        Object.fromEntries(
          Object.entries(r).map(([k, xs]) => [k, { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) }]),
        ),
      ]),
    ),
  }),
);
