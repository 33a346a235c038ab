/**
 * Non-blocking TCP and UDP sockets over Winsock, behaving as platform/linux/net.ts
 * does: calls that would block return -1, failures throw WsaError. Winsock
 * differs from BSD sockets in its constants (AF_INET6 is 23, SOL_SOCKET is
 * 0xffff) and in how a socket is made non-blocking (ioctlsocket FIONBIO).
 */
import { ptr } from "bun:ffi";
import { formatSocketAddress } from "../../addr/format.ts";
import { type Datagram, type NetApi, UNACKED_TIMEOUT_MS } from "../../reactor/net-api.ts";
import { AF_INET, decodeSockaddr, encodeSockaddr, mapped, type SocketAddress } from "../sockaddr.ts";
import { describeWsa, lastError, WSA, WsaError, ws2 } from "./ws2.ts";

const AF_INET6 = 23;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const IPPROTO_UDP = 17;
const IPPROTO_TCP = 6;
const IPPROTO_IPV6 = 41;
const SOL_SOCKET = 0xffff;
const SO_REUSEADDR = 0x0004;
const SO_KEEPALIVE = 0x0008;
const SO_ERROR = 0x1007;
const TCP_NODELAY = 0x0001;
/** Seconds a segment may go unacknowledged before the connection is aborted (Windows 10 1607+). */
const TCP_MAXRT = 5;
const IPV6_V6ONLY = 27;
const FIONBIO = 0x8004667e | 0; // as a signed 32-bit argument
const SD_SEND = 1;
const INVALID_SOCKET = 0xffffffffffffffffn;

/**
 * What recvfrom reports for an earlier datagram (Windows turns an ICMP
 * port unreachable into WSAECONNRESET on the next read): skipped.
 */
const UDP_SKIP: number[] = [WSA.ECONNRESET, WSA.ENETRESET, WSA.EMSGSIZE];
/** A datagram the network would not take now: dropped, as UDP may. */
const UDP_DROP: number[] = [
  WSA.EWOULDBLOCK,
  WSA.EINTR,
  WSA.ENETUNREACH,
  WSA.EHOSTUNREACH,
  WSA.EADDRNOTAVAIL,
  WSA.EACCES,
  WSA.EMSGSIZE,
];
/** UDP sockets of the IPv6 family (answer IPv4 senders as ::ffff:a.b.c.d). */
const udp6 = new Set<number>();

const int = new Int32Array(1);
const len = new Int32Array(1);
const addrBuf = new Uint8Array(28);

/**
 * A SOCKET as the reactor's small integer descriptor, which the calls below
 * pass back to Winsock as a plain number (exact below 2^31; see ws2.ts).
 */
function handle(s: bigint | number, call: string): number {
  const v = BigInt(s);
  if (v === INVALID_SOCKET) throw new WsaError(call, lastError());
  if (v > 0x7fffffffn) throw new Error(`${call} returned socket ${v}, larger than the reactor can hold`);
  return Number(v);
}

let maxRetransmitRefused: string | undefined;

/** TCP_MAXRT where Windows (or Wine) has it; older systems keep their default. */
function setMaxRetransmit(fd: number): void {
  try {
    setInt(fd, IPPROTO_TCP, TCP_MAXRT, UNACKED_TIMEOUT_MS / 1000, "TCP_MAXRT");
  } catch (e) {
    // not supported here: silent link failures are then found by the idle timeout
    maxRetransmitRefused ??= `Windows refused TCP_MAXRT (${(e as Error).message}): a link whose peer vanishes is given up by the idle timeout alone, not ${UNACKED_TIMEOUT_MS / 1000} s after the first unanswered packet`;
  }
}

function setInt(fd: number, level: number, name: number, value: number, what: string): void {
  int[0] = value;
  if (ws2().setsockopt(fd, level, name, ptr(int), 4) !== 0) throw new WsaError("setsockopt", lastError(), what);
}

function nonBlocking(fd: number): void {
  const arg = new Uint32Array([1]);
  if (ws2().ioctlsocket(fd, FIONBIO, ptr(arg)) !== 0) throw new WsaError("ioctlsocket(FIONBIO)", lastError());
}

function tcpSocket(v6: boolean): number {
  const fd = handle(ws2().socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, IPPROTO_TCP), "socket");
  nonBlocking(fd);
  return fd;
}

function nameOf(fd: number, call: "getsockname" | "getpeername"): SocketAddress | undefined {
  len[0] = addrBuf.length;
  if (ws2()[call](fd, ptr(addrBuf), ptr(len)) !== 0) return undefined;
  return decodeSockaddr(addrBuf, AF_INET6);
}

const wouldBlock = (e: number) => e === WSA.EWOULDBLOCK || e === WSA.EINPROGRESS || e === WSA.EINTR;

