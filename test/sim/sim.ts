/**
 * A many-node simulator for the real router (src/mesh/router.ts): N router
 * instances joined by simulated TCP links, on a simulated clock, with no
 * sockets and no real time. Deterministic for a seed.
 *
 * A link direction is an ordered, reliable byte stream like TCP: each frame
 * waits for the link's bandwidth, then arrives after the latency plus
 * jitter, never before the frame sent ahead of it. "Loss" is modelled as
 * TCP sees it: the frame is retransmitted after `rtoMs`, and everything
 * behind it waits too.
 *
 * The nodes can be split over workers ("parts", see exchange.ts and
 * parallel.ts): each part runs its own nodes, time moves in windows no
 * longer than the shortest link latency, and the frames that cross go
 * between windows. Every random draw belongs to the node it concerns and
 * events at the same time run in an order set by the node that made them,
 * so a run gives the same figures however many parts it has.
 *
 * This file is the clock, the event loop and the links in between; the
 * nodes and links themselves are in sim-node.ts, the mesh a run builds and
 * its split over parts in sim-mesh.ts, the scenario's flows in flows.ts.
 */
import { type AddrKey, keyOf } from "../../src/mesh/addr-key.ts";
import type { PacketHash } from "../../src/mesh/dup-filter.ts";
import { NameCache } from "../../src/mesh/name-cache.ts";
import { CMD_DATA } from "../../src/mesh/packet.ts";
import { CALL, DELIVER, EventQueue } from "./event-queue.ts";
import type { Exchange, Take } from "./exchange.ts";
import { DEAD_END_IDS, datagram, type FlowResults, type FlowSpec, flowRounds, ROUND_MS } from "./flows.ts";
import { buildMesh, DEFAULTS, type Mesh, partition, type SimOptions } from "./sim-mesh.ts";
import { FRAME_OVERHEAD, SimLink, SimNode } from "./sim-node.ts";

/** Per-part counters; a parallel run adds them up. */
export interface SimStats {
  converged: number;
  /** Latest convergence among this part's nodes (-1: none yet). */
  convergedAt: number;
  controlPackets: number;
  controlBytes: number;
  routeChanges: number;
  events: number;
  dataLoops: number;
  deadEndLoops: number;
  floodStorms: number;
  /** Windows run, and wall ms spent waiting for other parts (how well the work divides; 0 in one part). */
  windows: number;
  waitedMs: number;
}

/** Unix ms the simulated clock starts at, so packet timestamps look real. */
export const EPOCH = 1_800_000_000_000;

/**
 * A simulation, or one part of a parallel one: it runs the nodes its
 * exchange gives it (all of them without one).
 */
export class Simulation {
  readonly opts: SimOptions;
  readonly mesh: Mesh;
  /** Which part runs each node. */
  readonly owner: Int32Array;
  readonly part: number;
  /** The nodes this part runs (the others' entries are empty). */
  readonly nodes: SimNode[] = [];
  readonly links: SimLink[] = [];
  readonly queue = new EventQueue();
  /** Window length: the shortest latency of a link between two parts (a frame sent in a window arrives after it). */
  readonly lookahead: number;
  now = 0;
  /** Nodes of this part that converged. */
  convergedNodes = 0;
  floodStorms = 0;
  dataLoops = 0;
  /** Packets seen twice whose id is DEAD_END_IDS or more: sent to a node known to be dead (counted apart). */
  deadEndLoops = 0;
  events = 0;
  /**
   * The packet being delivered and its hash (NaN: not known yet). Every copy
   * of a flood is the same immutable bytes: the hash travels with the copies
   * (see `transmit`) instead of being looked up again by every router.
   */
  inBytes: Uint8Array | null = null;
  inHash = Number.NaN;
  /** The routers' shared name cache. */
  readonly names = new NameCache(Number.POSITIVE_INFINITY);
  readonly hashOf: PacketHash;
  /** Per node: events it made so far (see `key`). */
  private readonly made: Float64Array;
  /** Earliest arrival among frames sent to other parts this window. */
  private outMin = Number.POSITIVE_INFINITY;
  private readonly ipv6: Uint8Array[];
  /** Floods received from other parts, by hash (see `fromOutside`). */
  private interned = new Map<number, Uint8Array>();
  private internOld = new Map<number, Uint8Array>();
  private internSince = 0;
  private flows: { spec: FlowSpec; results: FlowResults; firstIdAfter: number; idEnd: number } | null = null;

