/**
 * The DNS responder on a UDP socket in the node's reactor: each datagram
 * from this machine (loopback or one of the node's own addresses) that its
 * source's token bucket allows is answered by dns/responder.ts. Datagrams
 * from anywhere else (other mesh nodes reach the node's address too) are
 * dropped unanswered, so the responder sends nothing into the mesh and
 * cannot be used to reflect traffic at anyone.
 */
import { formatIp } from "../addr/format.ts";
import { fromThisMachine, RateLimiter } from "../dns/rate-limit.ts";
import { type NameBook, type Outcome, respond } from "../dns/responder.ts";
import type { NetApi, SocketAddress } from "../reactor/net-api.ts";
import { READ, type Reactor, type Registration } from "../reactor/reactor.ts";

export type DnsStats = { [K in Outcome]: number } & {
  /** Datagrams received. */
  queries: number;
  /** Over their source's rate: dropped unanswered. */
  rateLimited: number;
  /** Not from this machine: dropped unanswered. */
  notLocal: number;
  /** Answers the socket would not take. */
  sendFailed: number;
};

/** Datagrams handled per reactor turn before other work gets its turn. */
const PER_TURN = 64;
/** Bigger than any query a resolver sends; a longer datagram is cut and read as malformed. */
const BUF = 4096;

export class DnsServer {
  readonly stats: DnsStats = {
    queries: 0,
    answered: 0,
    nodata: 0,
    nxdomain: 0,
    refused: 0,
    formerr: 0,
    notimp: 0,
    dropped: 0,
    rateLimited: 0,
    notLocal: 0,
    sendFailed: 0,
  };
  private readonly fd: number;
  private readonly reg: Registration;
  private readonly buf = new Uint8Array(BUF);
  private readonly limiter = new RateLimiter();

  /** Binds `at` (throws the OS error when it cannot) and starts answering. */
  constructor(
    readonly at: SocketAddress,
    private readonly reactor: Reactor,
    private readonly net: NetApi,
    private readonly book: NameBook,
    private readonly own: readonly Uint8Array[],
    readonly suffix: string,
    private readonly onError: (what: string) => void,
  ) {
    this.fd = net.bindUdp(at);
    this.reg = reactor.add(this.fd, READ, () => this.readAll());
  }

  private readAll(): void {
    for (let i = 0; i < PER_TURN; i++) {
      const d = this.net.receiveFrom(this.fd, this.buf, 0, BUF);
      if (!d) return;
      this.stats.queries++;
      if (!fromThisMachine(d.from.ip, this.own)) {
        this.stats.notLocal++;
        continue;
      }
      if (!this.limiter.allow(formatIp(d.from.ip), this.reactor.now())) {
        this.stats.rateLimited++;
        continue;
      }
      const r = respond(this.buf.subarray(0, d.length), this.book, { suffix: this.suffix });
      this.stats[r.outcome]++;
      if (r.bytes && !this.send(r.bytes, d.from)) this.stats.sendFailed++;
    }
  }

  private send(bytes: Uint8Array, to: SocketAddress): boolean {
    try {
      return this.net.sendTo(this.fd, bytes, 0, bytes.length, to);
    } catch (e) {
      // an OS error the platform layer did not expect: one answer lost, logged, the server carries on
      this.onError((e as Error).message);
      return false;
    }
  }

  close(): void {
    this.reg.remove();
    this.net.close(this.fd);
  }
}
