/**
 * Duplicate suppression by hash of the whole packet (XXH3 in the node,
 * injected so the router stays pure).
 *
 * Floods are remembered for the whole validity window: a flood forgotten
 * early would be accepted again and circulate, so no amount of data traffic
 * may push one out. The flood memory is still bounded (`maxFloods`), for a
 * peer that invents floods; when full, the oldest entry goes first. Data
 * packets use their own fixed ring.
 */

/**
 * A 53-bit hash of a packet, as a number: exact in a double, and a Map key
 * that hashes much faster than a BigInt. 2^-53 per pair makes a false
 * duplicate among the 65536 remembered floods a once-in-10^7-years event.
 */
export type PacketHash = (b: Uint8Array, off: number, len: number) => number;

/**
 * Where hash `h` (an integer below 2^53) starts its probe in a table of
 * 2^(32 - shift) entries: its low 30 bits xor the rest, by exact
 * floating-point steps (`h | 0` on a number past 2^31 leaves the JIT's fast
 * path for a runtime call), then scattered by a multiplicative hash so that
 * hashes in sequence (tests, or a peer inventing floods) do not fill one
 * long probe run.
 */
function home(h: number, shift: number): number {
  const hi = Math.floor(h / 0x4000_0000);
  return Math.imul((h - hi * 0x4000_0000) ^ hi, 0x9e3779b1) >>> shift;
}

/**
 * Numbers per record in `FloodFilter.table`, and their offsets: three used,
 * one of padding so that a record (32 bytes) never straddles cache lines.
 */
const RECORD = 4;
/** The hash + 1 (0: an empty position). */
const KEY = 0;
const FROM = 1;
const TAG = 2;

/**
 * Floods seen within the window, in an open-addressing hash table (linear
 * probing, at most half full) whose positions hold the flood's numbers
 * themselves: its hash, the link it first came from and the caller's tag.
 * A copy of a flood (most arrivals: one per neighbour) costs one probe that
 * lands on the line holding everything it needs. The table used to hold
 * slot numbers of a ring where the numbers were: two cache misses, one
 * waiting for the other, on every copy of a large mesh (a 1,000-node mesh
 * keeps thousands of floods per node, far more than any cache holds).
 *
 * Arrival order (for expiry and eviction, oldest first, in O(1)) is a ring
 * of (hash, expiry) pairs beside the table, read only there. Nothing is an
 * object per flood, and the table and ring grow up to `maxFloods`.
 *
 * The tag is a number the caller chose (the router's route row, see
 * RoutingTable.tagOf), not an object: following a reference to an object
 * per copy was a cache miss more, and a table of references is more for
 * the garbage collector to visit.
 */
export class FloodFilter {
  /** Per position: RECORD numbers (see KEY, FROM, TAG). */
  private table = new Float64Array(512 * RECORD);
  /** Positions in `table` - 1 (a power of two, at least twice the ring). */
  private mask = 511;
  /** 32 - log2(positions), for `home`. */
  private shift = 23;
  /** Per flood in arrival order: its hash and when it expires. */
  private ring = new Float64Array(256 * 2);
  /** Floods the ring holds. */
  private cap = 256;
  private head = 0;
  private count = 0;
  evicted = 0;

  constructor(
    private readonly windowMs: number,
    private readonly maxFloods = 65536,
  ) {}

  has(h: number): boolean {
    return this.find(h) >= 0;
  }

  /**
   * The position of flood `h` (for `tagAt` and `echoTarget`, valid until
   * the next `add` or `expire`), or -1.
   */
  find(h: number): number {
    const p = this.slot(h);
    return this.table[p * RECORD] === 0 ? -1 : p;
  }

  /** Where `h`'s probe run holds `h`, or else the empty position that ends it (where `h` would go). */
  private slot(h: number): number {
    const table = this.table;
    const key = h + 1;
    for (let i = home(h, this.shift); ; i = (i + 1) & this.mask) {
      const k = table[i * RECORD] as number;
      if (k === key || k === 0) return i;
    }
  }

  /** Writes flood `h`'s record at the empty position `p` (`slot`). */
  private write(p: number, h: number, from: number, tag: number): void {
    const r = p * RECORD;
    this.table[r + KEY] = h + 1;
    this.table[r + FROM] = from;
    this.table[r + TAG] = tag;
  }

