/**
 * The standard simulator run and its figures: cold-start convergence,
 * control traffic and route flaps on a stable network, path stretch, and
 * failover when the busiest link fails and then when the busiest relay
 * dies, plus loop and storm detection.
 */
import { nameToIpv6 } from "../../src/addr/node-name.ts";
import { keyOf } from "../../src/mesh/addr-key.ts";
import { loadPacketHash } from "../../src/mesh/packet-hash.ts";
import { DEAD_END_IDS, type SimLink, type SimNode, type SimOptions, Simulation } from "./sim.ts";

export interface SimReport {
  nodes: number;
  links: number;
  topology: string;
  degree: number;
  seed: number;
  seconds: number;
  /** Simulated ms until every node had a route to every other node (null: never). */
  convergenceMs: number | null;
  controlPacketsPerNodePerS: number;
  controlBytesPerNodePerS: number;
  /** Route (primary next hop) changes per node per minute on the stable network. */
  flapsPerNodePerMin: number;
  stretchMean: number;
  stretchP95: number;
  /** Sampled paths that loop or end nowhere. */
  brokenPaths: number;
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
  memoryPerNodeKiB: number;
  events: number;
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
 * Runs 20 ms flows from now until `end`, calls `fail` at `failAt`, and
 * measures how long each flow took to deliver again. Packet ids continue
 * from `ids.next`: the loop detector counts an id seen twice by one node.
 */
function failoverRun(
  sim: Simulation,
  ids: { next: number; doomed: number },
  flows: [number, number][],
  failAt: number,
  end: number,
  fail: () => void,
  /** Flows to what fails: when each source first finds no route after the failure. */
  doomed: [number, number][] = [],
  noRouteAfter: number[] = [],
): Failover {
  const firstAfter = new Map<number, number>();
  const flowOfId = new Map<number, number>();
  let firstIdAfterFail = Number.POSITIVE_INFINITY;
  sim.onDeliver = (_node, ip) => {
    const id = new DataView(ip.buffer, ip.byteOffset + 40, 4).getUint32(0);
    const f = flowOfId.get(id);
    // only packets sent after the failure count: those in flight before it prove nothing
    if (f !== undefined && id >= firstIdAfterFail && !firstAfter.has(f)) firstAfter.set(f, sim.now - failAt);
  };
  const ends = flows.map(([a, b]) => [sim.ipv6Of(a), sim.ipv6Of(b)] as const);
  const doomedEnds = doomed.map(([a, b]) => [sim.ipv6Of(a), sim.ipv6Of(b)] as const);
  let failed = false;
  const sendRound = () => {
    flows.forEach(([a], f) => {
      const id = ids.next++;
      flowOfId.set(id, f);
      const [src, dst] = ends[f] as readonly [Uint8Array, Uint8Array];
      const ip = datagram(src, dst, id);
      (sim.nodes[a] as SimNode).router.fromLocal(ip, 0, ip.length, sim.time);
    });
    doomed.forEach(([a], f) => {
      const [src, dst] = doomedEnds[f] as readonly [Uint8Array, Uint8Array];
      const ip = datagram(src, dst, DEAD_END_IDS + ids.doomed++);
      const said = (sim.nodes[a] as SimNode).router.fromLocal(ip, 0, ip.length, sim.time);
      if (failed && said === "no-route" && noRouteAfter[f] === undefined) noRouteAfter[f] = sim.now - failAt;
    });
  };
  for (let t = sim.now; t < end; t += 20) sim.schedule(t, sendRound);
  sim.schedule(failAt, () => {
    fail();
    failed = true;
    firstIdAfterFail = ids.next;
  });
  sim.run(end);
  sim.onDeliver = () => {};
  const times = [...firstAfter.values()];
  const partitioned = flows.filter(([a, b]) => !Number.isFinite(shortest(sim, a)[b] as number)).length;
  return {
    flows: flows.length,
    meanMs: times.length ? times.reduce((s, x) => s + x, 0) / times.length : 0,
    maxMs: times.length ? Math.max(...times) : 0,
    blackholed: flows.length - times.length - partitioned,
    partitioned,
  };
}

/**
 * Simulated time the failover experiments take at the end of a run: the
 * link one (5 s), a full flood period for the network to re-learn its
 * backups (10 s), the relay one (6 s).
 */
const FAILOVER_MS = 21_000;

/** IPv6 packet from src to dst carrying a 4-byte id (the simulator's data). */
function datagram(src: Uint8Array, dst: Uint8Array, id: number): Uint8Array {
  const p = new Uint8Array(44);
  p[0] = 0x60;
  p[5] = 4;
  p[6] = 17;
  p[7] = 64;
  p.set(src, 8);
  p.set(dst, 24);
  new DataView(p.buffer).setUint32(40, id);
  return p;
}

/** The path of primary next hops from src to dst: node ids and latency, or undefined if it loops or dead-ends. */
export function followRoute(
  sim: Simulation,
  src: number,
  dst: number,
): { hops: number[]; latency: number } | undefined {
  const key = keyOf(nameToIpv6(`n${dst}`));
  const hops = [src];
  let latency = 0;
  let cur = src;
  const seen = new Set([src]);
  while (cur !== dst) {
    const node = sim.nodes[cur] as SimNode;
    const l = node.router.table.nextHop(key, -1);
    if (l < 0) return undefined;
    latency += node.links[l]?.latency ?? 0;
    cur = node.peerOf(l);
    if (seen.has(cur)) return undefined;
    seen.add(cur);
    hops.push(cur);
  }
  return { hops, latency };
}

/** Lowest total latency from src to every node (Dijkstra over the live links). */
function shortest(sim: Simulation, src: number): Float64Array {
  const dist = new Float64Array(sim.nodes.length).fill(Number.POSITIVE_INFINITY);
  dist[src] = 0;
  const done = new Uint8Array(sim.nodes.length);
  // a simple O(n^2 + e) Dijkstra: sampled sources only
  for (;;) {
    let u = -1;
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < dist.length; i++)
      if (!done[i] && (dist[i] as number) < best) [u, best] = [i, dist[i] as number];
    if (u < 0) break;
    done[u] = 1;
    for (const link of (sim.nodes[u] as SimNode).links) {
      if (!link.up) continue;
      const v = link.a === u ? link.b : link.a;
      if (best + link.latency < (dist[v] as number)) dist[v] = best + link.latency;
    }
  }
  return dist;
}

