/**
 * One connect transport (modern or legacy): keeps a link to host:port up.
 * Resolves the host each attempt (IPv4/IPv6 literal or DNS name), connects
 * with a 5 s timeout, and after any failure or disconnect tries again after
 * a backoff (backoff.ts) that starts at about 250 ms and grows to
 * smolmesh2's 5-10 s.
 */
import { lookup } from "node:dns/promises";
import { parseIpv4, parseIpv6 } from "../addr/parse.ts";
import type { NetApi, SocketAddress } from "../reactor/net-api.ts";
import { type Reactor, type Registration, type Timer, WRITE } from "../reactor/reactor.ts";
import { Backoff } from "./backoff.ts";
import { formatEndpoint } from "./endpoint.ts";

export interface ConnectorEvents {
  /** TCP connected: take over the fd (build the session and link). */
  connected(fd: number, peer: SocketAddress): void;
  /** The host resolved to `addr`; the attempt to connect there follows at once. */
  resolved?(addr: SocketAddress): void;
  /** An attempt failed (logged by the caller); the next one comes in `retryMs`. */
  failed(reason: string, retryMs: number): void;
}

/** What the connector needs of the reactor (tests drive it on a fake clock). */
export type ConnectorReactor = Pick<Reactor, "add" | "after">;

export const CONNECT_TIMEOUT_MS = 5000;

export class Connector {
  private attempt: { fd: number; reg: Registration; timer: Timer } | undefined;
  private retry: Timer | undefined;
  private stopped = false;
  /** Whether a link made by this connector is currently open. */
  linked = false;
  lastError: string | undefined;
  private readonly backoff: Backoff;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly reactor: ConnectorReactor,
    private readonly net: NetApi,
    private readonly events: ConnectorEvents,
    random: () => number = Math.random,
  ) {
    this.backoff = new Backoff(random);
  }

  get target(): string {
    return formatEndpoint(this.host, this.port);
  }

  start(): void {
    this.connect();
  }

  /**
   * The link this connector made closed after being up `upMs` (0: it never
   * finished its handshake). Returns the wait before the next attempt (ms).
   */
  linkClosed(upMs: number): number {
    this.linked = false;
    this.backoff.linkEnded(upMs);
    return this.scheduleRetry();
  }

  stop(): void {
    this.stopped = true;
    this.retry?.cancel();
    this.abandon();
  }

  private scheduleRetry(): number {
    if (this.stopped) return 0;
    this.retry?.cancel();
    const wait = this.backoff.next();
    this.retry = this.reactor.after(wait, () => this.connect());
    return wait;
  }

  private fail(reason: string): void {
    this.abandon();
    this.lastError = reason;
    this.events.failed(reason, this.scheduleRetry());
  }

  private abandon(): void {
    if (!this.attempt) return;
    this.attempt.timer.cancel();
    this.attempt.reg.remove();
    this.net.close(this.attempt.fd);
    this.attempt = undefined;
  }

  private async resolve(): Promise<SocketAddress> {
    const literal = parseIpv4(this.host) ?? parseIpv6(this.host.replace(/^\[(.*)\]$/, "$1"));
    if (literal) return { ip: literal, port: this.port };
    const found = await lookup(this.host, { all: true });
    const first = found[0];
    if (!first) throw new Error(`no address found for ${this.host}`);
    const ip = first.family === 6 ? parseIpv6(first.address) : parseIpv4(first.address);
    if (!ip) throw new Error(`unusable address ${first.address} for ${this.host}`);
    return { ip, port: this.port };
  }

  private connect(): void {
    if (this.stopped || this.attempt || this.linked) return;
    this.resolve().then(
      (addr) => this.open(addr),
      (e) => this.fail(`cannot resolve ${this.host}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`),
    );
  }

  private open(addr: SocketAddress): void {
    if (this.stopped) return;
    this.events.resolved?.(addr);
    let fd: number;
    try {
      fd = this.net.connect(addr);
    } catch (e) {
      this.fail((e as Error).message);
      return;
    }
    const reg = this.reactor.add(fd, WRITE, () => this.onWritable(addr));
    const timer = this.reactor.after(CONNECT_TIMEOUT_MS, () =>
      this.fail(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`),
    );
    this.attempt = { fd, reg, timer };
  }

  private onWritable(addr: SocketAddress): void {
    const a = this.attempt;
    if (!a) return;
    const err = this.net.connectError(a.fd);
    if (err !== 0) {
      this.fail(this.net.describeError(err));
      return;
    }
    a.timer.cancel();
    a.reg.remove();
    this.attempt = undefined;
    this.linked = true;
    this.lastError = undefined;
    this.events.connected(a.fd, addr);
  }
}