  /**
   * Empties position `p`, then moves later records of its probe run back
   * into the gap where their probe would otherwise stop short of them (the
   * usual deletion for linear probing: no tombstones to clean up later).
   */
  private removeAt(p: number): void {
    const table = this.table;
    const mask = this.mask;
    let gap = p;
    table[gap * RECORD] = 0;
    for (let j = (gap + 1) & mask; ; j = (j + 1) & mask) {
      const k = table[j * RECORD] as number;
      if (k === 0) return;
      const at = home(k - 1, this.shift);
      // the record at j may fill the gap unless its home lies after the gap, up to j (cyclically)
      const stays = gap <= j ? gap < at && at <= j : gap < at || at <= j;
      if (!stays) {
        this.write(gap, k - 1, table[j * RECORD + FROM] as number, table[j * RECORD + TAG] as number);
        table[j * RECORD] = 0;
        gap = j;
      }
    }
  }

  /** The tag given with the flood at position `p` (-1: none). */
  tagAt(p: number): number {
    return this.table[p * RECORD + TAG] as number;
  }

  /** Remembers flood `h`, first heard on `from` (-1: our own), with `tag` (a number >= 0, or -1). */
  add(h: number, now: number, from: number, tag = -1): void {
    let p = this.slot(h);
    if (this.table[p * RECORD] !== 0) return; // known
    // dropping the oldest may empty a position earlier in h's run, and growing moves every record
    const moved = this.count === this.maxFloods || this.count === this.cap;
    if (this.count === this.maxFloods) {
      this.dropOldest();
      this.evicted++;
    }
    if (this.count === this.cap) this.grow();
    if (moved) p = this.slot(h);
    const at = ((this.head + this.count) % this.cap) * 2;
    this.ring[at] = h;
    this.ring[at + 1] = now + this.windowMs;
    this.write(p, h, from, tag);
    this.count++;
  }

  private grow(): void {
    const cap = this.cap;
    const next = Math.min(this.maxFloods, cap * 2);
    const ring = new Float64Array(next * 2);
    for (let i = 0; i < this.count; i++) {
      const from = ((this.head + i) % cap) * 2;
      ring[i * 2] = this.ring[from] as number;
      ring[i * 2 + 1] = this.ring[from + 1] as number;
    }
    this.ring = ring;
    this.cap = next;
    this.head = 0;
    // positions depend on the table's size: records go into a table at least twice the ring, afresh
    let size = this.mask + 1;
    let shift = this.shift;
    while (size < 2 * next) {
      size *= 2;
      shift--;
    }
    if (size === this.mask + 1) return;
    const old = this.table;
    this.table = new Float64Array(size * RECORD);
    this.mask = size - 1;
    this.shift = shift;
    for (let r = 0; r < old.length; r += RECORD) {
      const k = old[r] as number;
      if (k !== 0) this.write(this.slot(k - 1), k - 1, old[r + FROM] as number, old[r + TAG] as number);
    }
  }

  private dropOldest(): void {
    this.removeAt(this.find(this.ring[this.head * 2] as number));
    this.head = (this.head + 1) % this.cap;
    this.count--;
  }

  /**
   * A copy of the flood at position `p` arrived on `link`. Returns the link
   * it first came from if that link should now get it back (once per
   * flood), else -1.
   */
  echoTarget(p: number, link: number): number {
    const r = p * RECORD;
    const from = this.table[r + FROM] as number;
    if (from < 0 || from === link) return -1;
    this.table[r + FROM] = -1; // echoed: not again
    return from;
  }

  /** Forgets floods whose window has passed (oldest first: arrival order is time order). */
  expire(now: number): void {
    while (this.count > 0 && (this.ring[this.head * 2 + 1] as number) <= now) this.dropOldest();
  }

  get size(): number {
    return this.count;
  }
}

/**
 * The last `capacity` data packets, by hash, in a ring of their numbers
 * (hash, first link, sent link) and an open-addressing index over it
 * (linear probing, at most half full, ring slot + 1 per position, 0:
 * empty). Unlike a Map, adding and forgetting a packet allocates nothing,
 * so a stream of data makes no garbage for the collector to pause on.
 */
