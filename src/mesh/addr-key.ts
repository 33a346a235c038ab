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
