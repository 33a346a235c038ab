/**
 * rtnetlink requests for the TUN interface: bring it up with an MTU, add
 * addresses, add and remove /32 and /128 routes. Each request waits for the
 * kernel's acknowledgement (it answers at once; a 1 s receive timeout
 * guards against a kernel that does not), so failures carry their errno.
 *
 * Layouts (linux/netlink.h, linux/rtnetlink.h, linux/if_addr.h):
 *   nlmsghdr  { u32 len; u16 type; u16 flags; u32 seq; u32 pid }       16
 *   ifinfomsg { u8 family, pad; u16 type; i32 index; u32 flags, change } 16
 *   ifaddrmsg { u8 family, prefixlen, flags, scope; u32 index }          8
 *   rtmsg     { u8 family, dst_len, src_len, tos, table, protocol,
 *               scope, type; u32 flags }                                 12
 *   rtattr    { u16 len; u16 type; data, padded to 4 }
 */
import { ptr } from "bun:ffi";
import { assertRoutable } from "../../addr/special.ts";
import { errno, libc, OsError } from "./libc.ts";

const AF_NETLINK = 16;
const AF_UNSPEC = 0;
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0;
const SOL_SOCKET = 1;
const SO_RCVTIMEO = 20;

const RTM_NEWLINK = 16;
const RTM_NEWADDR = 20;
const RTM_NEWROUTE = 24;
const RTM_DELROUTE = 25;
const NLMSG_ERROR = 2;

const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLM_F_REPLACE = 0x100;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;

const IFF_UP = 0x1;
const IFLA_MTU = 4;
const IFLA_TXQLEN = 13;
/**
 * Packets the kernel may queue on the TUN device while the node is busy
 * (the default, 500, is 50 ms of 100 Mbit/s in 1200-byte datagrams: one
 * garbage-collector pause can overflow it).
 */
const TX_QUEUE = 8192;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_F_NODAD = 0x02;
const RTA_DST = 1;
const RTA_OIF = 4;
const RT_TABLE_MAIN = 254;
const RTPROT_STATIC = 4;
const RT_SCOPE_UNIVERSE = 0;
const RT_SCOPE_LINK = 253;
const RTN_UNICAST = 1;

class Msg {
  private readonly buf = new Uint8Array(256);
  private readonly dv = new DataView(this.buf.buffer);
  len = 16;

  constructor(type: number, flags: number, seq: number) {
    this.dv.setUint16(4, type, true);
    this.dv.setUint16(6, flags, true);
    this.dv.setUint32(8, seq, true);
  }

  u8(v: number): this {
    this.dv.setUint8(this.len++, v);
    return this;
  }
  u16(v: number): this {
    this.dv.setUint16(this.len, v, true);
    this.len += 2;
    return this;
  }
  u32(v: number): this {
    this.dv.setUint32(this.len, v, true);
    this.len += 4;
    return this;
  }

  attr(type: number, data: Uint8Array): this {
    const l = 4 + data.length;
    this.dv.setUint16(this.len, l, true);
    this.dv.setUint16(this.len + 2, type, true);
    this.buf.set(data, this.len + 4);
    this.len += (l + 3) & ~3;
    return this;
  }

  attrU32(type: number, v: number): this {
    const d = new Uint8Array(4);
    new DataView(d.buffer).setUint32(0, v, true);
    return this.attr(type, d);
  }

  bytes(): Uint8Array {
    this.dv.setUint32(0, this.len, true);
    return this.buf.subarray(0, this.len);
  }
}

export class Netlink {
  private readonly fd: number;
  private seq = 1;
  private readonly reply = new Uint8Array(8192);
  private readonly kernel = new Uint8Array(12);

  constructor() {
    const fd = libc().socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) throw new OsError("socket(AF_NETLINK)", errno());
    this.fd = fd;
    new DataView(this.kernel.buffer).setUint16(0, AF_NETLINK, true);
    const tv = new BigInt64Array([1n, 0n]); // struct timeval: 1 s
    libc().setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, ptr(tv), 16);
  }

  private request(m: Msg, what: string): void {
    const b = m.bytes();
    const seq = new DataView(b.buffer, b.byteOffset).getUint32(8, true);
    if (Number(libc().sendto(this.fd, ptr(b), b.length, 0, ptr(this.kernel), 12)) < 0) {
      throw new OsError("sendto(netlink)", errno(), what);
    }
    for (;;) {
      const n = Number(libc().recv(this.fd, ptr(this.reply), this.reply.length, 0));
      if (n < 0) throw new OsError("recv(netlink)", errno(), what);
      const dv = new DataView(this.reply.buffer);
      for (let off = 0; off + 16 <= n; ) {
        const len = dv.getUint32(off, true);
        const type = dv.getUint16(off + 4, true);
        const rseq = dv.getUint32(off + 8, true);
        if (type === NLMSG_ERROR && rseq === seq) {
          const code = dv.getInt32(off + 16, true);
          if (code !== 0) throw new OsError("rtnetlink", -code, what);
          return;
        }
        if (len < 16) break;
        off += (len + 3) & ~3;
      }
    }
  }

  /** Sets the interface up with `mtu`. */
  linkUp(index: number, mtu: number): void {
    const m = new Msg(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, this.seq++)
      .u8(AF_UNSPEC)
      .u8(0)
      .u16(0)
      .u32(index)
      .u32(IFF_UP)
      .u32(IFF_UP)
      .attrU32(IFLA_MTU, mtu)
      .attrU32(IFLA_TXQLEN, TX_QUEUE);
    this.request(m, `set link ${index} up, mtu ${mtu}`);
  }

  /** Adds `ip`/prefix to the interface (IPv6 without duplicate-address detection, so it is usable at once). */
  addAddress(index: number, ip: Uint8Array): void {
    const v6 = ip.length === 16;
    const m = new Msg(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, this.seq++)
      .u8(v6 ? AF_INET6 : AF_INET)
      .u8(v6 ? 128 : 32)
      .u8(v6 ? IFA_F_NODAD : 0)
      .u8(RT_SCOPE_UNIVERSE)
      .u32(index)
      .attr(IFA_LOCAL, ip)
      .attr(IFA_ADDRESS, ip);
    this.request(m, "add address");
  }

  private route(type: number, flags: number, index: number, ip: Uint8Array): void {
    const v6 = ip.length === 16;
    const m = new Msg(type, NLM_F_REQUEST | NLM_F_ACK | flags, this.seq++)
      .u8(v6 ? AF_INET6 : AF_INET)
      .u8(v6 ? 128 : 32)
      .u8(0)
      .u8(0)
      .u8(RT_TABLE_MAIN)
      .u8(RTPROT_STATIC)
      .u8(v6 ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK)
      .u8(RTN_UNICAST)
      .u32(0)
      .attr(RTA_DST, ip)
      .attrU32(RTA_OIF, index);
    this.request(m, type === RTM_NEWROUTE ? "add route" : "delete route");
  }

  /**
   * Routes `ip` (/32 or /128) to the interface. Never over a route to
   * exactly that address that is there already (the operator's, or another
   * interface's): that one stays and this fails with EEXIST. Never to a
   * special address (addr/special.ts), whatever the caller says.
   */
  addRoute(index: number, ip: Uint8Array): void {
    assertRoutable(ip);
    this.route(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, index, ip);
  }

  deleteRoute(index: number, ip: Uint8Array): void {
    this.route(RTM_DELROUTE, 0, index, ip);
  }

  close(): void {
    libc().close(this.fd);
  }
}
