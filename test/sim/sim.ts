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
 */
import type { PacketHash } from "../../src/mesh/dup-filter.ts";
import { NameCache } from "../../src/mesh/name-cache.ts";
import { type Route, Router, type RouterOutput } from "../../src/mesh/router.ts";
import { CALL, DELIVER, EventQueue } from "./event-queue.ts";
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

/** Unix ms the simulated clock starts at, so packet timestamps look real. */
export const EPOCH = 1_800_000_000_000;
const FRAME_OVERHEAD = 18;

export class SimLink {
  up = true;
  /**
   * Each direction's state, a -> b and b -> a, as fields rather than two
   * objects: every frame sent reads them (one cache line, not three).
   */
  busyUntilAB = 0;
  lastArrivalAB = 0;
  busyUntilBA = 0;
  lastArrivalBA = 0;
  constructor(
    readonly id: number,
    readonly a: number,
    readonly b: number,
    /** The link's id in a's and b's routers. */
    readonly localA: number,
    readonly localB: number,
    readonly latency: number,
  ) {}
}

export class SimNode implements RouterOutput {
  readonly router: Router;
  alive = true;
  /** Bumped whenever the next tick is rescheduled: older scheduled ticks then do nothing. */
  tickGen = 0;
  /** Local link id -> link. */
  readonly links: SimLink[] = [];
  knownNames = 0;
  convergedAt = -1;
  routeChanges = 0;
  controlPackets = 0;
  controlBytes = 0;
  dataSent = 0;
  /** Data packet ids seen arriving here (loop detection). */
  readonly seenData = new Set<number>();
  /** Floods (by identity) sent per local link (storm detection). */
  readonly floodsSent = new Map<number, Set<Uint8Array>>();
  /** Whether this node is one of those watched for flood storms. */
  watchStorms = false;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly sim: Simulation,
    hash: PacketHash,
    nameToIpv6: (n: string) => Uint8Array,
  ) {
    this.router = new Router(
      {
        name,
        ipv6: nameToIpv6(name),
        ipv4: [],
        nameToIpv6,
        hash,
        random: sim.random,
        hasTun: true,
        // packets in the simulator are immutable: routers share them instead of copying
        retain: (b, off, len) => (off === 0 && len === b.length ? b : b.slice(off, off + len)),
        // one cache for all routers: each name's address, key and string exist once
        nameCache: sim.names,
        routeHoldMs: sim.opts.routeHoldMs,
        routeStaleMs: sim.opts.routeStaleMs,
      },
      this,
    );
  }

  /** The node at the far end of local link `l`. */
  peerOf(l: number): number {
    const link = this.links[l] as SimLink;
    return link.a === this.id ? link.b : link.a;
  }

  send(l: number, b: Uint8Array, off: number, len: number, data: boolean): boolean {
    const link = this.links[l];
    if (!link?.up) return false;
    const bytes = off === 0 && len === b.length ? b : b.slice(off, off + len);
    if (data) {
      this.dataSent++;
    } else {
      this.controlPackets++;
      this.controlBytes += len + FRAME_OVERHEAD;
      if (this.watchStorms) {
        let sent = this.floodsSent.get(l);
        if (!sent) {
          sent = new Set();
          this.floodsSent.set(l, sent);
        }
        if (sent.has(bytes)) this.sim.floodStorms++;
        sent.add(bytes);
      }
    }
    // forwarding the packet being received: its hash goes with it
    this.sim.transmit(link, this.id, bytes, bytes === this.sim.inBytes ? this.sim.inHash : Number.NaN);
    return true;
  }

  deliver(b: Uint8Array, off: number, len: number): void {
    this.sim.delivered(this.id, b.subarray(off, off + len));
  }

  routeAdded(r: Route): void {
    if (r.kind === "name" && ++this.knownNames === this.sim.nodes.length - 1 && this.convergedAt < 0) {
      this.convergedAt = this.sim.now;
      this.sim.convergedNodes++;
    }
  }

  routeChanged(_r: Route): void {
    this.routeChanges++;
  }

  wake(at: number): void {
    this.sim.wake(this, at);
  }

  routeRemoved(r: Route): void {
    if (r.kind === "name") this.knownNames--;
  }
}

/** Data packet ids from here on are traffic to a node that will die: their loops are counted apart. */
export const DEAD_END_IDS = 0x8000_0000;

export class Simulation {
  readonly opts: SimOptions;
  readonly random: () => number;
  readonly nodes: SimNode[] = [];
  readonly links: SimLink[] = [];
  readonly queue = new EventQueue();
  now = 0;
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
  private readonly ipv6Memo = new Map<string, Uint8Array>();
  /** The routers' shared name cache. */
  readonly names = new NameCache(Number.POSITIVE_INFINITY);

  /** Node i's mesh IPv6 (name-derived; computed once for the whole simulation). */
  ipv6Of(i: number): Uint8Array {
    const ip = this.ipv6Memo.get(`n${i}`);
    if (!ip) throw new Error(`no node ${i}`);
    return ip;
  }

  /** Called for every data packet delivered to a node's TUN: (node, IP packet). */
  onDeliver: (node: number, ip: Uint8Array) => void = () => {};

