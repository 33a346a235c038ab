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
 * Layout: what every flood copy reads and writes (timestamp, hops, fresh
 * count, hold) lives in one row of numbers per route in a typed array, not
 * in a route object with an array of hops. A router of a 1,000-node mesh
 * sees each flood once per link, for a thousand routes; in a simulator of
 * a thousand such routers, the object, its hops array and their storage
 * were three cache misses per copy (four times the cost of a copy whose
 * state is in cache) and a million objects more for the collector. A
 * `Route` object remains each destination's identity and what the outside
 * reads (through getters, copies where they return arrays).
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

/** Columns of a route's row in `RoutingTable.rows`; its hops follow from HOPS on, best first. */
const TS = 0;
const HEARD = 1;
const PENDING = 2;
const FRESH = 3;
const COUNT = 4;
/** Bumped when the row is freed: tags of the route that had it no longer match. */
const GEN = 5;
const HOPS = 6;
/** A tag is `generation * ROW_SPAN + row` (exact in a double up to 2^27 generations). */
const ROW_SPAN = 2 ** 26;

/** The best hop of the row at `base` of `rows` other than `except` (the link a packet came in on), or -1. */
function firstHop(rows: Float64Array, base: number, except: number): number {
  const n = rows[base + COUNT] as number;
  for (let i = 0; i < n; i++) {
    const h = rows[base + HOPS + i] as number;
    if (h !== except) return h;
  }
  return -1;
}

export class Route {
  /** Its row's numbers as they were when it left the table (the getters read these then). */
  snapshot: Float64Array | undefined = undefined;

  constructor(
    readonly key: AddrKey,
    /** 4 or 16 address bytes. */
    readonly addr: Uint8Array,
    public kind: RouteKind,
    /** The node name, when the route came from a name flood. */
    public name: string | undefined,
    /** The newest flood packet itself, replayed to links that come up. */
    public flood: Uint8Array,
    private readonly table: RoutingTable,
    /** Its row in the table (see RoutingTable.rows). */
    readonly row: number,
  ) {}

  /** Whether the route left the table (expired): references held elsewhere are stale. */
  get removed(): boolean {
    return this.snapshot !== undefined;
  }

  /** Timestamp (origin clock, unix ms) of the newest flood. */
  get ts(): number {
    return this.table.read(this, TS);
  }

  /** Our clock when the newest flood arrived. */
  get heardAt(): number {
    return this.table.read(this, HEARD);
  }

  /** Next-hop links, best first (a copy). */
  get hops(): number[] {
    return this.table.hopsOf(this);
  }

  /** How many of `hops` carried the newest flood. */
  get fresh(): number {
    return this.table.read(this, FRESH);
  }

  /** When a newer flood came first by another hop while the primary is held (0: not held). */
  get pendingSince(): number {
    return this.table.read(this, PENDING);
  }
}

/**
 * What `learn` did: a new route, a new primary, a hop new to the route, a
 * primary held for a newer flood (`settle` is due), or nothing to report.
 */
export type Update = "added" | "changed" | "backup" | "held" | "none";

/** Keeps bytes beyond the call that delivered them (a copy, unless they are immutable). */
export type Retain = (b: Uint8Array, off: number, len: number) => Uint8Array;

export class RoutingTable {
  private readonly routes = new Map<AddrKey, Route>();
  /** The route in each row (undefined: free). */
  private readonly byRow: (Route | undefined)[] = [];
  /** Per row: the columns above, then room for `stride - HOPS` hops. */
  private rows = new Float64Array(0);
  private stride = HOPS + 2;
  /** Rows handed out so far (free ones included); rows beyond are blank. */
  private top = 0;
  private readonly freeRows: number[] = [];
  /** No route was heard from before this (a lower bound: refreshes only move `heardAt` on). */
  private oldestHeard = Number.POSITIVE_INFINITY;
  /** Rows whose primary is held (see `update`), in the order the holds began. */
  private readonly held = new Set<number>();