export class DataFilter {
  /** Hashes in arrival order; grows up to `capacity` so idle routers stay small. */
  private ring: Float64Array;
  /** The link each packet first came in on (-1: from this node), by ring slot. */
  private froms: Int32Array;
  /** The link each packet was sent on (-1: not sent: delivered or dropped), by ring slot. */
  private sents: Int32Array;
  /** Per position: the ring slot + 1 of the hash whose probe run passes here, or 0. */
  private index: Int32Array;
  private mask: number;
  /** 32 - log2(positions), for `home`. */
  private shift: number;
  private count = 0;
  private head = 0;
  /** The slot `checkAndAdd` last found or filled. */
  private last = -1;

  constructor(readonly capacity = 8192) {
    const n = Math.min(64, capacity);
    this.ring = new Float64Array(n);
    this.froms = new Int32Array(n);
    this.sents = new Int32Array(n);
    this.index = new Int32Array(0);
    this.mask = 0;
    this.shift = 0;
    this.reindex();
  }

  /**
   * The link a packet with hash `h` first came in on, if it was among the
   * last `capacity` data packets; otherwise records it as arriving on
   * `link` and returns undefined.
   */
  checkAndAdd(h: number, link: number): number | undefined {
    let p = this.probe(h);
    const known = this.index[p] as number;
    if (known !== 0) {
      this.last = known - 1;
      return this.froms[known - 1];
    }
    if (this.count === this.ring.length && this.ring.length < this.capacity) {
      // still filling: grow instead of forgetting (entries so far are 0..count-1, head at 0)
      const n = Math.min(this.capacity, this.ring.length * 2);
      const ring = new Float64Array(n);
      const froms = new Int32Array(n);
      const sents = new Int32Array(n);
      ring.set(this.ring);
      froms.set(this.froms);
      sents.set(this.sents);
      this.head = this.ring.length;
      this.ring = ring;
      this.froms = froms;
      this.sents = sents;
      this.reindex();
      p = this.probe(h);
    } else if (this.count === this.ring.length) {
      // full: the oldest goes (emptying a position may move h's probe run)
      this.removeAt(this.probe(this.ring[this.head] as number));
      this.count--;
      p = this.probe(h);
    }
    const slot = this.head;
    this.ring[slot] = h;
    this.froms[slot] = link;
    this.sents[slot] = -1;
    this.index[p] = slot + 1;
    this.count++;
    this.last = slot;
    this.head = (slot + 1) % this.ring.length;
    return undefined;
  }

  /** Where `h`'s probe run holds it, or else the empty position that ends the run. */
  private probe(h: number): number {
    const index = this.index;
    const ring = this.ring;
    for (let i = home(h, this.shift); ; i = (i + 1) & this.mask) {
      const v = index[i] as number;
      if (v === 0 || ring[v - 1] === h) return i;
    }
  }

  /** Empties position `p` and closes the gap behind it (as FloodFilter.removeAt). */
  private removeAt(p: number): void {
    const index = this.index;
    const mask = this.mask;
    let gap = p;
    index[gap] = 0;
    for (let j = (gap + 1) & mask; ; j = (j + 1) & mask) {
      const v = index[j] as number;
      if (v === 0) return;
      const at = home(this.ring[v - 1] as number, this.shift);
      const stays = gap <= j ? gap < at && at <= j : gap < at || at <= j;
      if (!stays) {
        index[gap] = v;
        index[j] = 0;
        gap = j;
      }
    }
  }

  /** A fresh index at least twice the ring, holding slots 0..count-1. */
  private reindex(): void {
    let size = 2;
    let shift = 31;
    while (size < 2 * this.ring.length) {
      size *= 2;
      shift--;
    }
    this.index = new Int32Array(size);
    this.mask = size - 1;
    this.shift = shift;
    for (let slot = 0; slot < this.count; slot++) this.index[this.probe(this.ring[slot] as number)] = slot + 1;
  }

  /** Records the link the packet of the last `checkAndAdd` was sent on. */
  markSent(link: number): void {
    if (this.last >= 0) this.sents[this.last] = link;
  }

  /** The link the packet of the last `checkAndAdd` was sent on (-1: none). */
  lastSent(): number {
    return this.last >= 0 ? (this.sents[this.last] as number) : -1;
  }

  get size(): number {
    return this.count;
  }
}
