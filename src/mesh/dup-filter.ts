/**
 * Duplicate suppression by hash of the whole packet (xxhash64 in the node,
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

/** Numbers per slot in `FloodFilter.entries` (32 bytes: one cache line), and their offsets (the hash is at 0). */
const ENTRY = 4;
const UNTIL = 1;
const FROM = 2;
const TAG = 3;

/**
 * Floods seen within the window. Each entry lives in a slot of a ring of
 * typed arrays (no object per flood: a large mesh keeps about 24 floods
 * per node per 3 minutes, all of them here), in arrival order, so expiry
 * and eviction take the oldest in O(1). The ring grows up to `maxFloods`.
 *
 * Hashes find their slot through `index`, an open-addressing table (linear
 * probing, at most half full) of slot + 1, 0 for empty: 8 bytes per flood
 * where a Map took about 40 and a few scattered cache lines per lookup.
 * Every flood copy arriving looks here, and a 1,000-node mesh keeps
 * thousands of floods per node.
 *
 * A slot's numbers sit together in `entries` (hash, expiry, first link,
 * tag: ENTRY numbers per slot), so a copy's lookup, echo check and what it
 * announced read one cache line of the ring instead of one per array. The
 * tag is a number the caller chose (the router's route row, see
 * RoutingTable.tagOf), not an object: following a reference to an object
 * per copy was a cache miss more, and a ring of references is more for the
 * garbage collector to visit.
 */
export class FloodFilter {
  private index = new Int32Array(512);
  /** 32 - log2(index.length), for `home`. */
  private shift = 23;
  /**
   * Per slot: the hash, when it expires, the link it first came from (-1:
   * we originated it, or a later arrival was echoed back to it already), and
   * its tag (-1: none).
   */
  private entries = new Float64Array(256 * ENTRY);
  /** Slots in the ring. */
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

  /** The slot of flood `h`, or -1. */
  find(h: number): number {
    const p = this.position(h);
    return p < 0 ? -1 : (this.index[p] as number) - 1;
  }

  /** Where `h` is in `index`, or -1. */
  private position(h: number): number {
    const index = this.index;
    const entries = this.entries;
    const mask = index.length - 1;
    for (let i = home(h, this.shift); ; i = (i + 1) & mask) {
      const s = index[i] as number;
      if (s === 0) return -1;
      if (entries[(s - 1) * ENTRY] === h) return i;
    }
  }

  /** Enters `slot` (holding hash `h`, not in the index yet) into `index`. */
  private insert(h: number, slot: number): void {
    const index = this.index;
    const mask = index.length - 1;
    let i = home(h, this.shift);
    while (index[i] !== 0) i = (i + 1) & mask;
    index[i] = slot + 1;
  }

  /**
   * Empties `index[p]`, then moves later entries of its probe run back into
   * the gap where their probe would otherwise stop short of them (the usual
   * deletion for linear probing: no tombstones to clean up later).
   */
  private removeAt(p: number): void {
    const index = this.index;
    const entries = this.entries;
    const mask = index.length - 1;
    let gap = p;
    index[gap] = 0;
    for (let j = (gap + 1) & mask; ; j = (j + 1) & mask) {
      const s = index[j] as number;
      if (s === 0) return;
      const k = home(entries[(s - 1) * ENTRY] as number, this.shift);
      // the entry at j may fill the gap unless its home lies after the gap, up to j (cyclically)
      const stays = gap <= j ? gap < k && k <= j : gap < k || k <= j;
      if (!stays) {
        index[gap] = s;
        index[j] = 0;
        gap = j;
      }
    }
  }

  /** The tag given with the flood in `slot` (-1: none). */
  tagAt(slot: number): number {
    return this.entries[slot * ENTRY + TAG] as number;
  }

  /** Remembers flood `h`, first heard on `from` (-1: our own), with `tag` (a number >= 0, or -1). */
  add(h: number, now: number, from: number, tag = -1): void {
    if (this.position(h) >= 0) return;
    if (this.count === this.maxFloods) {
      this.dropOldest();
      this.evicted++;
    }
    if (this.count === this.cap) this.grow();
    const slot = (this.head + this.count) % this.cap;
    const e = slot * ENTRY;
    this.entries[e] = h;
    this.entries[e + UNTIL] = now + this.windowMs;
    this.entries[e + FROM] = from;
    this.entries[e + TAG] = tag;
    this.insert(h, slot);
    this.count++;
  }

