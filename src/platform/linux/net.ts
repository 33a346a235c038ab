/**
 * Non-blocking TCP and UDP sockets over libc. Every socket is created with
 * SOCK_NONBLOCK | SOCK_CLOEXEC. Calls that would block return -1 ("again");
 * real failures throw OsError naming the call.
 */
import { ptr } from "bun:ffi";
import { formatSocketAddress } from "../../addr/format.ts";
import { type Datagram, type NetApi, UNACKED_TIMEOUT_MS } from "../../reactor/net-api.ts";
import { AF_INET, decodeSockaddr, encodeSockaddr, mapped, SOCKADDR_MAX, type SocketAddress } from "../sockaddr.ts";
import { E, errno, libc, OsError } from "./libc.ts";

const AF_INET6 = 10;

const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const SO_ERROR = 4;
const SO_KEEPALIVE = 9;
/** Abort the connection when sent data stays unacknowledged this long (ms). */
const TCP_USER_TIMEOUT = 18;
const IPPROTO_TCP = 6;
const TCP_NODELAY = 1;
const IPPROTO_IPV6 = 41;
const IPV6_V6ONLY = 26;
const SHUT_WR = 1;
const AF_UNIX = 1;
const SO_PEERCRED = 17;
const UNIX_PATH_MAX = 108;

/** What a UDP socket may report for an earlier datagram (an ICMP error came back): not this read's failure. */
const UDP_SKIP: number[] = [E.ECONNREFUSED, E.EHOSTUNREACH, E.ENETUNREACH];
/** A datagram the network would not take now: dropped, as UDP may. */
const UDP_DROP: number[] = [
  E.EAGAIN,
  E.EINTR,
  E.ENETUNREACH,
  E.EHOSTUNREACH,
  E.ECONNREFUSED,
  E.EACCES,
  E.EPERM,
  E.EADDRNOTAVAIL,
  E.EMSGSIZE,
];

/** UDP sockets of the IPv6 family: an IPv4 sender reached them as ::ffff:a.b.c.d and is answered so. */
const udp6 = new Set<number>();

const int = new Int32Array(1);
const len = new Uint32Array(1);
const addrBuf = new Uint8Array(SOCKADDR_MAX);

function setInt(fd: number, level: number, name: number, value: number, what: string): void {
  int[0] = value;
  if (libc().setsockopt(fd, level, name, ptr(int), 4) < 0) throw new OsError("setsockopt", errno(), what);
}

function tcpSocket(family: 4 | 6): number {
  const fd = libc().socket(family === 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new OsError("socket", errno());
  return fd;
}

let userTimeoutRefused: string | undefined;

/** TCP_USER_TIMEOUT where the kernel has it (Linux 2.6.37+); elsewhere the idle timeout alone finds dead links. */
function userTimeout(fd: number): void {
  try {
    setInt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, UNACKED_TIMEOUT_MS, "TCP_USER_TIMEOUT");
  } catch (e) {
    // e.g. an emulated kernel without it
    userTimeoutRefused ??= `the kernel refused TCP_USER_TIMEOUT (${(e as Error).message}): a link whose peer vanishes is given up by the idle timeout alone, not ${UNACKED_TIMEOUT_MS / 1000} s after the first unanswered packet`;
  }
}

function nameOf(fd: number, call: "getsockname" | "getpeername"): SocketAddress | undefined {
  len[0] = SOCKADDR_MAX;
  if (libc()[call](fd, ptr(addrBuf), ptr(len)) < 0) return undefined;
  return decodeSockaddr(addrBuf, AF_INET6);
}