export async function runScenario(
  opts: Partial<SimOptions> & {
    seconds: number;
    samplePairs?: number;
    failoverFlows?: number;
    /** Keep the relay experiment (and the run) going this long after the kill, to see every sender told. */
    deadWatchMs?: number;
  },
  log: (line: string) => void = () => {},
): Promise<SimReport> {
  const t0 = performance.now();
  Bun.gc(true);
  const heapBefore = process.memoryUsage().heapUsed;
  const hash = await loadPacketHash();
  const sim = new Simulation(opts, hash, nameToIpv6);
  const n = sim.nodes.length;
  sim.start();

  // 1. cold start until every node knows every other (or the run ends)
  sim.run(opts.seconds * 1000, () => sim.convergedNodes === n);
  const convergenceMs = sim.convergedNodes === n ? Math.max(...sim.nodes.map((x) => x.convergedAt)) : null;
  log(`converged: ${convergenceMs === null ? "no" : `${convergenceMs.toFixed(0)} ms`} (${sim.events} events)`);
  Bun.gc(true);
  const memoryPerNodeKiB = (process.memoryUsage().heapUsed - heapBefore) / n / 1024;

  // 2. a stable network: control traffic and route changes until the
  //    failover experiments take the last 21 s of the run
  const failoverMs = FAILOVER_MS;
  const failoverStart = Math.max(sim.now, opts.seconds * 1000 - failoverMs);
  const settle = Math.min(failoverStart, sim.now + 2000);
  sim.run(settle);
  const before = sim.nodes.map((x) => [x.controlPackets, x.controlBytes, x.routeChanges] as const);
  const windowStart = sim.now;
  sim.run(failoverStart);
  const windowS = Math.max(0.001, (sim.now - windowStart) / 1000);
  let packets = 0;
  let bytes = 0;
  let changes = 0;
  sim.nodes.forEach((x, i) => {
    const b = before[i] as readonly [number, number, number];
    packets += x.controlPackets - b[0];
    bytes += x.controlBytes - b[1];
    changes += x.routeChanges - b[2];
  });

  // 3. path stretch over sampled pairs
  const pairs: [number, number][] = [];
  for (let i = 0; i < (opts.samplePairs ?? 200); i++) {
    const a = Math.floor(sim.random() * n);
    let b = Math.floor(sim.random() * n);
    if (b === a) b = (b + 1) % n;
    pairs.push([a, b]);
  }
  const stretches: number[] = [];
  let brokenPaths = 0;
  const onPath = new Map<number, [number, number][]>();
  const onLink = new Map<SimLink, [number, number][]>();
  const dists = new Map<number, Float64Array>();
  for (const [a, b] of pairs) {
    const path = followRoute(sim, a, b);
    if (!path) {
      brokenPaths++;
      continue;
    }
    let d = dists.get(a);
    if (!d) {
      d = shortest(sim, a);
      dists.set(a, d);
    }
    stretches.push(path.latency / (d[b] as number));
    for (const h of path.hops.slice(1, -1)) {
      const list = onPath.get(h) ?? [];
      list.push([a, b]);
      onPath.set(h, list);
    }
    for (let i = 1; i < path.hops.length; i++) {
      const [u, v] = [path.hops[i - 1] as number, path.hops[i] as number];
      const link = (sim.nodes[u] as SimNode).links.find((l) => l.up && (l.a === v || l.b === v));
      if (!link) continue;
      const list = onLink.get(link) ?? [];
      list.push([a, b]);
      onLink.set(link, list);
    }
  }
  stretches.sort((x, y) => x - y);

  // 4. failover: the link on the most sampled paths fails while flows cross
  //    it, then the relay on the most sampled paths dies
  const flowCount = opts.failoverFlows ?? 50;
  const ids = { next: 1, doomed: 0 };
  let linkFailover: SimReport["linkFailover"] = null;
  const busiestLink = [...onLink.entries()].sort((x, y) => y[1].length - x[1].length)[0];
  if (busiestLink) {
    const [link, crossing] = busiestLink;
    const failAt = sim.now + 1000;
    const r = failoverRun(sim, ids, crossing.slice(0, flowCount), failAt, failAt + 4000, () => sim.killLink(link));
    linkFailover = { ...r, link: [link.a, link.b] };
    // every node floods again within 10 s: backups lost with the link are
    // learned anew before the next failure (two failures within one flood
    // period are slower to recover from; see README)
    sim.run(sim.now + 10_000);
  }
  let failover: SimReport["failover"] = null;
  let deadDestination: SimReport["deadDestination"] = null;
  const busiest = [...onPath.entries()].sort((x, y) => y[1].length - x[1].length)[0];
  if (busiest) {
    const [victim, crossing] = busiest;
    const failAt = sim.now + 1000;
    const end = Math.max(opts.seconds * 1000, failAt + Math.max(5000, opts.deadWatchMs ?? 0));
    // and 20 sources that send to the relay itself
    const doomed: [number, number][] = [];
    for (let i = 0; i < 20; i++) {
      const a = Math.floor(sim.random() * n);
      if (a !== victim) doomed.push([a, victim]);
    }
    const noRoute: number[] = [];
    const r = failoverRun(
      sim,
      ids,
      crossing.slice(0, flowCount),
      failAt,
      end,
      () => sim.killNode(victim),
      doomed,
      noRoute,
    );
    failover = { ...r, victim };
    const told = noRoute.filter((x) => x !== undefined);
    deadDestination = {
      flows: doomed.length,
      meanMs: told.length ? told.reduce((x, y) => x + y, 0) / told.length : 0,
      maxMs: told.length ? Math.max(...told) : 0,
      never: doomed.length - told.length,
      seenTwice: sim.deadEndLoops,
    };
  }

  return {
    nodes: n,
    links: sim.links.length,
    topology: sim.opts.topology,
    degree: sim.opts.degree,
    seed: sim.opts.seed,
    seconds: opts.seconds,
    convergenceMs,
    controlPacketsPerNodePerS: packets / n / windowS,
    controlBytesPerNodePerS: bytes / n / windowS,
    flapsPerNodePerMin: (changes / n / windowS) * 60,
    stretchMean: stretches.length ? stretches.reduce((s, x) => s + x, 0) / stretches.length : 0,
    stretchP95: stretches[Math.floor(stretches.length * 0.95)] ?? 0,
    brokenPaths,
    linkFailover,
    failover,
    deadDestination,
    dataLoops: sim.dataLoops,
    floodStorms: sim.floodStorms,
    memoryPerNodeKiB,
    events: sim.events,
    wallMs: performance.now() - t0,
  };
}
