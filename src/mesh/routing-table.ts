/**
 * Routes to mesh addresses, learned from floods.
 *
 * A route holds the timestamp of the newest flood for its address and the
 * links it arrived on: `hops[0]` is the first arrival (the primary), the
 * rest are backups. Arrivals of the newest flood rank in arrival order
 * ahead of links that only carried older floods. When a link closes it
 * leaves every route at once, so traffic moves to the next hop without
 * waiting for a flood. A route with no hops left is unreachable but kept
 * until its validity window passes, so its timestamp still orders floods.
 *
 * Route hold: equally good neighbours deliver each new flood within a
 * millisecond or two of each other in whatever order the jitter of the day
 * gives, and first-arrival alone made the primary flip every few floods.
 * With `holdMs` > 0 a primary that carried the previous flood keeps its
 * place if it delivers the newer one within `holdMs` of its first arrival;
 * `settle` demotes it once that time is up. Tuned with the simulator.
 */
import type { AddrKey } from "./addr-key.ts";

export type RouteKind = "name" | "ipv6" | "ipv4";

export interface Route {
  readonly key: AddrKey;
  /** 4 or 16 address bytes. */
  readonly addr: Uint8Array;
  kind: RouteKind;
  /** The node name, when the route came from a name flood. */
  name: string | undefined;
  /** Timestamp (origin clock, unix ms) of the newest flood. */
  ts: number;
  /** Our clock when the newest flood arrived. */
  heardAt: number;
  /** Next-hop links, best first. */
  hops: number[];
  /** How many of `hops` carried the newest flood. */
  fresh: number;
  /** The newest flood packet itself, replayed to links that come up. */
  flood: Uint8Array;
  /** Set when the route left the table (expired): references held elsewhere are stale. */
  removed: boolean;
  /** When a newer flood came first by another hop while the primary is held (0: not held). */
  pendingSince: number;
}

/**
 * What `learn` did: a new route, a new primary, a hop new to the route, a
 * primary held for a newer flood (`settle` is due), or nothing to report.
 */
export type Update = "added" | "changed" | "backup" | "held" | "none";

/** Keeps bytes beyond the call that delivered them (a copy, unless they are immutable). */
export type Retain = (b: Uint8Array, off: number, len: number) => Uint8Array;

/**
 * Moves `link` from `hops[from]` (-1: not there yet, it is added) to
 * `hops[to]`, shifting the hops between; the same as two splices without
 * the two arrays they allocate (this runs for every flood copy).
 */
function place(hops: number[], link: number, from: number, to: number): void {
  let i = from;
  if (i < 0) {
    i = hops.length;
    hops.push(link);
  }
  for (; i > to; i--) hops[i] = hops[i - 1] as number;
  for (; i < to; i++) hops[i] = hops[i + 1] as number;
  hops[to] = link;
}

/** The best of `r`'s hops other than `except` (the link a packet came in on), or -1. */
export function hopOf(r: Route, except: number): number {
  for (const h of r.hops) if (h !== except) return h;
  return -1;
}

export class RoutingTable {
  private readonly routes = new Map<AddrKey, Route>();
  /** No route was heard from before this (a lower bound: refreshes only move `heardAt` on). */
  private oldestHeard = Number.POSITIVE_INFINITY;

  constructor(
    private readonly retain: Retain = (b, off, len) => b.slice(off, off + len),
    /** How long a primary may lag a newer flood's first arrival and keep its place (0: never). */
    private readonly holdMs = 0,
  ) {}

  /** Routes whose primary is held (see `update`), in the order the holds began. */
  private readonly held = new Set<Route>();

  /** When `settle` next has work (Infinity: no primary is held). */
  get nextSettle(): number {
    for (const r of this.held) return r.pendingSince + this.holdMs + 1;
    return Number.POSITIVE_INFINITY;
  }

  /** Held primaries that did not deliver the newest flood in time lose their place; returns those routes. */
  settle(now: number): Route[] {
    const changed: Route[] = [];
    for (const r of this.held) {
      if (now - r.pendingSince <= this.holdMs) break; // holds begin in time order
      this.held.delete(r);
      r.pendingSince = 0;
      if (r.fresh > 0) r.fresh--;
      if (r.hops.length > 0) place(r.hops, r.hops[0] as number, 0, r.fresh);
      changed.push(r);
    }
    return changed;
  }

  private release(r: Route): void {
    r.pendingSince = 0;
    this.held.delete(r);
  }

  get size(): number {
    return this.routes.size;
  }

  get(key: AddrKey): Route | undefined {
    return this.routes.get(key);
  }

  values(): IterableIterator<Route> {
    return this.routes.values();
  }