export const linuxNet: NetApi = {
  shortfall: () => userTimeoutRefused,
  connect(addr) {
    const fd = tcpSocket(addr.ip.length === 16 ? 6 : 4);
    try {
      setInt(fd, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
      setInt(fd, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE");
      userTimeout(fd);
      const sa = encodeSockaddr(addr, AF_INET6);
      if (libc().connect(fd, ptr(sa), sa.length) < 0) {
        const e = errno();
        if (e !== E.EINPROGRESS && e !== E.EINTR) throw new OsError("connect", e);
      }
      return fd;
    } catch (err) {
      libc().close(fd);
      throw err;
    }
  },

  connectError(fd) {
    int[0] = 0;
    len[0] = 4;
    if (libc().getsockopt(fd, SOL_SOCKET, SO_ERROR, ptr(int), ptr(len)) < 0) return errno();
    return int[0] as number;
  },

  listen(addr, backlog) {
    const v6 = addr.ip.length === 16;
    const fd = tcpSocket(v6 ? 6 : 4);
    try {
      setInt(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
      // "::" means every IPv6 and IPv4 address: a dual-stack socket
      if (v6) setInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, addr.ip.every((b) => b === 0) ? 0 : 1, "IPV6_V6ONLY");
      const sa = encodeSockaddr(addr, AF_INET6);
      if (libc().bind(fd, ptr(sa), sa.length) < 0) throw new OsError("bind", errno(), formatSocketAddress(addr));
      if (libc().listen(fd, backlog) < 0) throw new OsError("listen", errno(), formatSocketAddress(addr));
      return fd;
    } catch (err) {
      libc().close(fd);
      throw err;
    }
  },

  accept(fd) {
    len[0] = SOCKADDR_MAX;
    const c = libc().accept4(fd, ptr(addrBuf), ptr(len), SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0) {
      const e = errno();
      if (e === E.EAGAIN || e === E.EINTR || e === E.ECONNABORTED) return undefined;
      throw new OsError("accept4", e);
    }
    const peer = decodeSockaddr(addrBuf, AF_INET6) ?? { ip: new Uint8Array(4), port: 0 };
    try {
      setInt(c, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
      setInt(c, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE");
      userTimeout(c);
    } catch {
      // the peer may already have gone; the first read will tell
    }
    return { fd: c, peer };
  },

  read(fd, buf, offset, length) {
    const n = Number(libc().read(fd, ptr(buf, offset), length));
    if (n >= 0) return n;
    const e = errno();
    if (e === E.EAGAIN || e === E.EINTR) return -1;
    throw new OsError("read", e);
  },

  write(fd, buf, offset, length) {
    const n = Number(libc().write(fd, ptr(buf, offset), length));
    if (n >= 0) return n;
    const e = errno();
    if (e === E.EAGAIN || e === E.EINTR) return -1;
    throw new OsError("write", e);
  },

  shutdownWrite(fd) {
    libc().shutdown(fd, SHUT_WR);
  },

  close(fd) {
    udp6.delete(fd);
    libc().close(fd);
  },

  listenLocal(path, backlog) {
    const bytes = new TextEncoder().encode(path);
    if (bytes.length >= UNIX_PATH_MAX)
      throw new Error(`control socket path is too long (max ${UNIX_PATH_MAX - 1} bytes): ${path}`);
    const fd = libc().socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw new OsError("socket(AF_UNIX)", errno());
    const sa = new Uint8Array(2 + UNIX_PATH_MAX);
    new DataView(sa.buffer).setUint16(0, AF_UNIX, true);
    sa.set(bytes, 2);
    if (libc().bind(fd, ptr(sa), 2 + bytes.length + 1) < 0 || libc().listen(fd, backlog) < 0) {
      const e = errno();
      libc().close(fd);
      throw new OsError("bind", e, path);
    }
    return fd;
  },

  peerUid(fd) {
    const cred = new Int32Array(3); // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
    len[0] = 12;
    if (libc().getsockopt(fd, SOL_SOCKET, SO_PEERCRED, ptr(cred), ptr(len)) < 0) return undefined;
    return (cred[1] as number) >>> 0;
  },

  ownUid: () => libc().geteuid(),

  bindUdp(addr) {
    const v6 = addr.ip.length === 16;
    const fd = libc().socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw new OsError("socket(UDP)", errno());
    try {
      if (v6) setInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, addr.ip.every((b) => b === 0) ? 0 : 1, "IPV6_V6ONLY");
      const sa = encodeSockaddr(addr, AF_INET6);
      if (libc().bind(fd, ptr(sa), sa.length) < 0)
        throw new OsError("bind", errno(), `UDP ${formatSocketAddress(addr)}`);
      if (v6) udp6.add(fd);
      return fd;
    } catch (err) {
      libc().close(fd);
      throw err;
    }
  },

  receiveFrom(fd, buf, offset, length): Datagram | undefined {
    for (;;) {
      len[0] = SOCKADDR_MAX;
      const n = Number(libc().recvfrom(fd, ptr(buf, offset), length, 0, ptr(addrBuf), ptr(len)));
      if (n >= 0) {
        const from = decodeSockaddr(addrBuf, AF_INET6);
        if (from) return { length: n, from };
        continue; // not an IP sender: nothing to answer
      }
      const e = errno();
      if (e === E.EAGAIN || e === E.EINTR) return undefined;
      if (!UDP_SKIP.includes(e)) throw new OsError("recvfrom", e);
    }
  },

  sendTo(fd, buf, offset, length, to) {
    const sa = encodeSockaddr(udp6.has(fd) ? mapped(to) : to, AF_INET6);
    const n = Number(libc().sendto(fd, ptr(buf, offset), length, 0, ptr(sa), sa.length));
    if (n >= 0) return true;
    const e = errno();
    if (UDP_DROP.includes(e)) return false;
    throw new OsError("sendto", e, formatSocketAddress(to));
  },

  localAddress: (fd) => nameOf(fd, "getsockname"),
  peerAddress: (fd) => nameOf(fd, "getpeername"),
  describeError: (e) => new OsError("connect", e).message.replace(/^connect: /, ""),
};
