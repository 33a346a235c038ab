/**
 * The standard simulator run and its figures: cold-start convergence,
 * control traffic and route flaps on a stable network, path stretch, and
 * failover when the busiest link fails and then when the busiest relay
 * dies, plus loop and storm detection.
 */
import { type FlowSpec, flowRounds } from "./flows.ts";
import { defaultWorkers, openParts, type Parts } from "./parallel.ts";
import { seeded } from "./rng.ts";
import type { SimStats, Simulation } from "./sim.ts";
import { buildMesh, DEFAULTS, type Mesh, type SimOptions } from "./sim-mesh.ts";

export interface SimReport {
  nodes: number;
  links: number;
  topology: string;
  degree: number;
  seed: number;
  seconds: number;
  /** Simulated ms until every node had a route to every other node (null: never). */
  convergenceMs: number | null;
  /** On the stable network (null: a cold-start-only run). */
  controlPacketsPerNodePerS: number | null;
  controlBytesPerNodePerS: number | null;
  /** Route (primary next hop) changes per node per minute on the stable network (null: a cold-start-only run). */
  flapsPerNodePerMin: number | null;
  /** Over sampled pairs on the stable network (null: a cold-start-only run). */
  stretchMean: number | null;
  stretchP95: number | null;
  /** Sampled paths that loop or end nowhere (null: a cold-start-only run). */
  brokenPaths: number | null;
  /** The link on the most sampled paths fails (a connection reset both ends see). */
  linkFailover: (Failover & { link: [number, number] }) | null;
  /** The relay on the most sampled paths dies. */
  failover: (Failover & { victim: number }) | null;
  /**
   * Flows *to* that relay: after it died, how long until each source's
   * router said "no route" (the node answers ICMP unreachable then), though
   * routes live for the 3-minute validity window. `never`: still routing
   * into the void at the end.
   */
  deadDestination: { flows: number; meanMs: number; maxMs: number; never: number; seenTwice: number } | null;
  dataLoops: number;
  floodStorms: number;
  /**
   * Heap the simulation held at the end of the run (right after
   * convergence with coldOnly), over the nodes: read by freeing it. Null
   * if a collection would not free it.
   */
  memoryPerNodeKiB: number | null;
  events: number;
  /** Threads the nodes ran in (the figures do not depend on it). */
  workers: number;
  wallMs: number;
}

/**
 * Flows whose path crossed what failed: time until their first packet sent
 * after the failure arrived. `partitioned`: flows whose ends the failure
 * disconnected (nothing can help); `blackholed`: connected yet never recovered.
 */
export interface Failover {
  flows: number;
  meanMs: number;
  maxMs: number;
  blackholed: number;
  partitioned: number;
}

/**
 * Simulated time the failover experiments take at the end of a run: the
 * link one (5 s), a full flood period for the network to re-learn its
 * backups (10 s), the relay one (6 s).
 */
const FAILOVER_MS = 21_000;

/** A path of primary next hops: its nodes, its links and its latency. */
export interface Path {
  hops: number[];
  links: number[];
  latency: number;
}

/** Follows `next(u)` (the link node u sends on, -1: none) from src to dst; undefined if it loops or dead-ends. */
function walk(mesh: Mesh, next: (u: number) => number, src: number, dst: number): Path | undefined {
  const path: Path = { hops: [src], links: [], latency: 0 };
  const seen = new Set([src]);
  let cur = src;
  while (cur !== dst) {
    const id = next(cur);
    const l = mesh.links[id];
    if (!l) return undefined;
    path.latency += l.latency;
    path.links.push(id);
    cur = l.a === cur ? l.b : l.a;
    if (seen.has(cur)) return undefined;
    seen.add(cur);
    path.hops.push(cur);
  }
  return path;
}

/** The path of primary next hops from src to dst in a one-part simulation, or undefined if it loops or dead-ends. */
export function followRoute(sim: Simulation, src: number, dst: number): Path | undefined {
  const key = sim.keyOfNode(dst);
  return walk(sim.mesh, (u) => sim.nextLink(u, key), src, dst);
}

