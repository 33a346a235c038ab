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

import type { AddrKey } from "./addr-key.ts";

/**
 * A 53-bit hash of a packet, as a number: exact in a double, and a Map key
 * that hashes much faster than a BigInt. 2^-53 per pair makes a false
 * duplicate among the 65536 remembered floods a once-in-10^7-years event.
 */
export type PacketHash = (b: Uint8Array, off: number, len: number) => number;

interface FloodEntry {
  /** When the flood may be forgotten. */
  until: number;
  /** The link it first arrived on (-1: we originated it). */
  from: number;
  /** Whether a later arrival was already echoed back to `from`. */
  echoed: boolean;
  /** The route the flood announces (undefined: none, or our own). */
  key: AddrKey | undefined;
}

export class FloodFilter {
  private readonly seen = new Map<number, FloodEntry>();
  /** Hashes in arrival order (a ring that grows up to maxFloods), so expiry and eviction take the oldest in O(1). */
  private order = new Float64Array(256);
  private head = 0;
  private count = 0;
  evicted = 0;

  constructor(
    private readonly windowMs: number,
    private readonly maxFloods = 65536,
  ) {}

  has(h: number): boolean {
    return this.seen.has(h);
  }

  get(h: number): Readonly<FloodEntry> | undefined {
    return this.seen.get(h);
  }

  add(h: number, now: number, from: number, key?: AddrKey): void {
    if (this.seen.has(h)) return;
    if (this.count === this.maxFloods) {
      this.dropOldest();
      this.evicted++;
    }
    if (this.count === this.order.length) this.grow();
    this.seen.set(h, { until: now + this.windowMs, from, echoed: false, key });
    this.order[(this.head + this.count) % this.order.length] = h;
    this.count++;
  }

  private grow(): void {
    const next = new Float64Array(Math.min(this.maxFloods, this.order.length * 2));
    for (let i = 0; i < this.count; i++) next[i] = this.order[(this.head + i) % this.order.length] as number;
    this.order = next;
    this.head = 0;
  }

  private dropOldest(): void {
    this.seen.delete(this.order[this.head] as number);
    this.head = (this.head + 1) % this.order.length;
    this.count--;
  }

  /**
   * A copy of a known flood arrived on `link`. Returns the link it first
   * came from if that link should now get it back (once per flood), else -1.
   */
  echoTarget(h: number, link: number): number {
    const e = this.seen.get(h);
    if (!e || e.echoed || e.from < 0 || e.from === link) return -1;
    e.echoed = true;
    return e.from;
  }

  /** Forgets floods whose window has passed (oldest first; arrival order is time order). */
  expire(now: number): void {
    while (this.count > 0) {
      const e = this.seen.get(this.order[this.head] as number);
      if (e && e.until > now) return;
      this.dropOldest();
    }
  }

  get size(): number {
    return this.seen.size;
  }
}

export class DataFilter {
  private readonly ring: Float64Array;
  /** hash -> the link the packet first came in on (-1: from this node). */
  private readonly seen = new Map<number, number>();
  private head = 0;

  constructor(readonly capacity = 8192) {
    this.ring = new Float64Array(capacity).fill(-1);
  }

  /**
   * The link a packet with hash `h` first came in on, if it was among the
   * last `capacity` data packets; otherwise records it as arriving on
   * `link` and returns undefined.
   */
  checkAndAdd(h: number, link: number): number | undefined {
    const first = this.seen.get(h);
    if (first !== undefined) return first;
    const old = this.ring[this.head] as number;
    if (old >= 0) this.seen.delete(old);
    this.ring[this.head] = h;
    this.seen.set(h, link);
    this.head = (this.head + 1) % this.capacity;
    return undefined;
  }

  get size(): number {
    return this.seen.size;
  }
}
