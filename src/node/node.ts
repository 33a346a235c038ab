/**
 * A mesh node: the reactor, the router, and the links its transports make,
 * wired together. Owns every link; the router only sees link ids.
 */
import { formatIp, formatSocketAddress } from "../addr/format.ts";
import { nameToIpv6 } from "../addr/node-name.ts";
import { parseIpv4, parseIpv6 } from "../addr/parse.ts";
import { VERSION_TEXT } from "../cli/version.ts";
import {
  type Config,
  type ConnectTransport,
  type ListenTransport,
  type ModernConnectTransport,
  type ModernListenTransport,
  tunName,
  wantsTun,
} from "../config/schema.ts";
import { gimli } from "../crypto/gimli-wasm.ts";
import { sharedHeap } from "../crypto/heap.ts";
import { linkPsk } from "../crypto/link-psk.ts";
import { speck, speckWasm } from "../crypto/speck-wasm.ts";
import type { LegacySuite } from "../crypto/suite.ts";
import { type LookupLine, lookup } from "../dns/lookup.ts";
import type { GateRefusal } from "../mesh/destination-gate.ts";
import type { PacketHash } from "../mesh/dup-filter.ts";
import { type RefusedClaim, type Route, Router, type RouterOutput } from "../mesh/router.ts";
import type { Platform } from "../platform/index.ts";
import type { SocketAddress } from "../reactor/net-api.ts";
import { Reactor } from "../reactor/reactor.ts";
import { DetectingSession } from "../transport/codec/detect-session.ts";
import { type KeyCandidate, LegacySession } from "../transport/codec/legacy-session.ts";
import { ModernSession } from "../transport/codec/modern-session.ts";
import { encodePayload, REKEY_MS } from "../transport/codec/modern-wire.ts";
import type { LinkSession, Role } from "../transport/codec/session.ts";
import { Connector } from "../transport/connector.ts";
import { type Direction, Link, type LinkTiming } from "../transport/link.ts";
import { Listener } from "../transport/listener.ts";
import { DEFAULT_PENDING, type PendingLimits, PendingTable, sourceKey } from "../transport/pending.ts";
import { claimFilterFor, refusalMessage, Underlay } from "./claims.ts";
import { describeRoute, describeTransport } from "./describe.ts";
import { DnsService } from "./dns-service.ts";
import type { Level, Logger } from "./log.ts";
import { MeshNameBook } from "./name-book.ts";
import { planReload, type Transport } from "./reload-plan.ts";
import { RouteLog } from "./route-log.ts";
import { TunPort } from "./tun-port.ts";

export interface ResolveResult {
  suffix: string;
  /** Whether and where the responder answers. */
  responder: string;
  lines: LookupLine[];
}

/** A transport the node runs, and what it made. */
interface Running {
  transport: Transport;
  session: () => LinkSession;
  listener?: Listener;
  connector?: Connector;
}

export interface NodeLimits extends LinkTiming {
  /** Incoming handshakes pending at once, and from one source address (transport/pending.ts). */
  pending: PendingLimits;
}

export const DEFAULT_NODE_LIMITS: NodeLimits = {
  handshakeMs: 10_000,
  idleMs: 30_000,
  rekeyMs: REKEY_MS,
  pending: DEFAULT_PENDING,
};

const SUITES: Record<string, LegacySuite> = { speck, gimli };
const utf8 = new TextEncoder();
/** "0.3 s", "7 s": a wait for a log line. */
const seconds = (ms: number) => (ms < 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);
const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));

