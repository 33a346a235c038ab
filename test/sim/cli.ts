/**
 * npm run sim -- --nodes N --topology random|ring|grid|scale-free --degree D --seconds S --seed X
 *   [--latency MIN-MAX] [--jitter MS] [--loss P] [--no-loops] [--hold MS] [--stale MS] [--dead-watch S] [--workers N]
 *   [--cold-only] [--json]
 * Prints the figures as a table and one JSON line. --cold-only stops once every
 * node has a route to every other (convergence, events, memory, wall time):
 * for meshes too big to run for a minute here.
 */
import { parseArgs } from "node:util";
import { runScenario } from "./scenario.ts";
import { TOPOLOGIES, type Topology } from "./topology.ts";

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "100" },
    topology: { type: "string", default: "random" },
    degree: { type: "string", default: "4" },
    seconds: { type: "string", default: "60" },
    seed: { type: "string", default: "1" },
    latency: { type: "string", default: "1-20" },
    jitter: { type: "string", default: "1" },
    loss: { type: "string", default: "0" },
    "no-loops": { type: "boolean", default: false },
    hold: { type: "string" },
    "dead-watch": { type: "string" },
    stale: { type: "string" },
    workers: { type: "string" },
    "cold-only": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  },
});

function num(name: string, v: string | undefined, min: number): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) {
    console.error(`sim: --${name} expects a number >= ${min}, got "${v}"`);
    process.exit(2);
  }
  return n;
}

const topology = values.topology as Topology;
if (!TOPOLOGIES.includes(topology)) {
  console.error(`sim: --topology expects one of ${TOPOLOGIES.join(", ")}, got "${values.topology}"`);
  process.exit(2);
}
const [lo, hi] = (values.latency ?? "").split("-").map(Number);
if (lo === undefined || hi === undefined || !(lo >= 0 && hi >= lo)) {
  console.error(`sim: --latency expects MIN-MAX in ms, got "${values.latency}"`);
  process.exit(2);
}

const report = await runScenario(
  {
    nodes: num("nodes", values.nodes, 2),
    topology,
    degree: num("degree", values.degree, 1),
    seconds: num("seconds", values.seconds, 1),
    seed: num("seed", values.seed, 0),
    latencyMs: [lo, hi],
    jitterMs: num("jitter", values.jitter, 0),
    loss: num("loss", values.loss, 0),
    detectLoops: !values["no-loops"],
    routeHoldMs: values.hold === undefined ? undefined : num("hold", values.hold, 0),
    routeStaleMs: values.stale === undefined ? undefined : num("stale", values.stale, 1),
    workers: values.workers === undefined ? undefined : num("workers", values.workers, 1),
    coldOnly: values["cold-only"],
    deadWatchMs: values["dead-watch"] === undefined ? undefined : num("dead-watch", values["dead-watch"], 0) * 1000,
  },
  (l) => {
    if (!values.json) console.error(`sim: ${l}`);
  },
).catch((e: unknown) => {
  // a bad combination of options (say, workers with 0 ms links): say so, no stack
  console.error(`sim: ${e instanceof Error ? e.message.replace(/^sim: /, "") : String(e)}`);
  process.exit(1);
});

if (!values.json) {
  const f = report.failover;
  /** What a --cold-only run did not measure (null in the JSON). */
  const NOT_RUN = "not measured (--cold-only)";
  const rows: [string, string][] = [
    [
      "nodes / links",
      `${report.nodes} / ${report.links} (${report.topology}, degree ${report.degree}, seed ${report.seed})`,
    ],
    [
      "convergence after cold start",
      report.convergenceMs === null ? "not reached" : `${(report.convergenceMs / 1000).toFixed(2)} s`,
    ],
    [
      "control traffic per node",
      report.controlPacketsPerNodePerS === null || report.controlBytesPerNodePerS === null
        ? NOT_RUN
        : `${report.controlPacketsPerNodePerS.toFixed(1)} packets/s, ${(report.controlBytesPerNodePerS / 1024).toFixed(2)} KiB/s`,
    ],
    [
      "path stretch (mean / p95)",
      report.stretchMean === null || report.stretchP95 === null
        ? NOT_RUN
        : `${report.stretchMean.toFixed(2)} / ${report.stretchP95.toFixed(2)} (${report.brokenPaths} broken paths)`,
    ],
    [
      "route changes per node per minute",
      report.flapsPerNodePerMin === null ? NOT_RUN : report.flapsPerNodePerMin.toFixed(2),
    ],
    [
      "failover (busiest link fails)",
      report.linkFailover
        ? `${report.linkFailover.flows} flows: mean ${report.linkFailover.meanMs.toFixed(0)} ms, max ${report.linkFailover.maxMs.toFixed(0)} ms, ${report.linkFailover.blackholed} never recovered, ${report.linkFailover.partitioned} cut off`
        : values["cold-only"]
          ? NOT_RUN
          : "no link on sampled paths",
    ],
    [
      "failover (busiest relay killed)",
      f
        ? `${f.flows} flows: mean ${f.meanMs.toFixed(0)} ms, max ${f.maxMs.toFixed(0)} ms, ${f.blackholed} never recovered`
        : values["cold-only"]
          ? NOT_RUN
          : "no relay on sampled paths",
    ],
    [
      "dead relay reported unreachable",
      report.deadDestination
        ? `${report.deadDestination.flows} sources: mean ${report.deadDestination.meanMs.toFixed(0)} ms, max ${report.deadDestination.maxMs.toFixed(0)} ms, ${report.deadDestination.never} never; its packets seen twice ${report.deadDestination.seenTwice}`
        : "-",
    ],
    ["loops / storms", `${report.dataLoops} data packets seen twice, ${report.floodStorms} floods sent twice`],
    [
      "memory per node",
      report.memoryPerNodeKiB === null
        ? "not measured (the simulation was not freed to measure it)"
        : `${report.memoryPerNodeKiB.toFixed(0)} KiB`,
    ],
    [
      "simulation",
      `${report.seconds} simulated s, ${report.events} events, ${(report.wallMs / 1000).toFixed(1)} s wall (${report.workers} worker${report.workers === 1 ? "" : "s"})`,
    ],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
}
console.log(JSON.stringify(report));
