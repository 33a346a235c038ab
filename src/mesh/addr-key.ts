/**
 * Compact map keys for addresses: an IPv4 address is its u32 value, an IPv6
 * address a string of eight UTF-16 code units (one per 16-bit group). Both
 * are cheap to hash and never collide with each other.
 */
export type AddrKey = number | string;

export function addrKey(b: Uint8Array, off: number, len: 4 | 16): AddrKey {
  if (len === 4) {
    return (
      (((b[off] as number) << 24) |
        ((b[off + 1] as number) << 16) |
        ((b[off + 2] as number) << 8) |
        (b[off + 3] as number)) >>>
      0
    );
  }
  const g = (i: number) => ((b[off + i] as number) << 8) | (b[off + i + 1] as number);
  return String.fromCharCode(g(0), g(2), g(4), g(6), g(8), g(10), g(12), g(14));
}

export function keyOf(addr: Uint8Array): AddrKey {
  if (addr.length !== 4 && addr.length !== 16)
    throw new RangeError(`"addr" expected 4 or 16 bytes, got ${addr.length}`);
  return addrKey(addr, 0, addr.length);
}

const CACHE_WAYS = 64;

/**
 * Recent IPv6 keys, so the data path need not build a string per packet:
 * a direct-mapped cache of 64 addresses (a slot per low bits of the last
 * bytes, which name-derived addresses spread evenly). A node carrying a
 * ping sees at least two destinations in turn (the peer's going out, its
 * own coming in), which a cache of one key lost on every packet; a relay
 * sees many flows interleaved. Returns the same string as `addrKey`, and
 * the very same string object while the address stays cached, so a Map
 * finds its hash already computed.
 */
export class Ipv6KeyCache {
  private readonly bytes = new Uint8Array(CACHE_WAYS * 16);
  private readonly keys: (string | undefined)[] = new Array(CACHE_WAYS).fill(undefined);

  key(b: Uint8Array, off: number): string {
    const slot =
      ((b[off + 15] as number) ^ ((b[off + 14] as number) << 1) ^ ((b[off + 13] as number) << 2)) & (CACHE_WAYS - 1);
    const at = slot * 16;
    const cached = this.keys[slot];
    if (cached !== undefined) {
      let same = true;
      for (let i = 0; same && i < 16; i++) same = this.bytes[at + i] === b[off + i];
      if (same) return cached;
    }
    for (let i = 0; i < 16; i++) this.bytes[at + i] = b[off + i] as number;
    const key = addrKey(b, off, 16) as string;
    this.keys[slot] = key;
    return key;
  }
}
