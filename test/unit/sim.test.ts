/**
 * Small seeded simulations of the real router (test/sim): every node
 * reaches every other, the network has no routing loops or flood storms
 * once stable, and traffic flows again after a link fails or a relay dies.
 */
import { describe, expect, test } from "bun:test";
import { nameToIpv6 } from "../../src/addr/node-name.ts";
import { loadPacketHash } from "../../src/node/packet-hash.ts";
import { followRoute, runScenario } from "../sim/scenario.ts";
import { Simulation } from "../sim/sim.ts";
import { TOPOLOGIES } from "../sim/topology.ts";

describe.each(TOPOLOGIES)("%s topology", (topology) => {
  test("cold start converges, paths are loop-free and close to the shortest, no storms, traffic survives a link and a relay failing", async () => {
    // 30 s: a stable stretch, then the failover experiments' last 21 s
    const r = await runScenario({ nodes: 40, topology, degree: 4, seed: 7, seconds: 30 });
    expect(r.convergenceMs).not.toBeNull();
    expect(r.convergenceMs as number).toBeLessThan(2000);
    expect(r.brokenPaths).toBe(0);
    expect(r.stretchMean).toBeLessThan(1.5);
    expect(r.floodStorms).toBe(0);
    expect(r.controlPacketsPerNodePerS).toBeGreaterThan(0);
    // sources sending to the relay that died are told "no route" (ICMP unreachable) before the run ends
    expect(r.deadDestination?.flows as number).toBeGreaterThan(0);
    expect(r.deadDestination?.never).toBe(0);
    for (const f of [r.linkFailover, r.failover]) {
      expect(f).not.toBeNull();
      expect(f?.flows as number).toBeGreaterThan(0);
      expect(f?.blackholed).toBe(0);
      expect(f?.maxMs as number).toBeLessThan(2000);
    }
  }, 60_000);
});

test("on a stable network every node has a loop-free route to every other", async () => {
  const sim = new Simulation({ nodes: 30, topology: "random", degree: 3, seed: 3 }, await loadPacketHash(), nameToIpv6);
  sim.start();
  sim.run(12_000);
  for (let a = 0; a < 30; a++) {
    for (let b = 0; b < 30; b++) {
      if (a !== b) expect(followRoute(sim, a, b)?.hops.at(-1)).toBe(b);
    }
  }
  expect(sim.dataLoops).toBe(0);
  expect(sim.floodStorms).toBe(0);
});

test("a node that dies: its neighbours' routes move at once, nobody routes into it", async () => {
  const sim = new Simulation({ nodes: 25, topology: "grid", degree: 4, seed: 5 }, await loadPacketHash(), nameToIpv6);
  sim.start();
  sim.run(8000);
  const intoDead = new Set(sim.mesh.adj[12] as number[]); // the links to the centre of the 5x5 grid
  const neighbours = [...intoDead].map((id) => {
    const l = sim.mesh.links[id] as { a: number; b: number };
    return l.a === 12 ? l.b : l.a;
  });
  const others = [...Array(25).keys()].filter((n) => n !== 12);
  // before: the neighbours send some of their traffic through the centre
  const throughCentre = neighbours.flatMap((a) =>
    others.filter((b) => b !== a && intoDead.has(sim.nextLink(a, sim.keyOfNode(b)))).map((b) => [a, b] as const),
  );
  expect(throughCentre.length).toBeGreaterThan(0);
  sim.killNode(12);
  sim.run(8100); // one link latency later: resets seen, no flood has run yet
  for (const a of others) {
    for (const b of others) {
      if (a !== b) expect({ a, b, via: intoDead.has(sim.nextLink(a, sim.keyOfNode(b))) }).toEqual({ a, b, via: false });
    }
  }
  // and each of those routes moved to another link rather than vanishing
  for (const [a, b] of throughCentre)
    expect({ a, b, next: sim.nextLink(a, sim.keyOfNode(b)) >= 0 }).toEqual({ a, b, next: true });
});

test("the same seed gives the same run, and other seeds another", async () => {
  const strip = ({ wallMs: _w, memoryPerNodeKiB: _m, ...rest }: Awaited<ReturnType<typeof runScenario>>) => rest;
  const a = await runScenario({ nodes: 30, topology: "scale-free", degree: 4, seed: 11, seconds: 20 });
  const b = await runScenario({ nodes: 30, topology: "scale-free", degree: 4, seed: 11, seconds: 20 });
  expect(strip(a)).toEqual(strip(b));
  const c = await runScenario({ nodes: 30, topology: "scale-free", degree: 4, seed: 12, seconds: 20 });
  expect(strip(c)).not.toEqual(strip(a));
}, 60_000);

