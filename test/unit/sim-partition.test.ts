/**
 * How the parallel simulator splits nodes over workers (test/sim/sim-mesh.ts
 * `partition`): every node gets a worker, the work is balanced, and short
 * links stay inside a worker so that windows are longer than the shortest
 * link of the mesh.
 */
import { expect, test } from "bun:test";
import fc from "fast-check";
import { buildMesh, DEFAULTS, partition } from "../sim/sim-mesh.ts";
import { TOPOLOGIES } from "../sim/topology.ts";

test("each node gets one of the parts, the parts' work is within 15% of even, and the cut keeps the shortest links inside", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...TOPOLOGIES),
      fc.integer({ min: 200, max: 600 }),
      fc.integer({ min: 2, max: 4 }),
      fc.integer({ min: 0, max: 1000 }),
      (topology, nodes, parts, seed) => {
        const mesh = buildMesh({ ...DEFAULTS, topology, nodes, seed });
        const owner = partition(mesh, parts);
        const load = new Array(parts).fill(0);
        owner.forEach((p, u) => {
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThan(parts);
          load[p] += 1 + (mesh.adj[u] as number[]).length;
        });
        const even = load.reduce((s, x) => s + x, 0) / parts;
        for (const l of load) expect(Math.abs(l - even) / even).toBeLessThan(0.15);
        // the window (shortest link between parts) is longer than the mesh's shortest link
        const lat = mesh.links.map((l) => l.latency);
        const cut = mesh.links.filter((l) => owner[l.a] !== owner[l.b]).map((l) => l.latency);
        expect(cut.length).toBeGreaterThan(0);
        expect(Math.min(...cut)).toBeGreaterThan(Math.min(...lat));
      },
    ),
    { numRuns: 40 },
  );
});

test("one part: every node in it", () => {
  const mesh = buildMesh({ ...DEFAULTS, nodes: 50 });
  expect([...new Set(partition(mesh, 1))]).toEqual([0]);
});
