/**
 * What a simulator run is (its options) and the mesh they make: the links
 * with their latencies and handshake times, the nodes watched for flood
 * storms, and which part (worker) runs each node. Built from the seed
 * alone, so every part of a parallel run builds the same mesh.
 */
import { seeded } from "./rng.ts";
import { buildTopology, type Topology } from "./topology.ts";

export interface SimOptions {
  nodes: number;
  topology: Topology;
  degree: number;
  seed: number;
  /** One-way latency of each link, drawn uniformly from [min, max] ms. */
  latencyMs: [number, number];
  /** Extra delay per frame, uniform in [0, jitterMs]. */
  jitterMs: number;
  /** Probability that a frame needs a retransmission. */
  loss: number;
  rtoMs: number;
  /** Bytes per second each link direction carries. */
  bandwidth: number;
  /**
   * Detect loops (a data packet seen twice by one node) everywhere, and
   * storms (a flood sent twice on one link) on up to 64 nodes chosen by the
   * seed: watching every link of a large mesh costs more memory than the
   * routers themselves.
   */
  detectLoops: boolean;
  /** The router's route hold in ms (undefined: its default), to compare settings. */
  routeHoldMs?: number;
  /** Passed to every router (default: the product's ROUTE_STALE_MS). */
  routeStaleMs?: number;
}

export const DEFAULTS: SimOptions = {
  nodes: 100,
  topology: "random",
  degree: 4,
  seed: 1,
  latencyMs: [1, 20],
  jitterMs: 1,
  loss: 0,
  rtoMs: 200,
  bandwidth: 12_500_000, // 100 Mbit/s
  detectLoops: true,
};

/** The mesh of a run: the same for every part (built from the seed alone). */
export interface Mesh {
  /** Per link: its ends, its one-way latency and when its handshake completes (ms). */
  links: { a: number; b: number; latency: number; upAt: number }[];
  /** Per node: its links' ids, in the order the node numbers them (its local link ids). */
  adj: number[][];
  /** Nodes watched for flood storms. */
  watched: Uint8Array;
}

export function buildMesh(opts: SimOptions): Mesh {
  const random = seeded(opts.seed);
  const n = opts.nodes;
  const watched = new Uint8Array(n);
  if (opts.detectLoops) {
    const stride = Math.max(1, Math.floor(n / 64));
    const offset = Math.floor(random() * stride);
    for (let i = offset; i < n; i += stride) watched[i] = 1;
  }
  const adj: number[][] = Array.from({ length: n }, () => []);
  const [lo, hi] = opts.latencyMs;
  const links = buildTopology(opts.topology, n, opts.degree, random).map(([a, b], id) => {
    (adj[a] as number[]).push(id);
    (adj[b] as number[]).push(id);
    return { a, b, latency: lo + random() * (hi - lo), upAt: 0 };
  });
  for (const l of links) l.upAt = 2 * l.latency + random() * 50;
  return { links, adj, watched };
}

/**
 * Which part runs each node. Time moves in windows as long as the shortest
 * link between two parts (see `Simulation.lookahead`), and short windows
 * mean more waiting at their ends, so short links are kept inside parts:
 * nodes are merged along links in order of latency (shortest first) into
 * groups of at most a sixteenth of the work of a part (or twice the busiest
 * node's), then the groups go to parts largest first, each to the part with
 * the least work so far. A node's work is about its number of links: every
 * flood reaches it once per link.
 */
export function partition(mesh: Mesh, parts: number): Int32Array {
  const n = mesh.adj.length;
  const owner = new Int32Array(n);
  if (parts <= 1) return owner;
  const up = Int32Array.from({ length: n }, (_, i) => i);
  const root = (u: number): number => {
    while (up[u] !== u) {
      const p = up[up[u] as number] as number;
      up[u] = p;
      u = p;
    }
    return u;
  };
  const work = Float64Array.from(mesh.adj, (links) => 1 + links.length);
  const total = work.reduce((s, x) => s + x, 0);
  // a hub with more links than that may still take its shortest links along
  const cap = Math.max(total / parts / 16, 2 * Math.max(...work));
  const byLatency = mesh.links
    .map((_, id) => id)
    .sort((x, y) => (mesh.links[x]?.latency as number) - (mesh.links[y]?.latency as number));
  for (const id of byLatency) {
    const l = mesh.links[id] as Mesh["links"][number];
    const a = root(l.a);
    const b = root(l.b);
    if (a === b || (work[a] as number) + (work[b] as number) > cap) continue;
    up[b] = a;
    work[a] = (work[a] as number) + (work[b] as number);
  }
  const groups = [...new Set(Array.from({ length: n }, (_, i) => root(i)))].sort(
    (x, y) => (work[y] as number) - (work[x] as number) || x - y,
  );
  const load = new Float64Array(parts);
  const partOf = new Map<number, number>();
  for (const g of groups) {
    let p = 0;
    for (let q = 1; q < parts; q++) if ((load[q] as number) < (load[p] as number)) p = q;
    partOf.set(g, p);
    load[p] = (load[p] as number) + (work[g] as number);
  }
  for (let i = 0; i < n; i++) owner[i] = partOf.get(root(i)) as number;
  return owner;
}