  constructor(
    private readonly retain: Retain = (b, off, len) => b.slice(off, off + len),
    /** How long a primary may lag a newer flood's first arrival and keep its place (0: never). */
    private readonly holdMs = 0,
  ) {}

  /** When `settle` next has work (Infinity: no primary is held). */
  get nextSettle(): number {
    for (const row of this.held) return (this.rows[row * this.stride + PENDING] as number) + this.holdMs + 1;
    return Number.POSITIVE_INFINITY;
  }

  /** Held primaries that did not deliver the newest flood in time lose their place; returns those routes. */
  settle(now: number): Route[] {
    const changed: Route[] = [];
    const rows = this.rows;
    for (const row of this.held) {
      const base = row * this.stride;
      if (now - (rows[base + PENDING] as number) <= this.holdMs) break; // holds begin in time order
      this.held.delete(row);
      rows[base + PENDING] = 0;
      const fresh = rows[base + FRESH] as number;
      if (fresh > 0) rows[base + FRESH] = fresh - 1;
      if ((rows[base + COUNT] as number) > 0)
        this.place(base, rows[base + HOPS] as number, 0, rows[base + FRESH] as number);
      changed.push(this.byRow[row] as Route);
    }
    return changed;
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

  /** A number naming `r` for as long as it stays in the table (see `rowOfTag`). */
  tagOf(r: Route): number {
    return (this.rows[r.row * this.stride + GEN] as number) * ROW_SPAN + r.row;
  }

  /** The row of the route a tag named, or -1 if that route has left the table since. */
  rowOfTag(tag: number): number {
    const gen = Math.floor(tag / ROW_SPAN);
    const row = tag - gen * ROW_SPAN;
    // a freed row moved on to its next generation (and tags are only made of rows in use)
    return row < this.top && this.rows[row * this.stride + GEN] === gen ? row : -1;
  }

  /** The route in `row` (one handed out by `rowOfTag`). */
  routeAt(row: number): Route {
    return this.byRow[row] as Route;
  }

  /** Column `c` of `r`'s row (@internal: Route's getters). */
  read(r: Route, c: number): number {
    const s = r.snapshot;
    return (s ? s[c] : this.rows[r.row * this.stride + c]) as number;
  }

  /** `r`'s hops as an array (@internal: Route's getter). */
  hopsOf(r: Route): number[] {
    const s = r.snapshot;
    const rows = s ?? this.rows;
    const base = s ? 0 : r.row * this.stride;
    const hops: number[] = [];
    for (let i = 0; i < (rows[base + COUNT] as number); i++) hops.push(rows[base + HOPS + i] as number);
    return hops;
  }

  /** How many hops `r` has (0: unreachable). */
  hopCount(r: Route): number {
    return this.read(r, COUNT);
  }

  /**
   * Records that a flood for `key` with timestamp `ts` arrived on `link`;
   * the flood is `b[off, off+len)`, kept (through `retain`) only when it
   * becomes the route's newest. `addr` undefined: a copy of a flood already
   * learned, which may rank a hop but never creates a route or changes its
   * kind. Allocates nothing unless the route is new.
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
    const known = this.routes.get(key);
    if (known) return this.updateRow(known.row, addr, kind, name, ts, link, now, b, off, len);
    if (addr === undefined) return "none";
    const row = this.newRow();
    if (now < this.oldestHeard) this.oldestHeard = now;
    const r = new Route(key, addr, kind, name, this.retain(b, off, len), this, row);
    this.routes.set(key, r);
    this.byRow[row] = r;
    const base = row * this.stride;
    const rows = this.rows;
    rows[base + TS] = ts;
    rows[base + HEARD] = now;
    rows[base + FRESH] = 1;
    rows[base + COUNT] = 1;
    rows[base + HOPS] = link;
    return "added";
  }

  /**
   * `learn` for the route in `row` (`Route.row`, or the row a flood filter
   * tag named: `rowOfTag`); `addr` undefined for a copy of a flood already
   * learned (the router's hot path).
   */
  updateRow(
    row: number,
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
    let base = row * this.stride;
    const rts = this.rows[base + TS] as number;
    if (ts > rts) {
      const r = this.byRow[row] as Route;
      const i = this.indexOf(base, link);
      if (i < 0) base = this.room(row);
      const rows = this.rows;
      const before = (rows[base + COUNT] as number) > 0 ? (rows[base + HOPS] as number) : -1;
      rows[base + TS] = ts;
      rows[base + HEARD] = now;
      if (now < this.oldestHeard) this.oldestHeard = now; // the clock went back
      if (addr !== undefined) {
        r.kind = kind;
        // the same name again (the usual case) keeps the stored string: a
        // fresh one would outlive the young generation only to become garbage
        if (name !== undefined && name !== r.name) r.name = name;
      }
      r.flood = this.retain(b, off, len);
      const pending = rows[base + PENDING] as number;
      if (this.holdMs > 0 && before >= 0 && before !== link && (rows[base + FRESH] as number) > 0 && !pending) {
        // The primary carried the previous flood: give it holdMs to deliver
        // this one too before a near-tie moves the route (no flapping between
        // equally good neighbours). It stays first meanwhile; `link` is next.
        // A primary still held from the flood before has had its chance.
        this.place(base, link, i, 1);
        rows[base + FRESH] = 2;
        rows[base + PENDING] = now;
        this.held.add(row);
        return "held";
      }
      this.place(base, link, i, 0);
      rows[base + FRESH] = 1;
      if (pending) this.release(row, base);
      return before === link ? "none" : "changed";
    }
    if (ts === rts) {
      const i = this.indexOf(base, link);
      const rows = this.rows;
      if (i === 0 && rows[base + PENDING]) {
        // the held primary delivered the newest flood: in time it keeps its place
        const late = now - (rows[base + PENDING] as number) > this.holdMs;
        this.release(row, base);
        if (!late) return "none";
        this.place(base, link, 0, (rows[base + FRESH] as number) - 1);
        return "changed";
      }
      const fresh = rows[base + FRESH] as number;
      if (i >= 0 && i < fresh) return "none";
      if (i < 0) base = this.room(row);
      this.place(base, link, i, fresh);
      this.rows[base + FRESH] = fresh + 1;
      if (this.rows[base + HOPS] === link) return "changed";
      return i < 0 ? "backup" : "none"; // a known hop re-ranked is not news
    }
    return "none";
  }

  /** Where `link` is among the hops of the row at `base`, or -1. */
  private indexOf(base: number, link: number): number {
    const rows = this.rows;
    const n = rows[base + COUNT] as number;
    for (let i = 0; i < n; i++) if (rows[base + HOPS + i] === link) return i;
    return -1;
  }

  /**
   * Moves `link` from hop `from` (-1: not there yet, it is added; `room`
   * made space) to hop `to`, shifting the hops between (this runs for
   * every flood copy).
   */
  private place(base: number, link: number, from: number, to: number): void {
    const rows = this.rows;
    const h = base + HOPS;
    let i = from;
    if (i < 0) {
      i = rows[base + COUNT] as number;
      rows[base + COUNT] = i + 1;
    }
    for (; i > to; i--) rows[h + i] = rows[h + i - 1] as number;
    for (; i < to; i++) rows[h + i] = rows[h + i + 1] as number;
    rows[h + to] = link;
  }

  /** Makes room for one more hop in `row`; returns the row's base (rows move when they widen). */
  private room(row: number): number {
    if ((this.rows[row * this.stride + COUNT] as number) === this.stride - HOPS) {
      // two more (rare: a route gets at most one hop per link), so rows stay as narrow as the links allow
      this.relayout(this.rows.length / this.stride, this.stride + 2);
    }
    return row * this.stride;
  }

  /** A blank row for a new route (reusing a freed one: its generation stays). */
  private newRow(): number {
    const free = this.freeRows.pop();
    if (free !== undefined) {
      const base = free * this.stride;
      const gen = this.rows[base + GEN] as number;
      this.rows.fill(0, base, base + this.stride);
      this.rows[base + GEN] = gen;
      return free;
    }
    if (this.top * this.stride === this.rows.length) this.relayout(Math.max(16, 2 * this.top), this.stride);
    this.byRow.push(undefined);
    return this.top++;
  }

  /** Copies the rows into an array of `capacity` rows of `stride` numbers. */
  private relayout(capacity: number, stride: number): void {
    const next = new Float64Array(capacity * stride);
    const old = this.rows;
    const was = this.stride;
    for (let r = 0; r < this.top; r++) for (let k = 0; k < was; k++) next[r * stride + k] = old[r * was + k] as number;
    this.rows = next;
    this.stride = stride;
  }

  /** The best of `r`'s hops other than `except` (the link a packet came in on), or -1. */
  hopOf(r: Route, except: number): number {
    const s = r.snapshot;
    return s ? firstHop(s, 0, except) : firstHop(this.rows, r.row * this.stride, except);
  }

  /** The best hop for `key` other than `except`, or -1. */
  nextHop(key: AddrKey, except: number): number {
    const r = this.routes.get(key);
    return r ? this.hopOf(r, except) : -1;
  }

  private release(row: number, base: number): void {
    this.rows[base + PENDING] = 0;
    this.held.delete(row);
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
    if (r.removed) return -1;
    const base = r.row * this.stride;
    const i = this.indexOf(base, link);
    if (i < 0) return -1;
    const rows = this.rows;
    const n = (rows[base + COUNT] as number) - 1;
    for (let j = i; j < n; j++) rows[base + HOPS + j] = rows[base + HOPS + j + 1] as number;
    rows[base + HOPS + n] = 0;
    rows[base + COUNT] = n;
    this.left(r.row, base, i);
    return i;
  }

  /**
   * Moves `link` to the end of `r`'s hops (the neighbour routes the
   * destination through us). Returns where it was (0: the primary changed),
   * or -1 when it was not a hop or already last.
   */
  demoteHop(r: Route, link: number): number {
    if (r.removed) return -1;
    const base = r.row * this.stride;
    const i = this.indexOf(base, link);
    const last = (this.rows[base + COUNT] as number) - 1;
    if (i < 0 || i === last) return -1;
    this.place(base, link, i, last);
    this.left(r.row, base, i);
    return i;
  }

  /** Bookkeeping after the hop at `i` left its place: the fresh count, and the hold of a primary. */
  private left(row: number, base: number, i: number): void {
    const rows = this.rows;
    if (i < (rows[base + FRESH] as number)) rows[base + FRESH] = (rows[base + FRESH] as number) - 1;
    if (i === 0 && rows[base + PENDING]) this.release(row, base);
  }

  /** Removes and returns routes not refreshed within `windowMs`. */
  expire(now: number, windowMs: number): Route[] {
    const gone: Route[] = [];
    // runs every tick: scan only when the oldest route may have run out
    if (now - this.oldestHeard <= windowMs) return gone;
    let oldest = Number.POSITIVE_INFINITY;
    const rows = this.rows;
    for (const r of this.routes.values()) {
      const base = r.row * this.stride;
      const heardAt = rows[base + HEARD] as number;
      if (now - heardAt <= windowMs) {
        if (heardAt < oldest) oldest = heardAt;
        continue;
      }
      this.free(r);
      gone.push(r);
    }
    this.oldestHeard = oldest;
    return gone;
  }

  /**
   * Takes `r` out of the table before its time (its address may no longer
   * be claimed); false when it had left already. `oldestHeard` stays a
   * lower bound, which is all `expire` needs.
   */
  remove(r: Route): boolean {
    if (r.removed || this.routes.get(r.key) !== r) return false;
    this.free(r);
    return true;
  }

  private free(r: Route): void {
    const rows = this.rows;
    const base = r.row * this.stride;
    this.routes.delete(r.key);
    if (rows[base + PENDING]) this.release(r.row, base);
    r.snapshot = rows.slice(base, base + HOPS + (rows[base + COUNT] as number)); // now `removed`
    // the row is free, in its next generation: tags of this route stop matching
    this.byRow[r.row] = undefined;
    rows[base + GEN] = (rows[base + GEN] as number) + 1;
    this.freeRows.push(r.row);
  }
}