  private grow(): void {
    const cap = this.cap;
    const next = Math.min(this.maxFloods, cap * 2);
    const entries = new Float64Array(next * ENTRY);
    const old = this.entries;
    for (let i = 0; i < this.count; i++) {
      const from = ((this.head + i) % cap) * ENTRY;
      // number by number: a subarray per slot was an object per flood for the collector
      for (let k = 0; k < ENTRY; k++) entries[i * ENTRY + k] = old[from + k] as number;
    }
    // slots moved: index them afresh, in a table at least twice the ring
    let size = this.index.length;
    let shift = this.shift;
    while (size < 2 * next) {
      size *= 2;
      shift--;
    }
    Object.assign(this, { entries, cap: next, head: 0, index: new Int32Array(size), shift });
    for (let i = 0; i < this.count; i++) this.insert(entries[i * ENTRY] as number, i);
  }

  private dropOldest(): void {
    this.removeAt(this.position(this.entries[this.head * ENTRY] as number));
    this.head = (this.head + 1) % this.cap;
    this.count--;
  }

  /**
   * A copy of the flood in `slot` arrived on `link`. Returns the link it
   * first came from if that link should now get it back (once per flood),
   * else -1.
   */
  echoTarget(slot: number, link: number): number {
    const e = slot * ENTRY;
    const from = this.entries[e + FROM] as number;
    if (from < 0 || from === link) return -1;
    this.entries[e + FROM] = -1; // echoed: not again
    return from;
  }

  /** Forgets floods whose window has passed (oldest first: arrival order is time order). */
  expire(now: number): void {
    while (this.count > 0 && (this.entries[this.head * ENTRY + UNTIL] as number) <= now) this.dropOldest();
  }

  get size(): number {
    return this.count;
  }
}

export class DataFilter {
  /** Hashes in arrival order; grows up to `capacity` so idle routers stay small. */
  private ring: Float64Array;
  /** The link each packet first came in on (-1: from this node), by ring slot. */
  private froms: Int32Array;
  /** The link each packet was sent on (-1: not sent: delivered or dropped), by ring slot. */
  private sents: Int32Array;
  /** hash -> its ring slot. */
  private readonly seen = new Map<number, number>();
  private head = 0;
  /** The slot `checkAndAdd` last found or filled. */
  private last = -1;

  constructor(readonly capacity = 8192) {
    const n = Math.min(64, capacity);
    this.ring = new Float64Array(n);
    this.froms = new Int32Array(n);
    this.sents = new Int32Array(n);
  }

  /**
   * The link a packet with hash `h` first came in on, if it was among the
   * last `capacity` data packets; otherwise records it as arriving on
   * `link` and returns undefined.
   */
  checkAndAdd(h: number, link: number): number | undefined {
    const slot = this.seen.get(h);
    if (slot !== undefined) {
      this.last = slot;
      return this.froms[slot];
    }
    if (this.seen.size === this.ring.length && this.ring.length < this.capacity) {
      // still filling: grow instead of forgetting (entries so far are 0..size-1, head at 0)
      const n = Math.min(this.capacity, this.ring.length * 2);
      const grown = (a: Float64Array | Int32Array) => {
        const b = a instanceof Float64Array ? new Float64Array(n) : new Int32Array(n);
        b.set(a);
        return b;
      };
      this.head = this.ring.length;
      this.ring = grown(this.ring) as Float64Array;
      this.froms = grown(this.froms) as Int32Array;
      this.sents = grown(this.sents) as Int32Array;
    }
    if (this.seen.size === this.ring.length) this.seen.delete(this.ring[this.head] as number);
    this.ring[this.head] = h;
    this.froms[this.head] = link;
    this.sents[this.head] = -1;
    this.seen.set(h, this.head);
    this.last = this.head;
    this.head = (this.head + 1) % this.ring.length;
    return undefined;
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
    return this.seen.size;
  }
}
