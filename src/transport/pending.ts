/**
 * The handshakes a node's listeners have in progress, shared fairly among
 * the addresses they come from. One source address (an IPv6 /64, since a
 * single host there holds a whole prefix) may hold at most `perSource` of
 * them; when a source is at its share, or the table at its `max`, the
 * oldest pending handshake (of that source, else of anyone) gives way to
 * the new connection. So no one address can lock good peers out: a peer
 * from elsewhere always gets a place at once and needs it for one round
 * trip, and a crowd of silent connections only ever displaces itself.
 */
export interface PendingLimits {
  /** Handshakes pending at once, over all listeners. */
  max: number;
  /** ... from one source address (IPv4) or /64 (IPv6). */
  perSource: number;
}

export const DEFAULT_PENDING: PendingLimits = { max: 64, perSource: 8 };

/** The fairness key of a peer address: the IPv4 address (also when IPv4-mapped), or the IPv6 /64. */
export function sourceKey(ip: Uint8Array): string {
  if (ip.length === 4) return ip.join(".");
  const mapped = ip.subarray(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff;
  if (mapped) return ip.subarray(12).join(".");
  return `${Buffer.from(ip.subarray(0, 8)).toString("hex")}::/64`;
}

export class PendingTable<T> {
  /** Pending entries, oldest first, with their source. */
  private readonly entries = new Map<T, string>();
  private readonly perSource = new Map<string, number>();

  constructor(readonly limits: PendingLimits = DEFAULT_PENDING) {}

  get size(): number {
    return this.entries.size;
  }

  countFrom(source: string): number {
    return this.perSource.get(source) ?? 0;
  }

  /**
   * A connection from `source` arrives: the pending entry that must give
   * way before it is added (the caller removes it), or undefined.
   */
  displaced(source: string): T | undefined {
    if (this.countFrom(source) >= this.limits.perSource) {
      for (const [item, from] of this.entries) if (from === source) return item;
    }
    if (this.entries.size >= this.limits.max) return this.entries.keys().next().value;
    return undefined;
  }

  add(item: T, source: string): void {
    if (this.entries.has(item)) return;
    this.entries.set(item, source);
    this.perSource.set(source, this.countFrom(source) + 1);
  }

  /** The entry finished its handshake or closed. */
  remove(item: T): void {
    const source = this.entries.get(item);
    if (source === undefined) return;
    this.entries.delete(item);
    const n = this.countFrom(source) - 1;
    if (n > 0) this.perSource.set(source, n);
    else this.perSource.delete(source);
  }
}
