/**
 * Addresses that are never a mesh destination, whatever a config or a
 * flood says: a route for one of them into the TUN device would take over
 * this machine's own loopback, its neighbours on a link, group traffic or
 * "any address". The mesh claim filter refuses floods for them, and the
 * platform layer refuses to install a kernel route to them as a last line.
 *
 *   IPv4  0.0.0.0/8 unspecified ("this network"), 127.0.0.0/8 loopback,
 *         169.254.0.0/16 link-local, 224.0.0.0/4 multicast,
 *         255.255.255.255 broadcast
 *   IPv6  :: unspecified, ::1 loopback, fe80::/10 link-local,
 *         ff00::/8 multicast, ::ffff:0:0/96 IPv4-mapped (an IPv4 host
 *         written as IPv6: routing it would get round the IPv4 rules)
 */
import { formatIp } from "./format.ts";

export type SpecialClass = "unspecified" | "loopback" | "link-local" | "multicast" | "broadcast" | "ipv4-mapped";

/** The class of the 4- or 16-byte address at b[off, off+len), or undefined for an ordinary unicast one. */
export function specialClassAt(b: Uint8Array, off: number, len: 4 | 16): SpecialClass | undefined {
  const b0 = b[off] as number;
  if (len === 4) {
    if (b0 === 0) return "unspecified";
    if (b0 === 127) return "loopback";
    if (b0 === 169 && b[off + 1] === 254) return "link-local";
    if (b0 >= 224 && b0 <= 239) return "multicast";
    if (b0 === 255 && b[off + 1] === 255 && b[off + 2] === 255 && b[off + 3] === 255) return "broadcast";
    return undefined;
  }
  if (b0 === 0xff) return "multicast";
  if (b0 === 0xfe && ((b[off + 1] as number) & 0xc0) === 0x80) return "link-local";
  if (b0 !== 0) return undefined;
  let zeros = 1;
  while (zeros < 16 && b[off + zeros] === 0) zeros++;
  if (zeros === 16) return "unspecified";
  if (zeros === 15 && b[off + 15] === 1) return "loopback";
  if (zeros === 10 && b[off + 10] === 0xff && b[off + 11] === 0xff) return "ipv4-mapped";
  return undefined;
}

/** `specialClassAt` of a whole 4- or 16-byte address. */
export function specialClass(ip: Uint8Array): SpecialClass | undefined {
  if (ip.length !== 4 && ip.length !== 16) throw new RangeError(`"ip" expected 4 or 16 bytes, got ${ip.length}`);
  return specialClassAt(ip, 0, ip.length);
}

/**
 * Throws unless `ip` may be a route into the TUN device (the platform
 * layer's last check before a kernel route: the router never asks for one
 * of these, so this failing means a bug upstream, not a hostile peer).
 */
export function assertRoutable(ip: Uint8Array): void {
  const c = specialClass(ip);
  if (c !== undefined) throw new Error(`refusing to route ${formatIp(ip)} into the mesh: a ${c} address`);
}
