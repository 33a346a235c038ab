/**
 * A mesh node: the reactor, the router, the TUN device, DNS and the
 * transports (transports.ts) with the links they make, wired together.
 * The node is the router's output: it sends on links, writes to the TUN
 * device and logs what the router reports. The router only sees link ids.
 */
import { formatIp } from "../addr/format.ts";
import { nameToIpv6 } from "../addr/node-name.ts";
import { parseIpv4 } from "../addr/parse.ts";
import { type Config, tunName, wantsTun } from "../config/schema.ts";
import { sharedHeap } from "../crypto/heap.ts";
import { speckWasm } from "../crypto/speck-wasm.ts";
import { type LookupLine, lookup } from "../dns/lookup.ts";
import type { GateRefusal } from "../mesh/destination-gate.ts";
import type { PacketHash } from "../mesh/dup-filter.ts";
import { type RefusedClaim, type Route, Router, type RouterOutput } from "../mesh/router.ts";
import type { Platform } from "../platform/index.ts";
import { Reactor } from "../reactor/reactor.ts";
import type { Connector } from "../transport/connector.ts";
import type { Link } from "../transport/link.ts";
import type { Listener } from "../transport/listener.ts";
import type { PendingTable } from "../transport/pending.ts";
import { claimFilterFor, refusalMessage, Underlay } from "./claims.ts";
import { describeRoute } from "./describe.ts";
import { DnsService } from "./dns-service.ts";
import type { Level, Logger } from "./log.ts";
import { MeshNameBook } from "./name-book.ts";
import { RouteLog } from "./route-log.ts";
import { DEFAULT_NODE_LIMITS, type NodeLimits, Transports } from "./transports.ts";
import { TunPort } from "./tun-port.ts";

export { DEFAULT_NODE_LIMITS, type NodeLimits } from "./transports.ts";

export interface ResolveResult {
  suffix: string;
  /** Whether and where the responder answers. */
  responder: string;
  lines: LookupLine[];
}

export class MeshNode implements RouterOutput {
  readonly reactor: Reactor;
  readonly router: Router;
  /** Every link by id (the transports' table). */
  readonly links: Map<number, Link>;
  readonly connectors: Connector[];
  readonly listeners: Listener[];
  /** Incoming links whose handshake runs, shared fairly among source addresses. */
  readonly pending: PendingTable<Link>;
  private readonly transports: Transports;
  private readonly heap = sharedHeap();
  private tickTimer: ReturnType<Reactor["after"]> | undefined;
  private readonly routeLog: RouteLog;
  tun: TunPort | undefined;
  /** The DNS responder of a TUN node with `dns` enabled. */
  dns: DnsService | undefined;
  /** What the node knows of names, for DNS and `smolmesh resolve`. */
  readonly names: MeshNameBook;
  /** This node's addresses: the name-derived IPv6, then the configured IPv4s. */
  readonly addresses: Uint8Array[];
  /** The addresses its links run over, which no flood may claim. */
  readonly underlay: Underlay;

  constructor(
    public config: Config,
    private readonly platform: Platform,
    hash: PacketHash,
    private readonly log: Logger,
    limits: NodeLimits = DEFAULT_NODE_LIMITS,
  ) {
    this.addresses = [nameToIpv6(config.node_name), ...config.ipv4_addresses.map((a) => parseIpv4(a) as Uint8Array)];
    this.routeLog = new RouteLog(log, Date.now, (ms, fn) => this.reactor.after(ms, fn));
    this.reactor = new Reactor(platform.poll(), {
      onError: (e) => log.error(`internal error: ${(e as Error).stack ?? e}`),
    });
    this.router = new Router(
      {
        name: config.node_name,
        ipv6: this.addresses[0] as Uint8Array,
        ipv4: this.addresses.slice(1),
        nameToIpv6,
        nameBytesToIpv6: (u) => speckWasm().nameToIpv6(u),
        hash,
        random: Math.random,
        hasTun: wantsTun(config, process.platform),
        claims: claimFilterFor(config),
        destinations: {
          max: config.max_destinations,
          burst: config.new_destinations_burst,
          perSecond: config.new_destinations_per_second,
        },
      },
      this,
    );
    this.underlay = new Underlay(this.router);
    this.names = new MeshNameBook(
      { name: config.node_name, ipv6: this.addresses[0] as Uint8Array, ipv4: this.addresses.slice(1) },
      this.router.table,
      () => this.reactor.now(),
    );
    this.transports = new Transports(
      config.node_name,
      this.reactor,
      platform.net,
      this.heap,
      this.router,
      this.underlay,
      log,
      limits,
    );
    this.links = this.transports.links;
    this.connectors = this.transports.connectors;
    this.listeners = this.transports.listeners;
    this.pending = this.transports.pending;
  }

