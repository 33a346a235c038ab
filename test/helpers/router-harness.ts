/** A router wired to a recording output, for scenario tests. */

import { formatIp } from "../../src/addr/format.ts";
import { nameToIpv6 } from "../../src/addr/node-name.ts";
import type { ClaimFilter } from "../../src/mesh/claim-filter.ts";
import type { DestinationLimits, GateRefusal } from "../../src/mesh/destination-gate.ts";
import type { PacketHash } from "../../src/mesh/dup-filter.ts";
import { buildPacket, CMD_DATA, CMD_NAME } from "../../src/mesh/packet.ts";
import { type RefusedClaim, type Route, Router, type RouterOutput } from "../../src/mesh/router.ts";
import { utf8 } from "./vectors.ts";

export interface Sent {
  link: number;
  bytes: Uint8Array;
  data: boolean;
}

export class Recorder implements RouterOutput {
  sent: Sent[] = [];
  delivered: Uint8Array[] = [];
  events: string[] = [];
  stales: number[] = [];
  /** Refused claims as "link ADDRESS reason" (+ " withdrawn"). */
  refusals: string[] = [];
  /** Floods for new destinations dropped, as "link:full" or "link:rate". */
  limits: string[] = [];
  /** Times the router asked to tick by. */
  wakes: number[] = [];
  /** Links whose queue is "full": sends to them fail. */
  full = new Set<number>();

  send(link: number, b: Uint8Array, off: number, len: number, data: boolean): boolean {
    if (this.full.has(link)) return false;
    this.sent.push({ link, bytes: b.slice(off, off + len), data });
    return true;
  }
  deliver(b: Uint8Array, off: number, len: number): void {
    this.delivered.push(b.slice(off, off + len));
  }
  routeAdded(r: Route): void {
    this.events.push(`added ${r.name ?? r.kind} via ${r.hops[0]}`);
  }
  routeChanged(r: Route): void {
    this.events.push(`changed ${r.name ?? r.kind} via ${r.hops[0] ?? "none"}`);
  }
  routeBackup(r: Route, link: number): void {
    this.events.push(`backup ${r.name ?? r.kind} via ${link}`);
  }
  routeRemoved(r: Route, why?: "expired" | "refused"): void {
    this.events.push(`${why === "refused" ? "withdrawn" : "removed"} ${r.name ?? r.kind}`);
  }
  refused(link: number, c: RefusedClaim): void {
    this.refusals.push(
      `${link} ${formatIp(c.ip)}${c.name ? ` (${c.name})` : ""} ${c.reason}${c.withdrawn ? " withdrawn" : ""}`,
    );
  }
  limited(link: number, why: GateRefusal): void {
    this.limits.push(`${link}:${why}`);
  }
  wake(at: number): void {
    this.wakes.push(at);
  }
  stale(_link: number, offsetMs: number): void {
    this.stales.push(offsetMs);
  }
  take(): Sent[] {
    const s = this.sent;
    this.sent = [];
    return s;
  }
}

export function makeRouter(
  hash: PacketHash,
  opts: {
    name?: string;
    ipv4?: number[][];
    hasTun?: boolean;
    random?: () => number;
    routeHoldMs?: number;
    claims?: ClaimFilter;
    destinations?: DestinationLimits;
    nameCacheSize?: number;
  } = {},
) {
  const out = new Recorder();
  const name = opts.name ?? "self";
  const router = new Router(
    {
      name,
      ipv6: nameToIpv6(name),
      ipv4: (opts.ipv4 ?? []).map((a) => Uint8Array.from(a)),
      nameToIpv6,
      hash,
      random: opts.random ?? (() => 0.5),
      hasTun: opts.hasTun ?? true,
      routeHoldMs: opts.routeHoldMs,
      claims: opts.claims,
      destinations: opts.destinations,
      nameCacheSize: opts.nameCacheSize,
    },
    out,
  );
  return { router, out };
}

/** An IPv6 packet (40-byte header, no payload beyond `extra`) to `dst`. */
export function ipv6Packet(dst: Uint8Array, extra = 0): Uint8Array {
  const p = new Uint8Array(40 + extra);
  p[0] = 0x60;
  p.set(dst, 24);
  return p;
}

export function ipv4Packet(dst: number[], extra = 0): Uint8Array {
  const p = new Uint8Array(20 + extra);
  p[0] = 0x45;
  p.set(dst, 16);
  return p;
}

export function dataPacket(ts: number, ip: Uint8Array): Uint8Array {
  return buildPacket(ts, CMD_DATA, ip);
}

/** A fixed "now" (unix ms) for router scenarios. */
export const T = 1_800_000_000_000;

/** A name flood (cmd 0) announcing `name`, stamped `ts`. */
export const nameFlood = (name: string, ts = T) => buildPacket(ts, CMD_NAME, utf8(name));

/** A router whose `links` came up at T, with what it sent on them taken. */
export function withLinks(hash: PacketHash, links: number[]) {
  const h = makeRouter(hash);
  for (const l of links) h.router.linkUp(l, T);
  h.out.take();
  return h;
}
