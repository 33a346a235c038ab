/**
 * The socket calls the transport driver and the DNS responder need, one
 * implementation per OS (platform/linux/net.ts, platform/windows/net.ts).
 * Sockets are non-blocking; reads and writes return -1 (datagrams:
 * undefined or false) when they would block and throw on real failures.
 */

/**
 * A link whose sent data stays unacknowledged this long is aborted by the
 * kernel (TCP_USER_TIMEOUT; TCP_MAXRT on Windows). A link that dies
 * silently (a cable, a Wi-Fi or NAT drop: no reset ever arrives) is then
 * given up 10 s after the first packet that went unanswered (a mesh
 * always has floods to send), where the 30 s idle timeout alone takes 30 s
 * from the last packet received.
 */
export const UNACKED_TIMEOUT_MS = 10_000;

export interface SocketAddress {
  /** 4 or 16 address bytes. */
  readonly ip: Uint8Array;
  readonly port: number;
}

export interface Datagram {
  length: number;
  from: SocketAddress;
}

export interface NetApi {
  /** Starts a non-blocking connect; wait for WRITE, then ask `connectError`. */
  connect(addr: SocketAddress): number;
  /** 0 when the connect succeeded, else its errno. */
  connectError(fd: number): number;
  /** A listening socket; the all-zero IPv6 address listens on IPv4 too. */
  listen(addr: SocketAddress, backlog: number): number;
  /** A new connection, or undefined when none is waiting. */
  accept(fd: number): { fd: number; peer: SocketAddress } | undefined;
  /** Bytes read into buf[offset..], 0 at end of stream, -1 when it would block. */
  read(fd: number, buf: Uint8Array, offset: number, length: number): number;
  /** Bytes written from buf[offset..], -1 when it would block. */
  write(fd: number, buf: Uint8Array, offset: number, length: number): number;
  shutdownWrite(fd: number): void;
  /** A listening local (Unix-domain) stream socket at `path`. */
  listenLocal(path: string, backlog: number): number;
  /** The user id of the process at the other end of a local socket. */
  peerUid(fd: number): number | undefined;
  /** This process's effective user id. */
  ownUid(): number;
  close(fd: number): void;
  localAddress(fd: number): SocketAddress | undefined;
  peerAddress(fd: number): SocketAddress | undefined;
  /** A UDP socket bound to `addr`; an IPv6 address other than "::" receives IPv6 only. */
  bindUdp(addr: SocketAddress): number;
  /**
   * One datagram into buf[offset..offset+length) (cut to fit): its length
   * and sender, or undefined when none is waiting. Errors a UDP socket
   * reports for an earlier send (an ICMP unreachable) are skipped.
   */
  receiveFrom(fd: number, buf: Uint8Array, offset: number, length: number): Datagram | undefined;
  /** Sends one datagram; false when it would block or the network refused it (either way it is gone). */
  sendTo(fd: number, buf: Uint8Array, offset: number, length: number, to: SocketAddress): boolean;
  /**
   * What the OS would not give the sockets made so far that links rely on
   * (e.g. TCP_USER_TIMEOUT refused: dead links take the idle timeout to
   * notice), for one warning; undefined while nothing is missing.
   */
  shortfall(): string | undefined;
  /** "ECONNREFUSED (Connection refused)" for an errno from `connectError`. */
  describeError(errno: number): string;
}
