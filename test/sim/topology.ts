/**
 * Mesh shapes for the simulator, as undirected edge lists over nodes
 * 0..n-1. Every topology is connected (random graphs get a spanning tree
 * first).
 */
export const TOPOLOGIES = ["random", "ring", "grid", "scale-free"] as const;
export type Topology = (typeof TOPOLOGIES)[number];

export function buildTopology(kind: Topology, n: number, degree: number, random: () => number): [number, number][] {
  const edges = new Set<string>();
  const out: [number, number][] = [];
  const add = (a: number, b: number) => {
    if (a === b) return false;
    const k = a < b ? `${a},${b}` : `${b},${a}`;
    if (edges.has(k)) return false;
    edges.add(k);
    out.push([a, b]);
    return true;
  };
  const pick = (k: number) => Math.floor(random() * k);
  switch (kind) {
    case "ring": {
      // each node linked to its degree/2 nearest neighbours on each side
      const half = Math.max(1, Math.floor(degree / 2));
      for (let i = 0; i < n; i++) for (let d = 1; d <= half; d++) add(i, (i + d) % n);
      break;
    }
    case "grid": {
      const w = Math.ceil(Math.sqrt(n));
      for (let i = 0; i < n; i++) {
        if ((i + 1) % w !== 0 && i + 1 < n) add(i, i + 1);
        if (i + w < n) add(i, i + w);
      }
      break;
    }
    case "random": {
      for (let i = 1; i < n; i++) add(i, pick(i)); // random spanning tree: connected
      const target = Math.round((n * degree) / 2);
      for (let tries = 0; out.length < target && tries < target * 20; tries++) add(pick(n), pick(n));
      break;
    }
    case "scale-free": {
      // Barabasi-Albert preferential attachment, m = degree / 2 links per new node
      const m = Math.max(1, Math.floor(degree / 2));
      const ends: number[] = [];
      for (let i = 1; i <= Math.min(m, n - 1); i++) {
        add(0, i);
        ends.push(0, i);
      }
      for (let i = m + 1; i < n; i++) {
        let made = 0;
        for (let tries = 0; made < m && tries < m * 20; tries++) {
          const t = ends[pick(ends.length)] as number;
          if (add(i, t)) {
            ends.push(i, t);
            made++;
          }
        }
      }
      break;
    }
  }
  return out;
}
