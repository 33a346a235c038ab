/**
 * Runs a simulation in one part (in this thread) or split over workers,
 * behind one interface: the scenario sends every part the same command
 * and combines their answers. See sim.ts for how parts keep in step.
 */
import { cpus } from "node:os";
import { nameToIpv6 } from "../../src/addr/node-name.ts";
import { loadPacketHash } from "../../src/mesh/packet-hash.ts";
import { Exchange, exchangeSetup } from "./exchange.ts";
import { type FlowResults, type FlowSpec, type SimOptions, type SimStats, Simulation } from "./sim.ts";

export type Command =
  | { cmd: "start" }
  | { cmd: "run"; until: number }
  | { cmd: "stats" }
  | { cmd: "nextLinks"; dsts: number[] }
  | { cmd: "killLink"; id: number }
  | { cmd: "killNode"; node: number }
  | { cmd: "flows"; spec: FlowSpec }
  | { cmd: "flowResults" }
  | { cmd: "heap" };

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
  heap: number;
}

/** Heap bytes in use after a full collection (this thread's heap: each worker has its own). */
function heapNow(): number {
  Bun.gc(true);
  return process.memoryUsage().heapUsed;
}

/** Carries out one command on a part. */
export function handle(sim: Simulation, c: Command, heapBase: number): Answers[Command["cmd"]] {
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
    case "heap":
      return heapNow() - heapBase;
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
    const base = heapNow();
    const sim = new Simulation(opts, await loadPacketHash(), nameToIpv6);
    return {
      count: 1,
      call: async (c) => [handle(sim, c, base)] as never,
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
  let sim: Simulation | undefined;
  let exchange: Exchange | undefined;
  let opts: SimOptions | undefined;
  let base = 0;
  scope.onmessage = async (ev: MessageEvent) => {
    const m = ev.data as
      | Command
      | { init: true; opts: SimOptions; setup: ReturnType<typeof exchangeSetup>; part: number };
    try {
      if ("init" in m) {
        exchange = new Exchange(m.setup, m.part);
        opts = m.opts;
        scope.postMessage({ answer: null });
        return;
      }
      if (!sim) {
        if (!opts || !exchange) throw new Error("sim: worker not set up");
        // measured here, not at set-up: the heap counts the shared buffers
        // twice while the message that brought them is alive
        base = heapNow();
        sim = new Simulation(opts, await loadPacketHash(), nameToIpv6, exchange);
      }
      scope.postMessage({ answer: handle(sim, m, base) });
    } catch (e) {
      // the others may be waiting for this part at a window's end
      exchange?.fail();
      scope.postMessage({ error: e instanceof Error ? e.message : String(e) });
    }
  };
}