export const windowsNet: NetApi = {
  shortfall: () => maxRetransmitRefused,
  connect(addr) {
    const fd = tcpSocket(addr.ip.length === 16);
    try {
      setInt(fd, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
      setInt(fd, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE");
      setMaxRetransmit(fd);
      const sa = encodeSockaddr(addr, AF_INET6);
      if (ws2().connect(fd, ptr(sa), sa.length) !== 0) {
        const e = lastError();
        if (!wouldBlock(e)) throw new WsaError("connect", e);
      }
      return fd;
    } catch (err) {
      ws2().closesocket(fd);
      throw err;
    }
  },

  connectError(fd) {
    int[0] = 0;
    len[0] = 4;
    if (ws2().getsockopt(fd, SOL_SOCKET, SO_ERROR, ptr(int), ptr(len)) !== 0) return lastError();
    return int[0] as number;
  },

  listen(addr, backlog) {
    const v6 = addr.ip.length === 16;
    const fd = tcpSocket(v6);
    try {
      setInt(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
      if (v6) setInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, addr.ip.every((b) => b === 0) ? 0 : 1, "IPV6_V6ONLY");
      const sa = encodeSockaddr(addr, AF_INET6);
      if (ws2().bind(fd, ptr(sa), sa.length) !== 0) throw new WsaError("bind", lastError(), formatSocketAddress(addr));
      if (ws2().listen(fd, backlog) !== 0) throw new WsaError("listen", lastError(), formatSocketAddress(addr));
      return fd;
    } catch (err) {
      ws2().closesocket(fd);
      throw err;
    }
  },

  accept(fd) {
    len[0] = addrBuf.length;
    const s = ws2().accept(fd, ptr(addrBuf), ptr(len));
    if (BigInt(s) === INVALID_SOCKET) {
      const e = lastError();
      if (wouldBlock(e) || e === WSA.ECONNABORTED || e === WSA.ECONNRESET) return undefined;
      throw new WsaError("accept", e);
    }
    const c = handle(s, "accept");
    const peer = decodeSockaddr(addrBuf, AF_INET6) ?? { ip: new Uint8Array(4), port: 0 };
    try {
      nonBlocking(c);
      setInt(c, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
      setInt(c, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE");
      setMaxRetransmit(c);
    } catch {
      // the peer may already have gone; the first read will tell
    }
    return { fd: c, peer };
  },

  read(fd, buf, offset, length) {
    const n = ws2().recv(fd, ptr(buf, offset), Math.min(length, 0x7fffffff), 0);
    if (n >= 0) return n;
    const e = lastError();
    if (wouldBlock(e)) return -1;
    throw new WsaError("recv", e);
  },

  write(fd, buf, offset, length) {
    const n = ws2().send(fd, ptr(buf, offset), Math.min(length, 0x7fffffff), 0);
    if (n >= 0) return n;
    const e = lastError();
    if (wouldBlock(e)) return -1;
    throw new WsaError("send", e);
  },

  shutdownWrite(fd) {
    ws2().shutdown(fd, SD_SEND);
  },

  close(fd) {
    udp6.delete(fd);
    ws2().closesocket(fd);
  },

  bindUdp(addr) {
    const v6 = addr.ip.length === 16;
    const fd = handle(ws2().socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, IPPROTO_UDP), "socket(UDP)");
    try {
      nonBlocking(fd);
      if (v6) setInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, addr.ip.every((b) => b === 0) ? 0 : 1, "IPV6_V6ONLY");
      const sa = encodeSockaddr(addr, AF_INET6);
      if (ws2().bind(fd, ptr(sa), sa.length) !== 0)
        throw new WsaError("bind", lastError(), `UDP ${formatSocketAddress(addr)}`);
      if (v6) udp6.add(fd);
      return fd;
    } catch (err) {
      ws2().closesocket(fd);
      throw err;
    }
  },

  receiveFrom(fd, buf, offset, length): Datagram | undefined {
    for (;;) {
      len[0] = addrBuf.length;
      const n = ws2().recvfrom(fd, ptr(buf, offset), Math.min(length, 0x7fffffff), 0, ptr(addrBuf), ptr(len));
      if (n >= 0) {
        const from = decodeSockaddr(addrBuf, AF_INET6);
        if (from) return { length: n, from };
        continue;
      }
      const e = lastError();
      if (wouldBlock(e)) return undefined;
      if (!UDP_SKIP.includes(e)) throw new WsaError("recvfrom", e);
    }
  },

  sendTo(fd, buf, offset, length, to) {
    const sa = encodeSockaddr(udp6.has(fd) ? mapped(to) : to, AF_INET6);
    const n = ws2().sendto(fd, ptr(buf, offset), Math.min(length, 0x7fffffff), 0, ptr(sa), sa.length);
    if (n >= 0) return true;
    const e = lastError();
    if (UDP_DROP.includes(e)) return false;
    throw new WsaError("sendto", e, formatSocketAddress(to));
  },

  listenLocal(path) {
    throw new Error(`local control sockets are not supported on Windows yet (${path}); set control_socket to false`);
  },

  peerUid: () => undefined,
  ownUid: () => 0,
  localAddress: (fd) => nameOf(fd, "getsockname"),
  peerAddress: (fd) => nameOf(fd, "getpeername"),
  describeError: (e) => describeWsa(e),
};
