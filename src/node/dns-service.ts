/**
 * A TUN node's DNS: the responder's socket (dns-server.ts) and its
 * registration with the machine's resolver (resolved.ts), started and
 * stopped together (at start and exit, and when a reload changes `dns`).
 *
 * Where it listens by default: the node's own name-derived IPv6 on the TUN
 * device, port 53. That address exists on every TUN node, is set by the
 * node itself before the socket opens, is the same after every restart
 * (it comes from the name), and differs between nodes, so several nodes on
 * one machine never compete for a port; port 53 because resolv.conf takes
 * no other. Loopback's port 53 is often held by a local resolver already.
 */
import { formatIp, formatSocketAddress } from "../addr/format.ts";
import { parseIpv4, parseIpv6 } from "../addr/parse.ts";
import type { DnsConfig } from "../config/schema.ts";
import type { NameBook } from "../dns/responder.ts";
import type { NetApi, SocketAddress } from "../reactor/net-api.ts";
import type { Reactor, Timer } from "../reactor/reactor.ts";
import { DnsServer, type DnsStats } from "./dns-server.ts";
import type { Logger } from "./log.ts";
import { hint, type ResolvedDeps, registerResolved, revertResolved, systemDeps } from "./resolved.ts";

/** How long to keep trying to bind while the address is not there yet (a Wintun adapter's appear late). */
const BIND_RETRY_MS = 500;
const BIND_TRIES = 20;

export interface DnsStatus {
  suffix: string;
  listen: string;
  /** Answering now (false: the socket could not be opened; the log says why). */
  listening: boolean;
  /** "systemd-resolved" when registered there; else why not. */
  resolver: string;
  stats: DnsStats | null;
}

export interface DnsServiceOptions {
  config: DnsConfig;
  iface: string;
  /** The node's addresses: the mesh IPv6 first. */
  own: readonly Uint8Array[];
  book: NameBook;
  reactor: Reactor;
  net: NetApi;
  log: Logger;
  deps?: ResolvedDeps;
}

/** The address the responder listens on for `config`. */
export function dnsListenAddress(config: DnsConfig, meshIpv6: Uint8Array): SocketAddress {
  const m = config.listen === undefined ? undefined : /^\[?(.*?)\]?:(\d+)$/.exec(config.listen);
  if (!m) return { ip: meshIpv6, port: 53 };
  const ip = parseIpv4(m[1] as string) ?? (parseIpv6(m[1] as string) as Uint8Array);
  return { ip, port: Number(m[2]) };
}

export class DnsService {
  server: DnsServer | undefined;
  readonly at: SocketAddress;
  resolver = "not tried yet";
  private registered = false;
  private stopped = false;
  private retry: Timer | undefined;
  private readonly deps: ResolvedDeps;

  constructor(private readonly o: DnsServiceOptions) {
    this.at = dnsListenAddress(o.config, o.own[0] as Uint8Array);
    this.deps = o.deps ?? systemDeps;
  }

  start(): void {
    this.bind(1);
  }

  private bind(attempt: number): void {
    if (this.stopped) return;
    const where = formatSocketAddress(this.at);
    try {
      this.server = new DnsServer(
        this.at,
        this.o.reactor,
        this.o.net,
        this.o.book,
        this.o.own,
        this.o.config.suffix,
        (m) => this.o.log.limit("dns send", "warn", `DNS: answer not sent: ${m}`),
      );
    } catch (e) {
      const msg = (e as Error).message;
      if (/EADDRNOTAVAIL/.test(msg) && attempt < BIND_TRIES) {
        this.retry = this.o.reactor.after(BIND_RETRY_MS, () => this.bind(attempt + 1));
        return;
      }
      const why =
        /EACCES/.test(msg) && this.at.port < 1024 ? " (a port below 1024 needs root or CAP_NET_BIND_SERVICE)" : "";
      this.o.log.warn(
        `DNS: not answering NAME.${this.o.config.suffix}: ${msg}${why}; set "dns" in the config to change or turn it off`,
      );
      return;
    }
    this.o.log.info(`DNS: answering NAME.${this.o.config.suffix} on ${where}`);
    this.register().catch((e) =>
      this.o.log.warn(`DNS: registering with systemd-resolved failed: ${(e as Error).message}`),
    );
  }

  private async register(): Promise<void> {
    const why = await registerResolved(this.o.iface, this.at, this.o.config.suffix, this.deps);
    if (this.stopped) {
      if (why === undefined) revertResolved(this.o.iface, this.deps);
      return;
    }
    if (why === undefined) {
      this.registered = true;
      this.resolver = "systemd-resolved";
      this.o.log.info(
        `DNS: systemd-resolved sends ~${this.o.config.suffix} on ${this.o.iface} to ${formatIp(this.at.ip)}`,
      );
    } else {
      this.resolver = why;
      this.o.log.info(`DNS: not registered with systemd-resolved (${why}); ${hint(this.at, this.o.config.suffix)}`);
    }
  }

  /** Closes the socket and takes the registration back (waits for resolvectl, at most a few seconds). */
  stop(): void {
    this.stopped = true;
    this.retry?.cancel();
    this.server?.close();
    this.server = undefined;
    if (this.registered) {
      this.registered = false;
      const err = revertResolved(this.o.iface, this.deps);
      if (err) this.o.log.warn(`DNS: ${err}`);
    }
  }

  status(): DnsStatus {
    return {
      suffix: this.o.config.suffix,
      listen: formatSocketAddress(this.at),
      listening: this.server !== undefined,
      resolver: this.resolver,
      stats: this.server ? { ...this.server.stats } : null,
    };
  }
}
