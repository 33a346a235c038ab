/**
 * The node's transports (config `transports`): its listeners and
 * connectors, the links they make, and the incoming handshakes still
 * pending. A link is opened here the moment its TCP connection exists,
 * told to the underlay at once and to the router when its handshake
 * completes, and forgotten when it closes. A reload's plan
 * (reload-plan.ts) is applied here too: transports removed close with
 * their links, changed ones use their new keys from their next
 * handshake, new ones start.
 *
 * The node (node.ts) owns one Transports and reads its tables for status;
 * the router only ever sees link ids.
 */
import { formatSocketAddress } from "../addr/format.ts";
import { parseIpv4, parseIpv6 } from "../addr/parse.ts";
import { VERSION_TEXT } from "../cli/version.ts";
import type {
  Config,
  ConnectTransport,
  ListenTransport,
  ModernConnectTransport,
  ModernListenTransport,
} from "../config/schema.ts";
import { gimli } from "../crypto/gimli-wasm.ts";
import type { WasmHeap } from "../crypto/heap.ts";
import { linkPsk } from "../crypto/link-psk.ts";
import { speck } from "../crypto/speck-wasm.ts";
import type { LegacySuite } from "../crypto/suite.ts";
import type { Router } from "../mesh/router.ts";
import type { NetApi, SocketAddress } from "../reactor/net-api.ts";
import type { Reactor } from "../reactor/reactor.ts";
import { DetectingSession } from "../transport/codec/detect-session.ts";
import { type KeyCandidate, LegacySession } from "../transport/codec/legacy-session.ts";
import { ModernSession } from "../transport/codec/modern-session.ts";
import { encodePayload, REKEY_MS } from "../transport/codec/modern-wire.ts";
import type { LinkSession, Role } from "../transport/codec/session.ts";
import { Connector } from "../transport/connector.ts";
import { type Direction, Link, type LinkTiming } from "../transport/link.ts";
import { Listener } from "../transport/listener.ts";
import { DEFAULT_PENDING, type PendingLimits, PendingTable, sourceKey } from "../transport/pending.ts";
import type { Underlay } from "./claims.ts";
import { describeTransport } from "./describe.ts";
import type { Logger } from "./log.ts";
import { planReload, type Transport } from "./reload-plan.ts";

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

/** A transport the node runs, and what it made. */
interface Running {
  transport: Transport;
  session: () => LinkSession;
  listener?: Listener;
  connector?: Connector;
}

const SUITES: Record<string, LegacySuite> = { speck, gimli };
const utf8 = new TextEncoder();
/** "0.3 s", "7 s": a wait for a log line. */
const seconds = (ms: number) => (ms < 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);
const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));

export class Transports {
  /** Every link by id, from its TCP connection until it closes. */
  readonly links = new Map<number, Link>();
  readonly connectors: Connector[] = [];
  readonly listeners: Listener[] = [];
  /** Incoming links whose handshake runs, shared fairly among source addresses. */
  readonly pending: PendingTable<Link>;
  /** Pending handshakes closed to make room for a newer connection. */
  handshakesDisplaced = 0;
  private nextLinkId = 1;
  /** The OS shortfall (net.shortfall) has been logged. */
  private shortfallTold = false;
  private readonly linkOwner = new Map<number, Connector>();
  /** Each running transport: its config and how to make a session for it (keys change on reload). */
  private readonly running: Running[] = [];
  /** The listener each incoming link came through. */
  private readonly linkListener = new Map<number, Listener>();
  private readonly psks = new Map<string, Uint8Array>();
  /** Our modern handshake payload: node name and software. */
  private readonly payload: Uint8Array;

  constructor(
    nodeName: string,
    private readonly reactor: Reactor,
    private readonly net: NetApi,
    private readonly heap: WasmHeap,
    private readonly router: Router,
    private readonly underlay: Underlay,
    private readonly log: Logger,
    private readonly limits: NodeLimits,
  ) {
    this.pending = new PendingTable(limits.pending);
    this.payload = encodePayload({ node: nodeName, software: `smolmesh ${VERSION_TEXT}` });
  }

  /** Opens every listener (throws if one cannot open), then starts every connector. */
  start(transports: readonly Transport[]): void {
    for (const t of transports) {
      if (t.type === "legacy_tcp_listen" || t.type === "tcp_listen") this.listen(t);
    }
    for (const t of transports) {
      if (t.type === "legacy_tcp_connect" || t.type === "tcp_connect") this.connect(t);
    }
  }

  /**
   * Applies the transports of a reload (see MeshNode.reconfigure): says
   * what it did, and which changed fields only a restart applies.
   */
  reload(current: Config, next: Config): { applied: string[]; restart: string[] } {
    const applied: string[] = [];
    const plan = planReload(this.running, current, next);
    for (const rec of plan.removed) {
      this.remove(rec);
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
    return { applied, restart: plan.restart };
  }

  /** Stops every connector and listener and closes every link. */
  stop(): void {
    for (const c of this.connectors) c.stop();
    for (const l of this.listeners) l.close();
    for (const link of [...this.links.values()]) link.close("node stopping", "shutting down");
  }

  private listen(t: ListenTransport | ModernListenTransport): void {
    const ip = parseIpv4(t.bind) ?? (parseIpv6(t.bind) as Uint8Array);
    const rec: Running = { transport: t, session: this.sessionFor(t) };
    const l = new Listener({ ip, port: t.port }, this.reactor, this.net, {
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
    const c: Connector = new Connector(t.host, t.port, this.reactor, this.net, {
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
    this.underlay.linkOpened(id, peer.ip, this.net.localAddress(fd)?.ip);
    const shortfall = this.net.shortfall();
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
      this.net,
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

  private remove(rec: Running): void {
    this.running.splice(this.running.indexOf(rec), 1);
    if (rec.listener) {
      const l = rec.listener;
      l.close();
      this.listeners.splice(this.listeners.indexOf(l), 1);
      this.closeLinksOf(this.linkListener, l);
    }
    if (rec.connector) {
      const c = rec.connector;
      c.stop();
      this.connectors.splice(this.connectors.indexOf(c), 1);
      this.closeLinksOf(this.linkOwner, c);
    }
  }

  /** Closes every link `owner` made or accepted (closing removes them from `byLink`, hence the copy). */
  private closeLinksOf<T>(byLink: Map<number, T>, owner: T): void {
    for (const [id, o] of [...byLink]) {
      if (o === owner) this.links.get(id)?.close("its transport was removed from the config", "transport removed");
    }
  }
}
