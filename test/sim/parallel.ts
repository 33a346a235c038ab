/**
 * Runs a simulation in one part (in this thread) or split over workers,
 * behind one interface: the scenario sends every part the same command
 * and combines their answers. See sim.ts for how parts keep in step.
 */
import { cpus } from "node:os";
import { nameToIpv6 } from "../../src/addr/node-name.ts";
import { loadPacketHash } from "../../src/node/packet-hash.ts";
import { Exchange, exchangeSetup } from "./exchange.ts";
import type { FlowResults, FlowSpec } from "./flows.ts";
import { type SimStats, Simulation } from "./sim.ts";
import type { SimOptions } from "./sim-mesh.ts";

export type Command =
  | { cmd: "start" }
  | { cmd: "run"; until: number }
  | { cmd: "stats" }
  | { cmd: "nextLinks"; dsts: number[] }
  | { cmd: "killLink"; id: number }
  | { cmd: "killNode"; node: number }
  | { cmd: "flows"; spec: FlowSpec }
  | { cmd: "flowResults" }
  | { cmd: "release" };

/** What a part answers to a command. */
export interface Answers {
  start: null;
  run: number;
  stats: SimStats;
  nextLinks: Int32Array[];
  killLink: null;
  killNode: null;
  flows: null;
  flowResults: FlowResults;
  release: number | null;
}

/** Heap bytes in use with no compiled code, after a full collection (this thread's heap: each worker has its own). */
function heapAlone(): number {
  Bun.shrink();
  Bun.gc(true);
  return process.memoryUsage().heapUsed;
}

/** Lets the stack unwind: a collection after it does not see the last turn's stale pointers. */
const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A part's simulation, until `release` frees it. */
interface Holder {
  sim: Simulation | undefined;
}

/**
 * Frees a part's simulation and answers the heap bytes its nodes held:
 * the simulator's own records are dropped first, then the heap is read
 * with it and again once it is really gone (a WeakRef tells); null if it
 * would not go. Compiled code is dropped before each reading
 * (`Bun.shrink`): optimised code holds the objects it was specialised on,
 * which kept a freed simulation alive for 20-30 more collections, and the
 * code is not the simulation's memory. Both readings are a few turns
 * apart: a base read before the run, as this once was, counted every
 * change in the rest of the thread's heap meanwhile (in a test process
 * old code is freed as time passes) and once came out negative.
 */
async function release(holder: Holder): Promise<number | null> {
  holder.sim?.forgetRecords();
  await nextTurn();
  const withSim = heapAlone();
  const freed = new WeakRef(holder.sim as Simulation);
  holder.sim = undefined;
  for (let tries = 0; tries < 10; tries++) {
    await nextTurn();
    const without = heapAlone();
    if (freed.deref() === undefined) return withSim - without;
  }
  return null;
}

/** Carries out one command on a part. */
async function handle(holder: Holder, c: Command): Promise<Answers[Command["cmd"]]> {
  // before the simulation is read: nothing here may hold it while it is freed
  if (c.cmd === "release") return release(holder);
  const sim = holder.sim;
  if (!sim) throw new Error(`sim: "${c.cmd}" after the part was released`);
  switch (c.cmd) {
    case "start":
      sim.start();
      return null;
    case "run":
      sim.run(c.until);
      return sim.now;
    case "stats":
      return sim.stats();
    case "nextLinks":
      // -2: a node another part runs
      return c.dsts.map((dst) => {
        const key = sim.keyOfNode(dst);
        return Int32Array.from(sim.owner, (p, u) => (p !== sim.part ? -2 : sim.nextLink(u, key)));
      });
    case "killLink":
      sim.killLink(c.id);
      return null;
    case "killNode":
      sim.killNode(c.node);
      return null;
    case "flows":
      sim.startFlows(c.spec);
      return null;
    case "flowResults":
      return sim.flowResults();
  }
}

export interface Parts {
  readonly count: number;
  call<C extends Command>(c: C): Promise<Answers[C["cmd"]][]>;
  close(): void;
}

/** How many workers a run of `nodes` nodes uses by default: small runs are faster in one thread. */
export function defaultWorkers(nodes: number): number {
  return nodes >= 300 ? Math.min(2, cpus().length) : 1;
}

/**
 * Bytes of each buffer between two workers: 64 MiB up to 2,000 nodes, then
 * growing with the square of the nodes, as the frames of a cold start's
 * flood wave do (5,000 nodes overflowed 64 MiB in their first windows).
 * Only the pages written are ever backed by memory.
 */
export function boxBytesFor(nodes: number): number {
  return Math.ceil(64 * Math.max(1, (nodes / 2000) ** 2)) << 20;
}

/** The parts of a run of `opts`: this thread alone (workers <= 1) or that many workers. */
export async function openParts(opts: SimOptions, workers: number, exchangeBytes?: number): Promise<Parts> {
  if (workers <= 1) {
    const holder: Holder = { sim: new Simulation(opts, await loadPacketHash(), nameToIpv6) };
    return {
      count: 1,
      call: async (c) => [await handle(holder, c)] as never,
      close: () => {},
    };
  }
  const setup = exchangeSetup(workers, exchangeBytes ?? boxBytesFor(opts.nodes));
  const list = Array.from({ length: workers }, () => new Worker(new URL("./part-worker.ts", import.meta.url).href));
  const waiting: ((m: { answer?: unknown; error?: string }) => void)[] = list.map(() => () => {});
  list.forEach((w, i) => {
    w.onmessage = (ev: MessageEvent) => (waiting[i] as (m: unknown) => void)(ev.data);
    w.onerror = (ev) => (waiting[i] as (m: unknown) => void)({ error: `worker ${i}: ${ev.message}` });
  });
  const ask = (i: number, msg: unknown) =>
    new Promise<unknown>((resolve, reject) => {
      waiting[i] = (m) => (m.error !== undefined ? reject(new Error(m.error)) : resolve(m.answer));
      (list[i] as Worker).postMessage(msg);
    });
  const parts: Parts = {
    count: workers,
    call: (c) => Promise.all(list.map((_, i) => ask(i, c))) as never,
    close: () => {
      for (const w of list) w.terminate();
    },
  };
  try {
    await Promise.all(list.map((_, i) => ask(i, { init: true, opts, setup, part: i })));
  } catch (e) {
    parts.close();
    throw e;
  }
  return parts;
}

/** A worker's side: builds its part and carries out commands until terminated. */
export function serveWorker(scope: { onmessage: unknown; postMessage(m: unknown): void }): void {
  const holder: Holder = { sim: undefined };
  let exchange: Exchange | undefined;
  scope.onmessage = async (ev: MessageEvent) => {
    const m = ev.data as
      | Command
      | { init: true; opts: SimOptions; setup: ReturnType<typeof exchangeSetup>; part: number };
    try {
      if ("init" in m) {
        exchange = new Exchange(m.setup, m.part);
        holder.sim = new Simulation(m.opts, await loadPacketHash(), nameToIpv6, exchange);
        scope.postMessage({ answer: null });
        return;
      }
      scope.postMessage({ answer: await handle(holder, m) });
    } catch (e) {
      // the others may be waiting for this part at a window's end
      exchange?.fail();
      scope.postMessage({ error: e instanceof Error ? e.message : String(e) });
    }
  };
}
