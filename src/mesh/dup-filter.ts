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

export type PacketHash = (b: Uint8Array, off: number, len: number) => bigint;

interface FloodEntry {
  /** When the flood may be forgotten. */
  until: number;
  /** The link it first arrived on (-1: we originated it). */
  from: number;
  /** Whether a later arrival was already echoed back to `from`. */
  echoed: boolean;
}

export class FloodFilter {
  /** Map keeps insertion (= time) order, so expiry walks from the front. */
  private readonly seen = new Map<bigint, FloodEntry>();
  evicted = 0;

  constructor(
    private readonly windowMs: number,
    private readonly maxFloods = 65536,
  ) {}

  has(h: bigint): boolean {
    return this.seen.has(h);
  }

  add(h: bigint, now: number, from: number): void {
    if (this.seen.size >= this.maxFloods) {
      const oldest = this.seen.keys().next().value as bigint;
      this.seen.delete(oldest);
      this.evicted++;
    }
    this.seen.set(h, { until: now + this.windowMs, from, echoed: false });
  }

  /**
   * A copy of a known flood arrived on `link`. Returns the link it first
   * came from if that link should now get it back (once per flood), else -1.
   */
  echoTarget(h: bigint, link: number): number {
    const e = this.seen.get(h);
    if (!e || e.echoed || e.from < 0 || e.from === link) return -1;
    e.echoed = true;
    return e.from;
  }

  /** Forgets floods whose window has passed. */
  expire(now: number): void {
    for (const [h, e] of this.seen) {
      if (e.until > now) break;
      this.seen.delete(h);
    }
  }

  get size(): number {
    return this.seen.size;
  }
}

export class DataFilter {
  private readonly ring: bigint[];
  /** hash -> the link the packet first came in on (-1: from this node). */
  private readonly seen = new Map<bigint, number>();
  private head = 0;

  constructor(readonly capacity = 8192) {
    this.ring = new Array<bigint>(capacity);
  }

  /**
   * The link a packet with hash `h` first came in on, if it was among the
   * last `capacity` data packets; otherwise records it as arriving on
   * `link` and returns undefined.
   */
  checkAndAdd(h: bigint, link: number): number | undefined {
    const first = this.seen.get(h);
    if (first !== undefined) return first;
    const old = this.ring[this.head];
    if (old !== undefined) this.seen.delete(old);
    this.ring[this.head] = h;
    this.seen.set(h, link);
    this.head = (this.head + 1) % this.capacity;
    return undefined;
  }

  get size(): number {
    return this.seen.size;
  }
}