  /** Pending handshakes closed to make room for a newer connection. */
  get handshakesDisplaced(): number {
    return this.transports.handshakesDisplaced;
  }

  /** Opens the TUN device and listeners (throws if one cannot open) and starts connectors. */
  start(): void {
    if (wantsTun(this.config, process.platform)) {
      const [ipv6, ...ipv4] = this.addresses as [Uint8Array, ...Uint8Array[]];
      const dev = this.platform.openTun({
        name: tunName(this.config),
        mtu: this.config.mtu,
        addresses: this.addresses,
        wintunDll: this.config.wintun_dll,
        warn: (m) => this.log.warn(m),
      });
      this.tun = new TunPort(dev, this.reactor, this.router, { ipv6, ipv4: ipv4[0] }, this.log, this.heap);
      this.log.info(
        `TUN device ${dev.name} up, mtu ${this.config.mtu}, addresses ${this.addresses.map(formatIp).join(", ")}`,
      );
      this.startDns();
    }
    this.transports.start(this.config.transports);
    this.tick();
  }

  /** Starts the DNS responder when this is a TUN node and `dns` is enabled. */
  private startDns(): DnsService | undefined {
    if (!this.tun || !this.config.dns.enabled) return undefined;
    this.dns = new DnsService({
      config: this.config.dns,
      iface: this.tun.dev.name,
      own: this.addresses,
      book: this.names,
      reactor: this.reactor,
      net: this.platform.net,
      log: this.log,
    });
    this.dns.start();
    return this.dns;
  }

  private tick(): void {
    const next = this.router.tick(Date.now());
    const wait = Math.min(1000, Math.max(10, next - Date.now()));
    this.tickTimer = this.reactor.after(wait, () => this.tick());
  }

  // ---- RouterOutput ----------------------------------------------------

  send(link: number, b: Uint8Array, off: number, len: number, data: boolean): boolean {
    return this.links.get(link)?.send(b, off, len, data) ?? false;
  }

  deliver(b: Uint8Array, off: number, len: number): void {
    this.tun?.write(b, off, len);
  }

  routeAdded(r: Route): void {
    const link = r.hops[0];
    const peer = link === undefined ? undefined : this.links.get(link)?.peerText;
    this.routeLog.event(
      "added",
      `route added: ${describeRoute(r)} via link ${link}`,
      `via link ${link}${peer ? ` (${peer})` : ""}`,
    );
    this.tun?.routeAdded(r);
  }

  routeChanged(r: Route): void {
    this.log.debug(
      `route changed: ${describeRoute(r)} via ${r.hops.length ? `link ${r.hops[0]}` : "nothing (unreachable)"}`,
    );
  }

  originated(links: number): void {
    this.log.debug(`flooded our addresses to ${links} link${links === 1 ? "" : "s"}`);
  }

  wake(at: number): void {
    const wait = Math.max(1, at - Date.now());
    if (this.tickTimer && this.tickTimer.at <= this.reactor.now() + wait) return;
    this.tickTimer?.cancel();
    this.tickTimer = this.reactor.after(wait, () => this.tick());
  }

  routeBackup(r: Route, link: number): void {
    this.log.debug(`route backup: ${describeRoute(r)} via link ${link} (rank ${r.hops.indexOf(link) + 1})`);
  }