  /**
   * Records that a flood for `key` with timestamp `ts` arrived on `link`;
   * the flood is `b[off, off+len)`, kept (through `retain`) only when it
   * becomes the route's newest. `addr` undefined: a copy of a flood already
   * learned, which may rank a hop but never creates a route or changes its
   * kind. Allocates nothing unless the route changes.
   */
  learn(
    key: AddrKey,
    addr: Uint8Array | undefined,
    kind: RouteKind,
    name: string | undefined,
    ts: number,
    link: number,
    now: number,
    b: Uint8Array,
    off: number,
    len: number,
  ): Update {
    const r = this.routes.get(key);
    if (!r) {
      if (addr === undefined) return "none";
      const flood = this.retain(b, off, len);
      if (now < this.oldestHeard) this.oldestHeard = now;
      // every field set from the start: a route keeps one shape (a property
      // added later would make every access to routes polymorphic)
      this.routes.set(key, {
        key,
        addr,
        kind,
        name,
        ts,
        heardAt: now,
        hops: [link],
        fresh: 1,
        flood,
        removed: false,
        pendingSince: 0,
      });
      return "added";
    }
    return this.update(r, addr, kind, name, ts, link, now, b, off, len);
  }

  /** `learn` for a route already in hand (a flood filter remembers which route a flood was). */
  update(
    r: Route,
    addr: Uint8Array | undefined,
    kind: RouteKind,
    name: string | undefined,
    ts: number,
    link: number,
    now: number,
    b: Uint8Array,
    off: number,
    len: number,
  ): Update {
    if (ts > r.ts) {
      const before = r.hops[0];
      r.ts = ts;
      r.heardAt = now;
      if (now < this.oldestHeard) this.oldestHeard = now; // the clock went back
      if (addr !== undefined) {
        r.kind = kind;
        // the same name again (the usual case) keeps the stored string: a
        // fresh one would outlive the young generation only to become garbage
        if (name !== undefined && name !== r.name) r.name = name;
      }
      r.flood = this.retain(b, off, len);
      const i = r.hops.indexOf(link);
      if (this.holdMs > 0 && before !== undefined && before !== link && r.fresh > 0 && !r.pendingSince) {
        // The primary carried the previous flood: give it holdMs to deliver
        // this one too before a near-tie moves the route (no flapping between
        // equally good neighbours). It stays first meanwhile; `link` is next.
        // A primary still held from the flood before has had its chance.
        place(r.hops, link, i, 1);
        r.fresh = 2;
        r.pendingSince = now;
        this.held.add(r);
        return "held";
      }
      place(r.hops, link, i, 0);
      r.fresh = 1;
      if (r.pendingSince) this.release(r);
      return before === link ? "none" : "changed";
    }
    if (ts === r.ts) {
      const i = r.hops.indexOf(link);
      if (i === 0 && r.pendingSince) {
        // the held primary delivered the newest flood: in time it keeps its place
        const late = now - r.pendingSince > this.holdMs;
        this.release(r);
        if (!late) return "none";
        place(r.hops, link, 0, r.fresh - 1);
        return "changed";
      }
      if (i >= 0 && i < r.fresh) return "none";
      place(r.hops, link, i, r.fresh);
      r.fresh++;
      if (r.hops[0] === link) return "changed";
      return i < 0 ? "backup" : "none"; // a known hop re-ranked is not news
    }
    return "none";
  }

  /** The best hop for `key` other than `except`, or -1. */
  nextHop(key: AddrKey, except: number): number {
    const r = this.routes.get(key);
    return r ? hopOf(r, except) : -1;
  }

  /** Removes `link` from every route; returns the routes whose primary changed. */
  dropLink(link: number): Route[] {
    const changed: Route[] = [];
    for (const r of this.routes.values()) if (this.cutHop(r, link) === 0) changed.push(r);
    return changed;
  }

  /**
   * Takes `link` out of `r`'s hops (its link went down, or a packet sent
   * there came back). Returns where it was (0: the primary changed), or -1.
   * A held primary that leaves is no longer held.
   */
  cutHop(r: Route, link: number): number {
    const i = r.hops.indexOf(link);
    if (i < 0) return -1;
    r.hops.splice(i, 1);
    this.left(r, i);
    return i;
  }

  /**
   * Moves `link` to the end of `r`'s hops (the neighbour routes the
   * destination through us). Returns where it was (0: the primary changed),
   * or -1 when it was not a hop or already last.
   */
  demoteHop(r: Route, link: number): number {
    const i = r.hops.indexOf(link);
    if (i < 0 || i === r.hops.length - 1) return -1;
    r.hops.splice(i, 1);
    r.hops.push(link);
    this.left(r, i);
    return i;
  }

  /** Bookkeeping after the hop at `i` left its place: the fresh count, and the hold of a primary. */
  private left(r: Route, i: number): void {
    if (i < r.fresh) r.fresh--;
    if (i === 0 && r.pendingSince) this.release(r);
  }

  /** Removes and returns routes not refreshed within `windowMs`. */
  expire(now: number, windowMs: number): Route[] {
    const gone: Route[] = [];
    // runs every tick: scan only when the oldest route may have run out
    if (now - this.oldestHeard <= windowMs) return gone;
    let oldest = Number.POSITIVE_INFINITY;
    for (const r of this.routes.values()) {
      if (now - r.heardAt <= windowMs) {
        if (r.heardAt < oldest) oldest = r.heardAt;
      } else {
        this.routes.delete(r.key);
        if (r.pendingSince) this.release(r);
        r.removed = true;
        gone.push(r);
      }
    }
    this.oldestHeard = oldest;
    return gone;
  }
}