  constructor(opts: Partial<SimOptions>, hash: PacketHash, nameToIpv6: (n: string) => Uint8Array) {
    this.opts = { ...DEFAULTS, ...opts };
    this.random = seeded(this.opts.seed);
    const memo = this.ipv6Memo;
    const cachedIpv6 = (n: string) => {
      let ip = memo.get(n);
      if (!ip) {
        ip = nameToIpv6(n);
        memo.set(n, ip);
      }
      return ip;
    };
    // packets are immutable and shared by every router that sees them: hash
    // each once. The packet being delivered usually carries its hash; other
    // packets (originated, replayed) are found by identity.
    const hashes = new WeakMap<Uint8Array, number>();
    const sharedHash: PacketHash = (b, off, len) => {
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
    for (let i = 0; i < this.opts.nodes; i++) this.nodes.push(new SimNode(i, `n${i}`, this, sharedHash, cachedIpv6));
    if (this.opts.detectLoops) {
      const stride = Math.max(1, Math.floor(this.opts.nodes / 64));
      const offset = Math.floor(this.random() * stride);
      for (let i = offset; i < this.opts.nodes; i += stride) (this.nodes[i] as SimNode).watchStorms = true;
    }
    const edges = buildTopology(this.opts.topology, this.opts.nodes, this.opts.degree, this.random);
    const [lo, hi] = this.opts.latencyMs;
    for (const [a, b] of edges) {
      const na = this.nodes[a] as SimNode;
      const nb = this.nodes[b] as SimNode;
      const link = new SimLink(
        this.links.length,
        a,
        b,
        na.links.length,
        nb.links.length,
        lo + this.random() * (hi - lo),
      );
      na.links.push(link);
      nb.links.push(link);
      this.links.push(link);
    }
  }

  get time(): number {
    return EPOCH + this.now;
  }

  /** Cold start: every node starts at 0; each link comes up after its handshake (about one RTT). */
  start(): void {
    if (this.opts.detectLoops) this.schedule(5000, () => this.forgetFloods());
    for (const n of this.nodes) this.schedule(0, () => this.tick(n, n.tickGen));
    for (const link of this.links) {
      const at = 2 * link.latency + this.random() * 50;
      this.schedule(at, () => {
        if (!link.up) return;
        const a = this.nodes[link.a] as SimNode;
        const b = this.nodes[link.b] as SimNode;
        if (a.alive) a.router.linkUp(link.localA, this.time);
        if (b.alive) b.router.linkUp(link.localB, this.time);
      });
    }
  }

  schedule(at: number, run: () => void): void {
    const e = this.queue.take();
    e.t = at;
    e.kind = CALL;
    e.fn = run;
    this.queue.push(e);
  }

  /** Storm detection keeps 5 s of sent floods: a storm repeats within milliseconds. */
  private forgetFloods(): void {
    for (const n of this.nodes) n.floodsSent.clear();
    this.schedule(this.now + 5000, () => this.forgetFloods());
  }

  private tick(n: SimNode, gen: number): void {
    if (!n.alive || gen !== n.tickGen) return;
    const next = n.router.tick(this.time) - EPOCH;
    // the node ticks at least every second, as src/node/node.ts does
    const g = ++n.tickGen;
    this.schedule(Math.min(next, this.now + 1000), () => this.tick(n, g));
  }

  /** The router of `n` wants its tick by `at` (unix ms): that replaces the tick scheduled. */
  wake(n: SimNode, at: number): void {
    const g = ++n.tickGen;
    this.schedule(Math.max(this.now, at - EPOCH), () => this.tick(n, g));
  }

  /** Sends `bytes` from node `from` over `link`. */
  /** Sends `bytes` (hash `hash`, NaN: not known) from node `from` over `link`. */
  transmit(link: SimLink, from: number, bytes: Uint8Array, hash = Number.NaN): void {
    const ab = link.a === from;
    const busy = Math.max(this.now, ab ? link.busyUntilAB : link.busyUntilBA);
    const busyUntil = busy + ((bytes.length + FRAME_OVERHEAD) / this.opts.bandwidth) * 1000;
    let arrival = busyUntil + link.latency + this.random() * this.opts.jitterMs;
    if (this.opts.loss > 0 && this.random() < this.opts.loss) arrival += this.opts.rtoMs;
    if (ab) {
      arrival = Math.max(arrival, link.lastArrivalAB);
      link.busyUntilAB = busyUntil;
      link.lastArrivalAB = arrival;
    } else {
      arrival = Math.max(arrival, link.lastArrivalBA);
      link.busyUntilBA = busyUntil;
      link.lastArrivalBA = arrival;
    }
    const e = this.queue.take();
    e.t = arrival;
    e.kind = DELIVER;
    e.link = link;
    e.node = ab ? link.b : link.a;
    e.local = ab ? link.localB : link.localA;
    e.bytes = bytes;
    e.hash = hash;
    this.queue.push(e);
  }

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
    this.onDeliver(node, ip);
  }

  /** Runs events until simulated time `until` (ms since start) or `stop()` returns true. */
  run(until: number, stop?: () => boolean): void {
    const q = this.queue;
    for (;;) {
      const e = q.popDue(until);
      if (!e) break;
      this.now = e.t;
      if (e.kind === DELIVER) this.arrive(e.link as SimLink, e.node, e.local, e.bytes as Uint8Array, e.hash);
      else e.fn?.();
      q.recycle(e);
      this.events++;
      if (stop?.()) return;
    }
    this.now = Math.max(this.now, until);
  }

  /** A link fails; both ends notice after one latency (a reset travelling the path). */
  killLink(link: SimLink): void {
    link.up = false;
    this.schedule(this.now + link.latency, () => {
      for (const [n, l] of [
        [link.a, link.localA],
        [link.b, link.localB],
      ] as const) {
        const node = this.nodes[n] as SimNode;
        if (node.alive) node.router.linkDown(l);
      }
    });
  }

  /** A node's process dies: its links reset, its neighbours notice after one latency. */
  killNode(i: number): void {
    const node = this.nodes[i] as SimNode;
    node.alive = false;
    for (const link of node.links) if (link.up) this.killLink(link);
  }
}