  routeRemoved(r: Route, why: "expired" | "refused" = "expired"): void {
    if (why === "expired") {
      this.routeLog.event(
        "removed",
        `route removed: ${describeRoute(r)} (no flood for 3 minutes)`,
        "(no flood for 3 minutes)",
      );
    }
    this.tun?.routeRemoved(r);
  }

  refused(link: number, claim: RefusedClaim): void {
    const l = this.links.get(link);
    const peer = link < 0 ? "a link now closed" : `link ${link} (${l?.peerText ?? "closed"})`;
    this.log.limit(
      `claim ${link} ${claim.withdrawn ? "withdrawn" : claim.reason}`,
      "warn",
      refusalMessage(claim, peer),
    );
  }

  limited(link: number, why: GateRefusal): void {
    this.log.limit(`limited ${link} ${why}`, "warn", () => {
      const l = this.links.get(link);
      const who = `link ${link} (${l?.peerText ?? "closed"}${l?.peerName ? `, node ${l.peerName}` : ""})`;
      const c = this.config;
      return why === "full"
        ? `${who}: new destinations dropped: this node holds its maximum of ${c.max_destinations} (max_destinations); known ones are kept`
        : `${who}: new destinations dropped: it introduces them faster than ${c.new_destinations_per_second} a second after a burst of ${c.new_destinations_burst} (new_destinations_per_second, new_destinations_burst); known ones are kept`;
    });
  }

  stale(link: number, offsetMs: number): void {
    const l = this.links.get(link);
    this.log.limit(
      `stale ${link}`,
      "warn",
      `dropping packets from ${l?.peerText ?? `link ${link}`}: their clock is ${Math.round(Math.abs(offsetMs) / 1000)} s ${offsetMs > 0 ? "ahead of" : "behind"} ours (the limit is 180 s); fix the clock (NTP) on one side`,
    );
  }

  /**
   * Applies a new config to the running node (SIGHUP, `smolmesh reload`):
   * transports added start; transports removed close, their links with a
   * close frame where the protocol has one; a transport whose keys (or
   * legacy setting, or cipher) changed keeps its links and uses the new
   * keys from its next handshake; unchanged transports and their links are
   * untouched; `log_level` applies at once. What only a restart can change
   * is named, not applied. The config was validated by the caller.
   */
  reconfigure(next: Config, logger: { level: Level }): { applied: string[]; restart: string[] } {
    const { applied, restart } = this.transports.reload(this.config, next);
    if (next.log_level !== this.config.log_level) {
      logger.level = next.log_level;
      applied.push(`log_level ${next.log_level}`);
    }
    const dnsChanged = JSON.stringify(next.dns) !== JSON.stringify(this.config.dns);
    this.config = { ...this.config, transports: next.transports, log_level: next.log_level, dns: next.dns };
    if (dnsChanged) {
      this.dns?.stop();
      this.dns = undefined;
      const dns = this.startDns();
      applied.push(
        !this.tun
          ? "dns: applies to TUN nodes only"
          : next.dns.enabled
            ? `dns: answering NAME.${next.dns.suffix} on ${dns?.status().listen}`
            : "dns: off",
      );
    }
    return { applied, restart };
  }

  /** What the DNS responder answers (would answer, when it is off) for a name or address. */
  resolve(text: string): ResolveResult {
    const d = this.dns?.status();
    const responder = d
      ? `${d.listening ? "answering" : "not answering (see the log)"} on ${d.listen}`
      : !this.tun
        ? "off: a relay has no DNS responder"
        : "off: dns is disabled in the config";
    return { suffix: this.config.dns.suffix, responder, lines: lookup(text, this.names, this.config.dns.suffix) };
  }

  /** Closes everything; the reactor loop ends. */
  stop(): void {
    this.tickTimer?.cancel();
    this.transports.stop();
    this.dns?.stop();
    this.dns = undefined;
    this.tun?.close();
    this.tun = undefined;
    this.reactor.stop();
  }

  async run(): Promise<void> {
    await this.reactor.run();
  }
}