  /** Called for every data packet delivered to a node's TUN: (node, IP packet). */
  onDeliver: (node: number, ip: Uint8Array) => void = () => {};

  constructor(
    opts: Partial<SimOptions>,
    hash: PacketHash,
    nameToIpv6: (n: string) => Uint8Array,
    private readonly exchange: Exchange | null = null,
  ) {
    this.opts = { ...DEFAULTS, ...opts };
    const n = this.opts.nodes;
    this.mesh = buildMesh(this.opts);
    this.part = exchange?.part ?? 0;
    this.owner = partition(this.mesh, exchange?.parts ?? 1);
    this.made = new Float64Array(n);
    this.ipv6 = Array.from({ length: n }, (_, i) => nameToIpv6(`n${i}`));
    const ipv6 = this.ipv6;
    const cachedIpv6 = (name: string) => {
      const i = Number(name.slice(1));
      return (name === `n${i}` ? ipv6[i] : undefined) ?? nameToIpv6(name);
    };
    // packets are immutable and shared by every router that sees them: hash
    // each once. The packet being delivered usually carries its hash; other
    // packets (originated, replayed) are found by identity.
    const hashes = new WeakMap<Uint8Array, number>();
    this.hashOf = (b, off, len) => {
      if (off !== 0 || len !== b.length) return hash(b, off, len);
      if (b === this.inBytes) {
        if (Number.isNaN(this.inHash)) this.inHash = hash(b, 0, len);
        return this.inHash;
      }
      let h = hashes.get(b);
      if (h === undefined) {
        h = hash(b, 0, len);
        hashes.set(b, h);
      }
      return h;
    };
    for (let i = 0; i < n; i++) {
      if (this.owner[i] !== this.part) continue;
      const node = new SimNode(i, `n${i}`, this, this.hashOf, cachedIpv6);
      node.watchStorms = this.mesh.watched[i] === 1;
      this.nodes[i] = node;
    }
    this.mesh.links.forEach((l, id) => {
      const localA = (this.mesh.adj[l.a] as number[]).indexOf(id);
      const localB = (this.mesh.adj[l.b] as number[]).indexOf(id);
      const link = new SimLink(id, l.a, l.b, localA, localB, l.latency);
      this.links.push(link);
      this.nodes[l.a]?.links.push(link);
      this.nodes[l.b]?.links.push(link);
    });
    // the window: frames between parts take at least this long (one part: no windows)
    let lookahead = Number.POSITIVE_INFINITY;
    for (const l of this.mesh.links) {
      if (this.owner[l.a] !== this.owner[l.b]) lookahead = Math.min(lookahead, l.latency);
    }
    if (!(lookahead > 0)) {
      throw new Error("sim: workers need every link latency above 0 ms (it bounds how far each may run ahead)");
    }
    this.lookahead = lookahead;
  }

  /** Node i's mesh IPv6 (name-derived; computed once for the whole simulation). */
  ipv6Of(i: number): Uint8Array {
    const ip = this.ipv6[i];
    if (!ip) throw new Error(`no node ${i}`);
    return ip;
  }

  get time(): number {
    return EPOCH + this.now;
  }

