/**
 * One simulated node and one simulated link. A SimNode runs the real
 * Router and is its output: frames it sends go to its Simulation's
 * `transmit`, packets for it to the simulation's `delivered`, and it keeps
 * the figures a run reports (convergence, control traffic, route changes)
 * and what loop and storm detection need. A SimLink holds the state of
 * both directions of one link, for the part that runs each sending end.
 */
import type { PacketHash } from "../../src/mesh/dup-filter.ts";
import { type Route, Router, type RouterOutput } from "../../src/mesh/router.ts";
import { seeded } from "./rng.ts";
import type { Simulation } from "./sim.ts";

/** Bytes each frame adds on a link besides its mesh packet: a legacy frame's length and MAC. */
export const FRAME_OVERHEAD = 18;

/** A seed of its own for each node, so a node's draws do not depend on which other nodes share its part. */
function nodeSeed(seed: number, node: number): number {
  return (Math.imul(seed ^ 0x3c6ef372, 0x9e3779b1) ^ Math.imul(node + 1, 0x85ebca77)) >>> 0;
}

export class SimLink {
  up = true;
  /**
   * Each direction's state, a -> b and b -> a, as fields rather than two
   * objects: every frame sent reads them (one cache line, not three). A
   * direction's state is only used by the part running its sending end.
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
  /** This node's random draws (its router's, and its links' jitter and loss). */
  readonly random: () => number;
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
  /** Floods (by hash) sent per local link in the current 5 s (storm detection: a storm repeats within milliseconds). */
  readonly floodsSent = new Map<number, Set<number>>();
  /** Which 5 s `floodsSent` covers. */
  private stormEpoch = 0;
  /** Whether this node is one of those watched for flood storms. */
  watchStorms = false;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly sim: Simulation,
    hash: PacketHash,
    nameToIpv6: (n: string) => Uint8Array,
  ) {
    this.random = seeded(nodeSeed(sim.opts.seed, id));
    this.router = new Router(
      {
        name,
        ipv6: nameToIpv6(name),
        ipv4: [],
        nameToIpv6,
        hash,
        random: this.random,
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
    // floods carry their hash (our own ones too: they are known by it between
    // parts), and so does a data packet forwarded (the packet being received)
    const hash = data && bytes !== this.sim.inBytes ? Number.NaN : this.sim.hashOf(bytes, 0, bytes.length);
    if (data) {
      this.dataSent++;
    } else {
      this.controlPackets++;
      this.controlBytes += len + FRAME_OVERHEAD;
      if (this.watchStorms) {
        const epoch = Math.floor(this.sim.now / 5000);
        if (epoch !== this.stormEpoch) {
          this.stormEpoch = epoch;
          this.floodsSent.clear();
        }
        let sent = this.floodsSent.get(l);
        if (!sent) {
          sent = new Set();
          this.floodsSent.set(l, sent);
        }
        if (sent.has(hash)) this.sim.floodStorms++;
        sent.add(hash);
      }
    }
    this.sim.transmit(link, this.id, bytes, hash);
    return true;
  }

  deliver(b: Uint8Array, off: number, len: number): void {
    this.sim.delivered(this.id, b.subarray(off, off + len));
  }

  routeAdded(r: Route): void {
    if (r.kind === "name" && ++this.knownNames === this.sim.opts.nodes - 1 && this.convergedAt < 0) {
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
