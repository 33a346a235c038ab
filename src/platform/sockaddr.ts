/**
 * struct sockaddr_in / sockaddr_in6 to and from (address bytes, port), for
 * both BSD sockets and Winsock: the layouts are the same (family in host
 * order, port in network order, the IPv6 address at offset 8), only the
 * value of AF_INET6 differs (10 on Linux, 23 on Windows).
 */
import type { SocketAddress } from "../reactor/net-api.ts";

export type { SocketAddress };

export const AF_INET = 2;
export const SOCKADDR_MAX = 28;

export function encodeSockaddr(a: SocketAddress, afInet6: number): Uint8Array {
  const v6 = a.ip.length === 16;
  const out = new Uint8Array(v6 ? 28 : 16);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, v6 ? afInet6 : AF_INET, true);
  dv.setUint16(2, a.port, false);
  out.set(a.ip, v6 ? 8 : 4);
  return out;
}

export function decodeSockaddr(buf: Uint8Array, afInet6: number): SocketAddress | undefined {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const family = dv.getUint16(0, true);
  const port = dv.getUint16(2, false);
  if (family === AF_INET) return { ip: buf.slice(4, 8), port };
  if (family === afInet6) {
    const ip = buf.slice(8, 24);
    // an IPv4 peer on a dual-stack socket arrives as ::ffff:a.b.c.d
    const mapped = ip.subarray(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff;
    return { ip: mapped ? ip.slice(12, 16) : ip, port };
  }
  return undefined;
}

/** An IPv4 address as IPv4-mapped IPv6 (::ffff:a.b.c.d), how an IPv6 socket reaches it. */
export function mapped(a: SocketAddress): SocketAddress {
  if (a.ip.length === 16) return a;
  const ip = new Uint8Array(16);
  ip[10] = 0xff;
  ip[11] = 0xff;
  ip.set(a.ip, 12);
  return { ip, port: a.port };
}