  /**
   * The ordering key of the next event node `node` makes: events at the same
   * time run in key order, and a node's own events (its deliveries, ticks)
   * happen in the same order whatever part runs it, so keys do too.
   */
  private key(node: number): number {
    const k = this.made[node] as number;
    this.made[node] = k + 1;
    return node * 4294967296 + k;
  }

  /** Cold start: every node starts at 0; each link comes up after its handshake (about one RTT). */
  start(): void {
    for (const n of this.nodes) if (n) this.schedule(n.id, 0, () => this.tick(n, n.tickGen));
    for (const link of this.links) {
      const at = (this.mesh.links[link.id] as Mesh["links"][number]).upAt;
      for (const [end, local] of [
        [link.a, link.localA],
        [link.b, link.localB],
      ] as const) {
        const node = this.nodes[end];
        if (!node) continue;
        this.schedule(end, at, () => {
          if (link.up && node.alive) node.router.linkUp(local, this.time);
        });
      }
    }
  }

  /** Runs `run` at `at` as an event of node `node` (which this part runs). */
  schedule(node: number, at: number, run: () => void): void {
    const e = this.queue.take();
    e.t = at;
    e.kind = CALL;
    e.fn = run;
    this.queue.push(e, this.key(node));
  }

  private tick(n: SimNode, gen: number): void {
    if (!n.alive || gen !== n.tickGen) return;
    const next = n.router.tick(this.time) - EPOCH;
    // the node ticks at least every second, as src/node/node.ts does
    const g = ++n.tickGen;
    this.schedule(n.id, Math.min(next, this.now + 1000), () => this.tick(n, g));
  }

  /** The router of `n` wants its tick by `at` (unix ms): that replaces the tick scheduled. */
  wake(n: SimNode, at: number): void {
    const g = ++n.tickGen;
    this.schedule(n.id, Math.max(this.now, at - EPOCH), () => this.tick(n, g));
  }

  /** Sends `bytes` (hash `hash`, NaN: not known) from node `from` (run by this part) over `link`. */
  transmit(link: SimLink, from: number, bytes: Uint8Array, hash = Number.NaN): void {
    const random = (this.nodes[from] as SimNode).random;
    const ab = link.a === from;
    const busy = Math.max(this.now, ab ? link.busyUntilAB : link.busyUntilBA);
    const busyUntil = busy + ((bytes.length + FRAME_OVERHEAD) / this.opts.bandwidth) * 1000;
    let arrival = busyUntil + link.latency + random() * this.opts.jitterMs;
    if (this.opts.loss > 0 && random() < this.opts.loss) arrival += this.opts.rtoMs;
    if (ab) {
      arrival = Math.max(arrival, link.lastArrivalAB);
      link.busyUntilAB = busyUntil;
      link.lastArrivalAB = arrival;
    } else {
      arrival = Math.max(arrival, link.lastArrivalBA);
      link.busyUntilBA = busyUntil;
      link.lastArrivalBA = arrival;
    }
    const to = ab ? link.b : link.a;
    const key = this.key(from);
    const part = this.owner[to] as number;
    if (part !== this.part) {
      (this.exchange as Exchange).out(part).write(arrival, key, hash, link.id * 2 + (ab ? 1 : 0), bytes);
      if (arrival < this.outMin) this.outMin = arrival;
      return;
    }
    this.enqueue(arrival, key, link, ab, bytes, hash);
  }

  private enqueue(t: number, key: number, link: SimLink, toB: boolean, bytes: Uint8Array, hash: number): void {
    const e = this.queue.take();
    e.t = t;
    e.kind = DELIVER;
    e.link = link;
    e.node = toB ? link.b : link.a;
    e.local = toB ? link.localB : link.localA;
    e.bytes = bytes;
    e.hash = hash;
    this.queue.push(e, key);
  }