export class MeshNode implements RouterOutput {
  readonly reactor: Reactor;
  readonly router: Router;
  readonly links = new Map<number, Link>();
  readonly connectors: Connector[] = [];
  readonly listeners: Listener[] = [];
  private readonly heap = sharedHeap();
  private nextLinkId = 1;
  /** The OS shortfall (net.shortfall) has been logged. */
  private shortfallTold = false;
  private tickTimer: ReturnType<Reactor["after"]> | undefined;
  private readonly linkOwner = new Map<number, Connector>();
  /** Each running transport: its config and how to make a session for it (keys change on reload). */
  private readonly running: Running[] = [];
  /** The listener each incoming link came through. */
  private readonly linkListener = new Map<number, Listener>();
  private readonly psks = new Map<string, Uint8Array>();
  private readonly routeLog: RouteLog;
  /** Incoming links whose handshake runs, shared fairly among source addresses. */
  readonly pending: PendingTable<Link>;
  /** Pending handshakes closed to make room for a newer connection. */
  handshakesDisplaced = 0;
  /** Our modern handshake payload: node name and software. */
  private readonly payload: Uint8Array;
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
    private readonly limits: NodeLimits = DEFAULT_NODE_LIMITS,
  ) {
    this.addresses = [nameToIpv6(config.node_name), ...config.ipv4_addresses.map((a) => parseIpv4(a) as Uint8Array)];
    this.pending = new PendingTable(limits.pending);
    this.routeLog = new RouteLog(log, Date.now, (ms, fn) => this.reactor.after(ms, fn));
    this.payload = encodePayload({ node: config.node_name, software: `smolmesh ${VERSION_TEXT}` });
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
    for (const t of this.config.transports) {
      if (t.type === "legacy_tcp_listen" || t.type === "tcp_listen") this.listen(t);
    }
    for (const t of this.config.transports) {
      if (t.type === "legacy_tcp_connect" || t.type === "tcp_connect") this.connect(t);
    }
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

  private listen(t: ListenTransport | ModernListenTransport): void {
    const ip = parseIpv4(t.bind) ?? (parseIpv6(t.bind) as Uint8Array);
    const rec: Running = { transport: t, session: this.sessionFor(t) };
    const l = new Listener({ ip, port: t.port }, this.reactor, this.platform.net, {
      accepted: (fd, peer) => {
        this.makeRoom(peer);
        const link = this.openLink(fd, peer, "in", rec.session());
        this.pending.add(link, sourceKey(peer.ip));
        this.linkListener.set(link.id, l);
      },
      error: (m) => this.log.limit("accept", "error", `accept on port ${t.port}: ${m}`),
    });
    rec.listener = l;
    this.running.push(rec);
    this.listeners.push(l);
    this.underlay.listening(ip);
    const kind = t.type === "legacy_tcp_listen" ? "legacy" : t.legacy ? "modern and legacy" : "modern";
    this.log.info(`listening on ${l.localText} (${kind})`);
  }

  /** How a transport makes the session of each new link: its protocol, role and current keys. */
  private sessionFor(t: Transport): () => LinkSession {
    switch (t.type) {
      case "legacy_tcp_connect": {
        const candidate: KeyCandidate = { suite: SUITES[t.cipher] as LegacySuite, key: utf8.encode(t.key) };
        return () => this.legacySession("connect", [candidate]);
      }
      case "tcp_connect": {
        const psk = this.psk(t.key);
        return () => this.modernSession("connect", [psk]);
      }
      default: {
        // each key in config order, SPECK before Gimli: a legacy listener answers both generations
        const keys = t.keys.flatMap((k) => [speck, gimli].map((suite) => ({ suite, key: utf8.encode(k) })));
        const legacy = () => this.legacySession("listen", keys);
        if (t.type === "legacy_tcp_listen") return legacy;
        const psks = t.keys.map((k) => this.psk(k));
        const modern = () => this.modernSession("listen", psks);
        return t.legacy ? () => new DetectingSession(this.heap, modern, legacy) : modern;
      }
    }
  }

  private connect(t: ConnectTransport | ModernConnectTransport): void {
    const rec: Running = { transport: t, session: this.sessionFor(t) };
    const c: Connector = new Connector(t.host, t.port, this.reactor, this.platform.net, {
      connected: (fd, peer) => {
        const link = this.openLink(fd, peer, "out", rec.session());
        this.linkOwner.set(link.id, c);
      },
      resolved: (addr) => this.underlay.resolved(c, addr.ip),
      failed: (reason, retryMs) =>
        this.log.limit(
          `connect ${c.target} ${reason}`,
          "warn",
          `connect to ${c.target}: ${reason}; next try in ${seconds(retryMs)}`,
        ),
    });
    rec.connector = c;
    this.running.push(rec);
    this.connectors.push(c);
    c.start();
  }

  /** The modern protocol's PSK of a configured key (scrypt, once per distinct key). */
  private psk(key: string): Uint8Array {
    let psk = this.psks.get(key);
    if (!psk) {
      psk = linkPsk(key);
      this.psks.set(key, psk);
    }
    return psk;
  }

  private legacySession(role: Role, candidates: KeyCandidate[]): LegacySession {
    return new LegacySession({ role, candidates, iv: randomBytes(16), heap: this.heap });
  }

  private modernSession(role: Role, psks: Uint8Array[]): ModernSession {
    return new ModernSession({ role, psks, payload: this.payload, random: randomBytes, heap: this.heap });
  }

  private tick(): void {
    const next = this.router.tick(Date.now());
    const wait = Math.min(1000, Math.max(10, next - Date.now()));
    this.tickTimer = this.reactor.after(wait, () => this.tick());
  }

  /**
   * A connection arrives: it always gets a place. When its address already
   * holds its share of the pending handshakes, or the table is full, the
   * oldest pending one (of that address, else of anyone) gives way.
   */
  private makeRoom(peer: SocketAddress): void {
    const source = sourceKey(peer.ip);
    const victim = this.pending.displaced(source);
    if (victim) {
      const fromSame = this.pending.countFrom(source) >= this.limits.pending.perSource;
      this.handshakesDisplaced++;
      victim.close(
        fromSame
          ? `gave way to a newer connection from the same address (${this.limits.pending.perSource} handshakes pending from it, its share)`
          : `gave way to a newer connection (${this.limits.pending.max} handshakes pending, the most at once)`,
      );
    }
  }

  private openLink(fd: number, peer: SocketAddress, direction: Direction, session: LinkSession): Link {
    const id = this.nextLinkId++;
    this.underlay.linkOpened(id, peer.ip, this.platform.net.localAddress(fd)?.ip);
    const shortfall = this.platform.net.shortfall();
    if (shortfall !== undefined && !this.shortfallTold) {
      this.shortfallTold = true;
      this.log.warn(shortfall);
    }
    const text = formatSocketAddress(peer);
    const link = new Link(
      id,
      direction,
      peer,
      text,
      fd,
      session,
      this.reactor,
      this.platform.net,
      this.heap,
      {
        established: (l) => {
          this.pending.remove(l);
          const who = l.peerName === undefined ? "" : ` (node ${l.peerName})`;
          this.log.info(`link ${l.id} up: ${direction === "out" ? "to" : "from"} ${text}${who}, ${l.protocol}`);
          this.router.linkUp(l.id, Date.now());
        },
        packet: (l, p, len) => this.router.receive(l.id, this.heap.u8(), p, len, Date.now()),
        closed: (l, reason, wasUp) => this.onClosed(l, reason, wasUp),
      },
      this.limits,
    );
    this.links.set(id, link);
    return link;
  }

  private onClosed(link: Link, reason: string, wasUp: boolean): void {
    this.links.delete(link.id);
    this.linkListener.delete(link.id);
    this.pending.remove(link);
    this.underlay.linkClosed(link.id, wasUp);
    const owner = this.linkOwner.get(link.id);
    this.linkOwner.delete(link.id);
    const retry = owner ? `; next try in ${seconds(owner.linkClosed(wasUp ? link.upMs : 0))}` : "";
    if (wasUp) {
      this.router.linkDown(link.id);
      this.log.info(`link ${link.id} down (${link.peerText}): ${reason}${retry}`);
    } else if (link.direction === "out") {
      this.log.limit(
        `handshake out ${link.peerText} ${reason}`,
        "warn",
        `link to ${link.peerText} failed: ${reason}${retry}`,
      );
    } else {
      this.log.limit(
        `handshake ${link.peer.ip.join(".")} ${reason}`,
        "warn",
        `link from ${link.peerText} refused: ${reason}`,
      );
    }
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
    const applied: string[] = [];
    const plan = planReload(this.running, this.config, next);
    for (const rec of plan.removed) {
      this.removeTransport(rec);
      applied.push(`removed ${describeTransport(rec.transport)}`);
    }
    for (const [rec, t] of plan.changed) {
      rec.transport = t;
      rec.session = this.sessionFor(t);
      applied.push(`${describeTransport(t)}: new keys or settings apply from its next handshake`);
    }
    for (const t of plan.added) {
      if (t.type === "legacy_tcp_listen" || t.type === "tcp_listen") this.listen(t);
      else this.connect(t);
      applied.push(`added ${describeTransport(t)}`);
    }
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
    return { applied, restart: plan.restart };
  }

  private removeTransport(rec: Running): void {
    this.running.splice(this.running.indexOf(rec), 1);
    const why = "its transport was removed from the config";
    if (rec.listener) {
      const l = rec.listener;
      l.close();
      this.listeners.splice(this.listeners.indexOf(l), 1);
      for (const [id, from] of [...this.linkListener]) {
        if (from === l) this.links.get(id)?.close(why, "transport removed");
      }
    }
    if (rec.connector) {
      const c = rec.connector;
      c.stop();
      this.connectors.splice(this.connectors.indexOf(c), 1);
      for (const [id, owner] of [...this.linkOwner]) {
        if (owner === c) this.links.get(id)?.close(why, "transport removed");
      }
    }
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
    for (const c of this.connectors) c.stop();
    for (const l of this.listeners) l.close();
    for (const link of [...this.links.values()]) link.close("node stopping", "shutting down");
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
