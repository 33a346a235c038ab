/**
 * ICMP / ICMPv6 "destination unreachable" answers for packets this node
 * cannot route, written back into the TUN device so applications fail at
 * once instead of waiting for a timeout. Pure: bytes in, bytes out.
 *
 * Never answers an ICMP error, a fragment other than the first, or a
 * packet from or to a multicast/unspecified address (RFC 1812 4.3.2.7,
 * RFC 4443 2.4).
 */

function checksum(b: Uint8Array, off: number, len: number, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < len; i += 2) sum += ((b[off + i] as number) << 8) | (b[off + i + 1] as number);
  if (len & 1) sum += (b[off + len - 1] as number) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function put16(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 8;
  b[off + 1] = v & 0xff;
}

/** Host unreachable for an IPv4 packet; `from` is the address the answer comes from. */
export function icmpv4Unreachable(orig: Uint8Array, from: Uint8Array): Uint8Array | undefined {
  if (orig.length < 20 || (orig[0] as number) >> 4 !== 4) return undefined;
  const ihl = ((orig[0] as number) & 0xf) * 4;
  if (ihl < 20 || orig.length < ihl) return undefined;
  const fragOffset = (((orig[6] as number) & 0x1f) << 8) | (orig[7] as number);
  if (fragOffset !== 0) return undefined;
  const src = orig.subarray(12, 16);
  if ((src[0] as number) >= 224 || src.every((x) => x === 0)) return undefined;
  if (orig[9] === 1 && orig.length > ihl) {
    const type = orig[ihl] as number;
    if (type !== 0 && type !== 8 && type !== 13 && type !== 14) return undefined; // not an echo/timestamp: an error
  }
  const quoted = Math.min(orig.length, ihl + 8);
  const out = new Uint8Array(20 + 8 + quoted);
  out[0] = 0x45;
  put16(out, 2, out.length);
  out[8] = 64;
  out[9] = 1;
  out.set(from, 12);
  out.set(src, 16);
  put16(out, 10, checksum(out, 0, 20));
  out[20] = 3; // destination unreachable
  out[21] = 1; // host unreachable
  out.set(orig.subarray(0, quoted), 28);
  put16(out, 22, checksum(out, 20, out.length - 20));
  return out;
}

/** "No route to destination" for an IPv6 packet; `from` is the address the answer comes from. */
export function icmpv6Unreachable(orig: Uint8Array, from: Uint8Array): Uint8Array | undefined {
  if (orig.length < 40 || (orig[0] as number) >> 4 !== 6) return undefined;
  const src = orig.subarray(8, 24);
  if (src[0] === 0xff || src.every((x) => x === 0) || orig[24] === 0xff) return undefined;
  if (orig[6] === 58 && orig.length > 40 && (orig[40] as number) < 128) return undefined; // an ICMPv6 error
  const quoted = Math.min(orig.length, 1280 - 48);
  const icmpLen = 8 + quoted;
  const out = new Uint8Array(40 + icmpLen);
  out[0] = 0x60;
  put16(out, 4, icmpLen);
  out[6] = 58;
  out[7] = 64;
  out.set(from, 8);
  out.set(src, 24);
  out[40] = 1; // destination unreachable
  out[41] = 0; // no route to destination
  out.set(orig.subarray(0, quoted), 48);
  // pseudo-header: source, destination, upper-layer length, next header
  let pseudo = 0;
  for (let i = 8; i < 40; i += 2) pseudo += ((out[i] as number) << 8) | (out[i + 1] as number);
  pseudo += icmpLen + 58;
  put16(out, 42, checksum(out, 40, icmpLen, pseudo));
  return out;
}