  /**
   * A frame from another part. Each part keeps one copy of every flood, as
   * a one-thread run keeps one for all routers: the copies that cross
   * between parts are found by hash (a flood's copies all cross within a
   * second of each other; two generations of 10 s catch them).
   */
  private readonly fromOutside: Take = (t, key, hash, linkDir, buf, off, len) => {
    let bytes: Uint8Array | undefined;
    if (!Number.isNaN(hash) && buf[off + 8] !== CMD_DATA) {
      if (t >= this.internSince + 10_000) {
        this.internOld = this.interned;
        this.interned = new Map();
        this.internSince = t;
      }
      bytes = this.interned.get(hash);
      if (bytes === undefined) {
        bytes = this.internOld.get(hash);
        if (bytes === undefined || bytes.length !== len) bytes = buf.slice(off, off + len);
        this.interned.set(hash, bytes);
      }
    } else {
      bytes = buf.slice(off, off + len);
    }
    this.enqueue(t, key, this.links[linkDir >> 1] as SimLink, (linkDir & 1) === 1, bytes, hash);
  };

  private arrive(link: SimLink, to: number, local: number, bytes: Uint8Array, hash: number): void {
    const node = this.nodes[to] as SimNode;
    if (!link.up || !node.alive) return;
    this.inBytes = bytes;
    this.inHash = hash;
    if (this.opts.detectLoops && bytes[8] === 3 && bytes.length >= 9 + 44) {
      const id = new DataView(bytes.buffer, bytes.byteOffset + 9 + 40, 4).getUint32(0);
      if (node.seenData.has(id)) {
        if (id >= DEAD_END_IDS) this.deadEndLoops++;
        else this.dataLoops++;
      }
      node.seenData.add(id);
    }
    node.router.receive(local, bytes, 0, bytes.length, this.time);
  }

  delivered(node: number, ip: Uint8Array): void {
    const f = this.flows;
    if (f && ip.length >= 44) {
      const id = new DataView(ip.buffer, ip.byteOffset + 40, 4).getUint32(0);
      // only packets sent after the failure count: those in flight before it prove nothing
      if (id >= f.firstIdAfter && id < f.idEnd) {
        const flow = (id - f.spec.idBase) % f.spec.flows.length;
        if (Number.isNaN(f.results.firstAfter[flow])) f.results.firstAfter[flow] = this.now - f.spec.failAt;
      }
    }
    this.onDeliver(node, ip);
  }

  /** Ends a window: swaps frames with the other parts; returns the earliest next event of all. */
  private sync(): number {
    const mine = Math.min(this.queue.peekTime(), this.outMin);
    this.outMin = Number.POSITIVE_INFINITY;
    const ex = this.exchange;
    if (!ex) return mine;
    return ex.sync(mine, this.fromOutside);
  }

  /**
   * Runs until simulated time `until` (ms since start, inclusive). Between
   * parts, time moves in windows of `lookahead` ms; `now` is `until` after.
   */
  run(until: number): void {
    const q = this.queue;
    let next = this.sync();
    for (;;) {
      if (next > until) {
        this.now = Math.max(this.now, until);
        return;
      }
      const end = next + this.lookahead;
      const last = end > until;
      for (;;) {
        const e = last ? q.popDue(until) : q.popBefore(end);
        if (!e) break;
        this.now = e.t;
        if (e.kind === DELIVER) this.arrive(e.link as SimLink, e.node, e.local, e.bytes as Uint8Array, e.hash);
        else e.fn?.();
        q.recycle(e);
        this.events++;
      }
      this.now = last ? until : end;
      next = this.sync();
      if (last) return;
    }
  }

  /** A link fails; both ends notice after one latency (a reset travelling the path). */
  killLink(id: number): void {
    const link = this.links[id] as SimLink;
    if (!link.up) return;
    link.up = false;
    for (const [end, local] of [
      [link.a, link.localA],
      [link.b, link.localB],
    ] as const) {
      const node = this.nodes[end];
      if (node) this.schedule(end, this.now + link.latency, () => node.alive && node.router.linkDown(local));
    }
  }

