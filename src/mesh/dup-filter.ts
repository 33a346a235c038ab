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
  /** hash -> the link the packet first came in on (-1: from this node). */
  private readonly seen = new Map<number, number>();
  private head = 0;

  constructor(readonly capacity = 8192) {
    this.ring = new Float64Array(Math.min(64, capacity));
  }

  /**
   * The link a packet with hash `h` first came in on, if it was among the
   * last `capacity` data packets; otherwise records it as arriving on
   * `link` and returns undefined.
   */
  checkAndAdd(h: number, link: number): number | undefined {
    const first = this.seen.get(h);
    if (first !== undefined) return first;
    if (this.seen.size === this.ring.length && this.ring.length < this.capacity) {
      // still filling: grow instead of forgetting (entries so far are 0..size-1, head at 0)
      const bigger = new Float64Array(Math.min(this.capacity, this.ring.length * 2));
      bigger.set(this.ring);
      this.head = this.ring.length;
      this.ring = bigger;
    }
    if (this.seen.size === this.ring.length) this.seen.delete(this.ring[this.head] as number);
    this.ring[this.head] = h;
    this.seen.set(h, link);
    this.head = (this.head + 1) % this.ring.length;
    return undefined;
  }

  get size(): number {
    return this.seen.size;
  }
}