test("split over workers, a run gives exactly the figures it gives in one thread", async () => {
  const strip = ({ wallMs: _w, memoryPerNodeKiB: _m, workers: _k, ...rest }: Awaited<ReturnType<typeof runScenario>>) =>
    rest;
  for (const topology of ["random", "ring"] as const) {
    const opts = { nodes: 40, topology, degree: 4, seed: 5, seconds: 25 };
    const one = await runScenario({ ...opts, workers: 1 });
    const two = await runScenario({ ...opts, workers: 2 });
    const three = await runScenario({ ...opts, workers: 3 });
    expect(two.workers).toBe(2);
    expect(three.workers).toBe(3);
    // the run did something worth comparing: traffic crossed and failovers ran
    expect(one.events).toBeGreaterThan(100_000);
    expect(one.failover?.flows as number).toBeGreaterThan(0);
    expect(strip(two)).toEqual(strip(one));
    expect(strip(three)).toEqual(strip(one));
  }
}, 120_000);

test("a cold-start-only run stops at convergence with the full run's convergence figure, split or not", async () => {
  const opts = { nodes: 40, topology: "random", degree: 4, seed: 5, seconds: 25 } as const;
  const full = await runScenario({ ...opts, workers: 1 });
  for (const workers of [1, 2]) {
    const cold = await runScenario({ ...opts, workers, coldOnly: true });
    expect(cold.convergenceMs).toBe(full.convergenceMs as number);
    // it stopped at the first 100 ms look after convergence, long before the run's 25 s
    expect(cold.seconds).toBe(Math.ceil((full.convergenceMs as number) / 100) / 10);
    expect(cold.events).toBeGreaterThan(1000);
    expect(cold.events).toBeLessThan(full.events / 10);
    expect(cold.memoryPerNodeKiB).toBeGreaterThan(0);
    // what it did not run is not measured, rather than zero
    expect([cold.controlPacketsPerNodePerS, cold.flapsPerNodePerMin, cold.stretchMean, cold.failover]).toEqual([
      null,
      null,
      null,
      null,
    ]);
  }
}, 60_000);

test("the memory figure is the simulation's own, whatever the rest of the thread's heap does meanwhile", async () => {
  const opts = { nodes: 40, topology: "random", degree: 4, seed: 5, seconds: 25, workers: 1, coldOnly: true } as const;
  const quiet = (await runScenario(opts)).memoryPerNodeKiB as number;
  // 64 MiB elsewhere in this thread that goes away during the run, and
  // 64 MiB that arrives: neither is the simulation's
  let ballast: Uint8Array[] | undefined = Array.from({ length: 64 }, () => new Uint8Array(1 << 20).fill(1));
  let arrived: Uint8Array[] = [];
  const shrinking = (
    await runScenario(opts, (line) => {
      if (line.startsWith("converged")) ballast = undefined;
    })
  ).memoryPerNodeKiB as number;
  const growing = (
    await runScenario(opts, (line) => {
      if (line.startsWith("converged")) arrived = Array.from({ length: 64 }, () => new Uint8Array(1 << 20).fill(1));
    })
  ).memoryPerNodeKiB as number;
  expect(ballast).toBeUndefined();
  expect(arrived.length).toBe(64);
  // 64 MiB over 40 nodes would be 1,638 KiB each; the same run's figure
  // varies by a quarter (the first in a process reads highest)
  expect(quiet).toBeGreaterThan(10);
  for (const figure of [shrinking, growing]) {
    expect(figure).toBeGreaterThan(quiet / 2);
    expect(figure).toBeLessThan(quiet * 2);
  }
});

test("a worker that fails stops the run with its reason instead of leaving the others waiting", async () => {
  // boxes of 256 bytes: the first window's crossing frames do not fit
  const run = runScenario({
    nodes: 40,
    topology: "random",
    degree: 4,
    seed: 5,
    seconds: 10,
    workers: 2,
    exchangeBytes: 256,
  });
  await expect(run).rejects.toThrow(/crossed between two workers in one window/);
}, 30_000);