  /** A node's process dies: its links reset, its neighbours notice after one latency. */
  killNode(i: number): void {
    const node = this.nodes[i];
    if (node) node.alive = false;
    for (const id of this.mesh.adj[i] as number[]) this.killLink(id);
  }

  /** The routing table key of node `dst` (for `nextLink`). */
  keyOfNode(dst: number): AddrKey {
    return keyOf(this.ipv6Of(dst));
  }

  /**
   * Drops what the simulator itself recorded to judge the run (the data
   * packets each node saw, for loops; the floods sent per link, for
   * storms), leaving what the nodes hold: their memory is read after this.
   */
  forgetRecords(): void {
    for (const node of this.nodes) {
      if (!node) continue;
      node.seenData.clear();
      node.floodsSent.clear();
    }
    this.flows = null;
  }

  /** The link node `u` (run here) sends traffic on for the node whose key is `dst` (`keyOfNode`), or -1 (no route). */
  nextLink(u: number, dst: AddrKey): number {
    const node = this.nodes[u] as SimNode;
    const l = node.router.table.nextHop(dst, -1);
    return l < 0 ? -1 : (node.links[l] as SimLink).id;
  }

  /** Starts the flows of `spec` whose sources this part runs (see FlowSpec). */
  startFlows(spec: FlowSpec): void {
    const rounds = flowRounds(spec);
    const F = spec.flows.length;
    const D = spec.doomed.length;
    let afterFail = 0;
    while (afterFail < rounds && spec.start + afterFail * ROUND_MS <= spec.failAt) afterFail++;
    const results: FlowResults = {
      firstAfter: new Float64Array(F).fill(Number.NaN),
      noRoute: new Float64Array(D).fill(Number.NaN),
    };
    this.flows = { spec, results, firstIdAfter: spec.idBase + afterFail * F, idEnd: spec.idBase + rounds * F };
    for (let k = 0; k < rounds; k++) {
      const t = spec.start + k * ROUND_MS;
      spec.flows.forEach(([a, b], f) => {
        const node = this.nodes[a];
        if (!node) return;
        const ip = datagram(this.ipv6Of(a), this.ipv6Of(b), spec.idBase + k * F + f);
        this.schedule(a, t, () => node.router.fromLocal(ip, 0, ip.length, this.time));
      });
      spec.doomed.forEach(([a, b], f) => {
        const node = this.nodes[a];
        if (!node) return;
        const ip = datagram(this.ipv6Of(a), this.ipv6Of(b), DEAD_END_IDS + spec.doomedBase + k * D + f);
        this.schedule(a, t, () => {
          const said = node.router.fromLocal(ip, 0, ip.length, this.time);
          if (t > spec.failAt && said === "no-route" && Number.isNaN(results.noRoute[f])) {
            results.noRoute[f] = this.now - spec.failAt;
          }
        });
      });
    }
  }

  /** What this part saw of the flows started last; stops looking. */
  flowResults(): FlowResults {
    const r = this.flows?.results ?? { firstAfter: new Float64Array(), noRoute: new Float64Array() };
    this.flows = null;
    return r;
  }

  stats(): SimStats {
    const s: SimStats = {
      converged: this.convergedNodes,
      convergedAt: -1,
      controlPackets: 0,
      controlBytes: 0,
      routeChanges: 0,
      events: this.events,
      dataLoops: this.dataLoops,
      deadEndLoops: this.deadEndLoops,
      floodStorms: this.floodStorms,
      windows: this.exchange?.windows ?? 0,
      waitedMs: this.exchange?.waitedMs ?? 0,
    };
    for (const x of this.nodes) {
      if (!x) continue;
      s.convergedAt = Math.max(s.convergedAt, x.convergedAt);
      s.controlPackets += x.controlPackets;
      s.controlBytes += x.controlBytes;
      s.routeChanges += x.routeChanges;
    }
    return s;
  }
}
