/**
 * A snapshot of a running node for `smolmesh status`: plain JSON, the same
 * object the table, --json and --prometheus views are made from.
 */

import { formatIp } from "../addr/format.ts";
import { gcmEngine } from "../crypto/aes-gcm.ts";
import { dnsNameOf } from "../dns/names.ts";
import type { Counter } from "../mesh/router.ts";
import type { LinkStats } from "../transport/link.ts";
import type { DnsStatus } from "./dns-service.ts";
import type { MeshNode } from "./node.ts";
import type { TunStats } from "./tun-port.ts";

export interface LinkStatus extends LinkStats {
  id: number;
  peer: string;
  direction: "out" | "in";
  state: string;
  /** "modern", "speck" or "gimli"; null while the handshake runs. */
  protocol: string | null;
  /** The peer's node name from the modern handshake (null on legacy links). */
  peerName: string | null;
  /** Modern links: age of the current sending and receiving keys, and rekeys so far. */
  keys: { txAgeS: number; rxAgeS: number; txRekeys: number; rxRekeys: number; ignoredFrames: number } | null;
  uptimeS: number;
  queuedBytes: number;
  lastReceivedS: number;
}

export interface RouteStatus {
  destination: string;
  name: string | null;
  /** NAME.SUFFIX when this node answers it in DNS. */
  dnsName: string | null;
  kind: string;
  nextHop: number | null;
  nextHopPeer: string | null;
  backups: number[];
  floodAgeS: number;
}

export interface StatusSnapshot {
  node: {
    name: string;
    /** NAME.SUFFIX when this node answers it in DNS. */
    dnsName: string | null;
    version: string;
    /** Where modern links' AES-256-GCM comes from: "OpenSSL 3.0.19 (libcrypto.so.3)" in place, or "node:crypto". */
    aesGcm: string;
    pid: number;
    uptimeS: number;
    addresses: string[];
    interface: string | null;
    mtu: number | null;
    /** Resident memory of the process and the JavaScript heap in use (both in bytes). */
    memory: { rssBytes: number; heapBytes: number };
  };
  links: LinkStatus[];
  routes: RouteStatus[];
  connectors: { target: string; linked: boolean; lastError: string | null }[];
  listeners: { address: string; accepted: number }[];
  /** Incoming handshakes in progress, and those closed to make room for a newer connection. */
  handshakes: { pending: number; displaced: number };
  router: Record<Counter, number> & { routes: number; floodMemory: number };
  /** The ranges floods may claim here, and the addresses no flood may claim because links run over them. */
  claims: { acceptIpv4: string[]; acceptIpv6: string[]; underlay: string[] };
  tun: TunStats | null;
  /** The DNS responder (null: a relay, or `dns` off). */
  dns: DnsStatus | null;
}

const secs = (ms: number) => Math.max(0, Math.round(ms / 100) / 10);

function memory(): StatusSnapshot["node"]["memory"] {
  const m = process.memoryUsage();
  return { rssBytes: m.rss, heapBytes: m.heapUsed };
}

export function snapshot(node: MeshNode, version: string, startedAt: number): StatusSnapshot {
  const now = node.reactor.now();
  const wall = Date.now();
  const links = [...node.links.values()].map<LinkStatus>((l) => ({
    id: l.id,
    peer: l.peerText,
    direction: l.direction,
    state: l.state,
    protocol: l.protocol ?? null,
    peerName: l.peerName ?? null,
    keys:
      l.modern && l.state === "up"
        ? { txAgeS: secs(now - l.txKeyAt), rxAgeS: secs(now - l.rxKeyAt), ...l.keyStats }
        : null,
    uptimeS: secs(now - (l.establishedAt || l.createdAt)),
    ...l.stats,
    queuedBytes: l.queuedBytes,
    lastReceivedS: secs(now - l.lastReceived),
  }));
  const peerOf = new Map(links.map((l) => [l.id, l.peer]));
  const dns = node.dns?.status() ?? null;
  const dnsName = (name: string | undefined) =>
    dns && name !== undefined ? (dnsNameOf(name, dns.suffix) ?? null) : null;
  const routes = [...node.router.table.values()]
    .map<RouteStatus>((r) => ({
      destination: formatIp(r.addr),
      name: r.name ?? null,
      dnsName: dnsName(r.name),
      kind: r.kind,
      nextHop: r.hops[0] ?? null,
      nextHopPeer: r.hops[0] === undefined ? null : (peerOf.get(r.hops[0]) ?? null),
      backups: r.hops.slice(1),
      floodAgeS: secs(wall - r.ts),
    }))
    .sort((a, b) => (a.name ?? a.destination).localeCompare(b.name ?? b.destination));
  return {
    node: {
      name: node.config.node_name,
      dnsName: dnsName(node.config.node_name),
      version,
      aesGcm: gcmEngine().name,
      pid: process.pid,
      uptimeS: secs(now - startedAt),
      addresses: node.addresses.map(formatIp),
      interface: node.tun?.dev.name ?? null,
      mtu: node.tun ? node.config.mtu : null,
      memory: memory(),
    },
    links,
    routes,
    connectors: node.connectors.map((c) => ({ target: c.target, linked: c.linked, lastError: c.lastError ?? null })),
    listeners: node.listeners.map((l) => ({ address: l.localText, accepted: l.accepted })),
    handshakes: { pending: node.pending.size, displaced: node.handshakesDisplaced },
    router: { ...node.router.counters, routes: node.router.table.size, floodMemory: node.router.floodMemory },
    claims: {
      acceptIpv4: [...node.router.claims.acceptIpv4],
      acceptIpv6: [...node.router.claims.acceptIpv6],
      underlay: node.underlay.addresses().map(formatIp),
    },
    tun: node.tun ? { ...node.tun.stats } : null,
    dns,
  };
}