/** Lowest total latency from src to every node (Dijkstra over the links still up). */
function shortest(mesh: Mesh, up: Uint8Array, src: number): Float64Array {
  const n = mesh.adj.length;
  const dist = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  dist[src] = 0;
  const done = new Uint8Array(n);
  // a simple O(n^2 + e) Dijkstra: sampled sources only
  for (;;) {
    let u = -1;
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) if (!done[i] && (dist[i] as number) < best) [u, best] = [i, dist[i] as number];
    if (u < 0) break;
    done[u] = 1;
    for (const id of mesh.adj[u] as number[]) {
      const l = mesh.links[id] as Mesh["links"][number];
      if (!up[id]) continue;
      const v = l.a === u ? l.b : l.a;
      if (best + l.latency < (dist[v] as number)) dist[v] = best + l.latency;
    }
  }
  return dist;
}

/** Appends `pair` to the list `map` holds for `key`. */
function addPair(map: Map<number, [number, number][]>, key: number, pair: [number, number]): void {
  const list = map.get(key);
  if (list) list.push(pair);
  else map.set(key, [pair]);
}

function sum(list: SimStats[]): SimStats {
  const s = { ...(list[0] as SimStats) };
  for (const x of list.slice(1)) {
    for (const k of Object.keys(s) as (keyof SimStats)[]) {
      s[k] = k === "convergedAt" ? Math.max(s[k], x[k]) : s[k] + x[k];
    }
  }
  return s;
}

/** Per index, the first value that is not NaN among the parts' arrays (each part saw its own nodes). */
function merge(list: Float64Array[]): number[] {
  return Array.from(
    list[0] ?? [],
    (_, i) => list.map((a) => a[i] as number).find((x) => !Number.isNaN(x)) ?? Number.NaN,
  );
}

export async function runScenario(
  opts: Partial<SimOptions> & {
    seconds: number;
    samplePairs?: number;
    failoverFlows?: number;
    /** Stop once every node has a route to every other: convergence, events and memory only. */
    coldOnly?: boolean;
    /** Keep the relay experiment (and the run) going this long after the kill, to see every sender told. */
    deadWatchMs?: number;
    /** Worker threads to split the nodes over (default: defaultWorkers; 1: this thread). */
    workers?: number;
    /** Bytes of each shared buffer between two workers (default: boxBytesFor, 64 MiB up to 2,000 nodes). */
    exchangeBytes?: number;
  },
  log: (line: string) => void = () => {},
): Promise<SimReport> {
  const t0 = performance.now();
  const o: SimOptions = { ...DEFAULTS, ...opts };
  const parts = await openParts(o, opts.workers ?? defaultWorkers(o.nodes), opts.exchangeBytes);
  try {
    return await scenario(parts, o, opts, log, t0);
  } finally {
    parts.close();
  }
}

