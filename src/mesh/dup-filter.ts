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
 * Floods seen within the window. Each entry lives in a slot of a ring of
 * parallel arrays (no object per flood: a large mesh keeps about 24 floods
 * per node per 3 minutes, all of them here), in arrival order, so expiry
 * and eviction take the oldest in O(1). The ring grows up to `maxFloods`.
 */
export class FloodFilter<Ref = unknown> {
  /** hash -> slot */
  private readonly slots = new Map<number, number>();
  private hashes = new Float64Array(256);
  private untils = new Float64Array(256);
  /** The link each flood first came from (-1: we originated it). */
  private froms = new Int32Array(256);
  /** Whether a later arrival was already echoed back to its first link. */
  private echoed = new Uint8Array(256);
  /** What each flood announced (the router keeps its route; undefined: none, or our own). */
  private refs: (Ref | undefined)[] = new Array(256);
  private head = 0;
  private count = 0;
  evicted = 0;

  constructor(
    private readonly windowMs: number,
    private readonly maxFloods = 65536,
  ) {}

  has(h: number): boolean {
    return this.slots.has(h);
  }

  /** The slot of flood `h`, or -1. */
  find(h: number): number {
    return this.slots.get(h) ?? -1;
  }

  /** What was remembered for the flood in `slot`. */
  refAt(slot: number): Ref | undefined {
    return this.refs[slot];
  }

  add(h: number, now: number, from: number, ref?: Ref): void {
    if (this.slots.has(h)) return;
    if (this.count === this.maxFloods) {
      this.dropOldest();
      this.evicted++;
    }
    if (this.count === this.hashes.length) this.grow();
    const slot = (this.head + this.count) % this.hashes.length;
    this.hashes[slot] = h;
    this.untils[slot] = now + this.windowMs;
    this.froms[slot] = from;
    this.echoed[slot] = 0;
    this.refs[slot] = ref;
    this.slots.set(h, slot);
    this.count++;
  }

  private grow(): void {
    const cap = this.hashes.length;
    const next = Math.min(this.maxFloods, cap * 2);
    const hashes = new Float64Array(next);
    const untils = new Float64Array(next);
    const froms = new Int32Array(next);
    const echoed = new Uint8Array(next);
    const refs: (Ref | undefined)[] = new Array(next);
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) % cap;
      hashes[i] = this.hashes[from] as number;
      untils[i] = this.untils[from] as number;
      froms[i] = this.froms[from] as number;
      echoed[i] = this.echoed[from] as number;
      refs[i] = this.refs[from];
      this.slots.set(hashes[i] as number, i);
    }
    Object.assign(this, { hashes, untils, froms, echoed, refs, head: 0 });
  }

  private dropOldest(): void {
    this.slots.delete(this.hashes[this.head] as number);
    this.refs[this.head] = undefined;
    this.head = (this.head + 1) % this.hashes.length;
    this.count--;
  }

  /**
   * A copy of the flood in `slot` arrived on `link`. Returns the link it
   * first came from if that link should now get it back (once per flood),
   * else -1.
   */
  echoTarget(slot: number, link: number): number {
    const from = this.froms[slot] as number;
    if (this.echoed[slot] || from < 0 || from === link) return -1;
    this.echoed[slot] = 1;
    return from;
  }

  /** Forgets floods whose window has passed (oldest first: arrival order is time order). */
  expire(now: number): void {
    while (this.count > 0 && (this.untils[this.head] as number) <= now) this.dropOldest();
  }

  get size(): number {
    return this.slots.size;
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