async function scenario(
  parts: Parts,
  o: SimOptions,
  opts: Parameters<typeof runScenario>[0],
  log: (line: string) => void,
  t0: number,
): Promise<SimReport> {
  const mesh = buildMesh(o);
  const n = o.nodes;
  const up = new Uint8Array(mesh.links.length).fill(1);
  // the scenario's own draws (sampled pairs, sources): not the nodes'
  const random = seeded((o.seed ^ 0x5ce7a210) >>> 0);
  let now = 0;
  const run = async (until: number) => {
    now = (await parts.call({ cmd: "run", until }))[0] as number;
  };
  const wallS = () => ((performance.now() - t0) / 1000).toFixed(1);
  /** Logs a phase's end: simulated time, events so far and wall time. */
  const phase = async (what: string) => {
    const s = await stats();
    log(`${what}: ${(now / 1000).toFixed(1)} simulated s, ${s.events} events, ${wallS()} s wall`);
  };
  const stats = async () => sum(await parts.call({ cmd: "stats" }));
  await parts.call({ cmd: "start" });

  // 1. cold start until every node knows every other (or the run ends),
  //    looked at every 100 ms: the same points however the nodes are split
  let cold = await stats();
  for (let t = 100; cold.converged < n && now < opts.seconds * 1000; t += 100) {
    await run(Math.min(t, opts.seconds * 1000));
    cold = await stats();
  }
  const convergenceMs = cold.converged === n ? cold.convergedAt : null;
  log(
    `converged: ${convergenceMs === null ? "no" : `${convergenceMs.toFixed(0)} ms`} (${cold.events} events, ${wallS()} s wall)`,
  );
  /** The report, once the parts have freed their simulations to tell the memory they held: the run's last step. */
  const report = async (figures: Partial<SimReport>, final: SimStats): Promise<SimReport> => {
    const wallMs = performance.now() - t0;
    const held = await parts.call({ cmd: "release" });
    return {
      nodes: n,
      links: mesh.links.length,
      topology: o.topology,
      degree: o.degree,
      seed: o.seed,
      seconds: now / 1000,
      convergenceMs,
      controlPacketsPerNodePerS: null,
      controlBytesPerNodePerS: null,
      flapsPerNodePerMin: null,
      stretchMean: null,
      stretchP95: null,
      brokenPaths: null,
      linkFailover: null,
      failover: null,
      deadDestination: null,
      dataLoops: final.dataLoops,
      floodStorms: final.floodStorms,
      memoryPerNodeKiB: held.includes(null) ? null : (held as number[]).reduce((x, y) => x + y, 0) / n / 1024,
      events: final.events,
      workers: parts.count,
      wallMs,
      ...figures,
    };
  };
  // convergence, events and memory only: what a mesh too big to run for a
  // minute here can still tell (stretch right after a cold start says
  // little: the first floods took the links that came up first)
  if (opts.coldOnly) return report({}, cold);

  // 2. a stable network: control traffic and route changes until the
  //    failover experiments take the last 21 s of the run
  const failoverStart = Math.max(now, opts.seconds * 1000 - FAILOVER_MS);
  await run(Math.min(failoverStart, now + 2000));
  const before = await stats();
  const windowStart = now;
  await run(failoverStart);
  const after = await stats();
  const windowS = Math.max(0.001, (now - windowStart) / 1000);
  await phase("stable network measured");

  // 3. path stretch over sampled pairs
  const pairs: [number, number][] = [];
  for (let i = 0; i < (opts.samplePairs ?? 200); i++) {
    const a = Math.floor(random() * n);
    let b = Math.floor(random() * n);
    if (b === a) b = (b + 1) % n;
    pairs.push([a, b]);
  }
  const dsts = [...new Set(pairs.map(([, b]) => b))];
  const answers = await parts.call({ cmd: "nextLinks", dsts });
  const tables = new Map(
    dsts.map((dst, i) => {
      const t = Int32Array.from(answers[0]?.[i] ?? []);
      for (const a of answers.slice(1)) {
        (a[i] as Int32Array).forEach((v, u) => {
          if (v !== -2) t[u] = v;
        });
      }
      return [dst, t] as const;
    }),
  );
  const stretches: number[] = [];
  let brokenPaths = 0;
  const onPath = new Map<number, [number, number][]>();
  const onLink = new Map<number, [number, number][]>();
  const dists = new Map<number, Float64Array>();
  for (const [a, b] of pairs) {
    const table = tables.get(b) as Int32Array;
    const path = walk(mesh, (u) => table[u] as number, a, b);
    if (!path) {
      brokenPaths++;
      continue;
    }
    let d = dists.get(a);
    if (!d) {
      d = shortest(mesh, up, a);
      dists.set(a, d);
    }
    stretches.push(path.latency / (d[b] as number));
    for (const h of path.hops.slice(1, -1)) addPair(onPath, h, [a, b]);
    for (const id of path.links) addPair(onLink, id, [a, b]);
  }
  stretches.sort((x, y) => x - y);

  // 4. failover: the link on the most sampled paths fails while flows cross
  //    it, then the relay on the most sampled paths dies. Packet ids go on
  //    across both: the loop detector counts an id seen twice by one node.
  const flowCount = opts.failoverFlows ?? 50;
  const ids = { next: 1, doomed: 0 };
  const failoverRun = async (
    flows: [number, number][],
    doomed: [number, number][],
    end: number,
    fail: () => Promise<void>,
  ): Promise<Failover & { noRoute: number[] }> => {
    const spec: FlowSpec = {
      flows,
      doomed,
      start: now,
      failAt: now + 1000,
      end,
      idBase: ids.next,
      doomedBase: ids.doomed,
    };
    ids.next += flowRounds(spec) * flows.length;
    ids.doomed += flowRounds(spec) * doomed.length;
    await parts.call({ cmd: "flows", spec });
    await run(spec.failAt);
    await fail();
    await run(end);
    const results = await parts.call({ cmd: "flowResults" });
    const times = merge(results.map((r) => r.firstAfter)).filter((x) => !Number.isNaN(x));
    const partitioned = flows.filter(([a, b]) => !Number.isFinite(shortest(mesh, up, a)[b] as number)).length;
    return {
      flows: flows.length,
      meanMs: times.length ? times.reduce((s, x) => s + x, 0) / times.length : 0,
      maxMs: times.length ? Math.max(...times) : 0,
      blackholed: flows.length - times.length - partitioned,
      partitioned,
      noRoute: merge(results.map((r) => r.noRoute)),
    };
  };
  const killLink = async (id: number) => {
    up[id] = 0;
    await parts.call({ cmd: "killLink", id });
  };

  let linkFailover: SimReport["linkFailover"] = null;
  const busiestLink = [...onLink.entries()].sort((x, y) => y[1].length - x[1].length)[0];
  if (busiestLink) {
    const [id, crossing] = busiestLink;
    const { noRoute: _, ...r } = await failoverRun(crossing.slice(0, flowCount), [], now + 5000, () => killLink(id));
    const l = mesh.links[id] as Mesh["links"][number];
    linkFailover = { ...r, link: [l.a, l.b] };
    // every node floods again within 10 s: backups lost with the link are
    // learned anew before the next failure (two failures within one flood
    // period are slower to recover from; see README)
    await phase("link failover");
    await run(now + 10_000);
  }
  let failover: SimReport["failover"] = null;
  /** The flows to the relay that dies, and when each source was told "no route" (ms after the kill). */
  let deadEnd: { flows: number; told: number[] } | null = null;
  const busiest = [...onPath.entries()].sort((x, y) => y[1].length - x[1].length)[0];
  if (busiest) {
    const [victim, crossing] = busiest;
    const end = Math.max(opts.seconds * 1000, now + 1000 + Math.max(5000, opts.deadWatchMs ?? 0));
    // and 20 sources that send to the relay itself
    const doomed: [number, number][] = [];
    for (let i = 0; i < 20; i++) {
      const a = Math.floor(random() * n);
      if (a !== victim) doomed.push([a, victim]);
    }
    const { noRoute, ...r } = await failoverRun(crossing.slice(0, flowCount), doomed, end, async () => {
      for (const id of mesh.adj[victim] as number[]) up[id] = 0;
      await parts.call({ cmd: "killNode", node: victim });
    });
    failover = { ...r, victim };
    await phase("relay failover");
    deadEnd = { flows: doomed.length, told: noRoute.filter((x) => !Number.isNaN(x)) };
  }
  const final = await stats();
  const deadDestination: SimReport["deadDestination"] = deadEnd && {
    flows: deadEnd.flows,
    meanMs: deadEnd.told.length ? deadEnd.told.reduce((x, y) => x + y, 0) / deadEnd.told.length : 0,
    maxMs: deadEnd.told.length ? Math.max(...deadEnd.told) : 0,
    never: deadEnd.flows - deadEnd.told.length,
    seenTwice: final.deadEndLoops,
  };
  if (parts.count > 1) {
    const wall = performance.now() - t0;
    log(
      `${parts.count} workers: ${final.windows / parts.count} windows each, ` +
        `${((100 * final.waitedMs) / parts.count / wall).toFixed(0)}% of the wall time spent waiting for each other`,
    );
  }

  return report(
    {
      controlPacketsPerNodePerS: (after.controlPackets - before.controlPackets) / n / windowS,
      controlBytesPerNodePerS: (after.controlBytes - before.controlBytes) / n / windowS,
      flapsPerNodePerMin: ((after.routeChanges - before.routeChanges) / n / windowS) * 60,
      stretchMean: stretches.length ? stretches.reduce((s, x) => s + x, 0) / stretches.length : 0,
      stretchP95: stretches[Math.floor(stretches.length * 0.95)] ?? 0,
      brokenPaths,
      linkFailover,
      failover,
      deadDestination,
    },
    final,
  );
}
