/**
 * The mesh router as a pure state machine. It never touches a socket, a
 * clock or a random source: every input carries `now` (unix ms), random
 * draws come from the injected `random`, and everything it decides goes to
 * the injected `RouterOutput` synchronously. The node drives it over real
 * links; the simulator drives thousands of them over simulated ones.
 *
 * Packet bytes passed in are only valid during the call (they usually lie
 * in a link's receive buffer): the router copies what it keeps.
 */
import { destinationAt } from "../addr/ip-packet.ts";
import { type AddrKey, addrKey, Ipv6KeyCache, keyOf } from "./addr-key.ts";
import { ClaimFilter, type ClaimRefusal, type ClaimVerdict } from "./claim-filter.ts";
import { DestinationGate, type DestinationLimits, type GateRefusal } from "./destination-gate.ts";
import { DataFilter, FloodFilter, type PacketHash } from "./dup-filter.ts";
import { NameCache, type NameInfo } from "./name-cache.ts";
import {
  buildPacket,
  CMD_DATA,
  CMD_IPV4,
  CMD_IPV6,
  CMD_NAME,
  HEADER,
  readTs,
  VALIDITY_MS,
  writeHeader,
} from "./packet.ts";
import { type Route, type RouteKind, RoutingTable, type Update } from "./routing-table.ts";

export type { Route };

export interface RouterOutput {
  /** Queue `len` bytes at `b[off]` as one frame on `link`; false when the link dropped it. */
  send(link: number, b: Uint8Array, off: number, len: number, data: boolean): boolean;
  /** A data packet for this node: write the IP packet to the TUN device. */
  deliver(b: Uint8Array, off: number, len: number): void;
  /** A destination became known (install its kernel route). */
  routeAdded(route: Route): void;
  /** A destination's primary hop changed (informational). */
  routeChanged(route: Route): void;
  /** We flooded our own addresses to `links` links (informational). */
  originated?(links: number): void;
  /** A destination gained a backup hop (informational). */
  routeBackup?(route: Route, link: number): void;
  /**
   * A destination left the table (remove its kernel route): not heard from
   * for the validity window ("expired"), or its address may no longer be
   * claimed ("refused": it became a link's underlay address).
   */
  routeRemoved(route: Route, why?: "expired" | "refused"): void;
  /**
   * A flood that arrived on `link` claimed an address this node refuses: it
   * was neither installed nor forwarded. With `withdrawn`, a route held for
   * that address was removed (`link` is the hop it came by, -1: none left).
   */
  refused?(link: number, claim: RefusedClaim): void;
  /**
   * A flood on `link` for a destination not known yet was dropped (not
   * installed, not forwarded): the node holds its maximum ("full"), or
   * the link is introducing new destinations faster than it may ("rate").
   */
  limited?(link: number, why: GateRefusal): void;
  /** The router wants `tick` by `at` (unix ms), sooner than its last answer said. */
  wake?(at: number): void;
  /** A packet was dropped for its age: `offsetMs` = its timestamp minus our clock. */
  stale?(link: number, offsetMs: number): void;
}

export interface RefusedClaim {
  /** The claimed address, 4 or 16 bytes (a copy). */
  ip: Uint8Array;
  /** The node name, for a name flood (cmd 0). */
  name: string | undefined;
  reason: ClaimRefusal;
  withdrawn: boolean;
}

export interface RouterConfig {
  name: string;
  /** Our mesh IPv6 (name-derived), 16 bytes. */
  ipv6: Uint8Array;
  /** Configured IPv4 addresses, 4 bytes each. */
  ipv4: Uint8Array[];
  /** Node name -> IPv6 (the SPECK derivation). */
  nameToIpv6: (name: string) => Uint8Array;
  /**
   * The same on the name's UTF-8 bytes (default: decode, then
   * `nameToIpv6`): a flood the router will drop is never decoded.
   */
  nameBytesToIpv6?: (utf8: Uint8Array) => Uint8Array;
  hash: PacketHash;
  /** Uniform in [0, 1). */
  random: () => number;
  /** Whether this node has a TUN device to deliver to. */
  hasTun: boolean;
  dataFilterSize?: number;
  maxFloods?: number;
  /**
   * Copies bytes the router keeps (a route's newest flood, an address).
   * Default: a fresh copy, since received bytes live in a reused link
   * buffer. A simulator whose packets are immutable may return the same
   * bytes to share them between thousands of routers.
   */
  retain?: (b: Uint8Array, off: number, len: number) => Uint8Array;
  /** Entries of the router's own name cache (0: none). */
  nameCacheSize?: number;
  /**
   * A name cache to use instead of the router's own: a simulator shares one
   * between its thousands of routers, so they share each name's address,
   * key and string too.
   */
  nameCache?: NameCache;
  /** How long the primary may lag a newer flood's first arrival and keep its place (see RoutingTable). */
  routeHoldMs?: number;
  /** Silence after which a route carries no traffic (default ROUTE_STALE_MS). */
  routeStaleMs?: number;
  /**
   * Which addresses floods may claim (default: the default ranges). The
   * router adds this node's own addresses to it; the node keeps its
   * underlay addresses in it through `addUnderlay` / `removeUnderlay`.
   */
  claims?: ClaimFilter;
  /** How many destinations the node holds, and how fast a link may add them (default: DEFAULT_DESTINATION_LIMITS). */
  destinations?: DestinationLimits;
}

const copyOut = (b: Uint8Array, off: number, len: number) => b.slice(off, off + len);

export const COUNTERS = [
  "received",
  "tooShort",
  "stale",
  "duplicateFloods",
  "duplicateData",
  "badFloodBody",
  "unknownCommand",
  "floodsAccepted",
  "floodsForwarded",
  "floodsEchoed",
  "floodsOriginated",
  "dataForwarded",
  "dataDelivered",
  "dataFromLocal",
  "dataNoRoute",
  "dataBounced",
  "loopsCut",
  "dataShortIp",
  "dataNotForUs",
  "sendDropped",
  "replayed",
  /** Floods refused (not installed, not forwarded): outside accept_ipv4/accept_ipv6. */
  "claimsOutside",
  /** ... for a loopback, link-local, multicast, broadcast, unspecified or IPv4-mapped address. */
  "claimsSpecial",
  /** ... for one of this node's own addresses. */
  "claimsOwn",
  /** ... for an address one of this node's links runs over. */
  "claimsUnderlay",
  /** Routes removed because their address became a link's underlay address. */
  "routesWithdrawn",
  /** Floods for a new destination dropped: the node holds its maximum of destinations. */
  "destinationsFull",
  /** ... dropped: their link introduces new destinations faster than it may. */
  "destinationsRateLimited",
] as const;
export type Counter = (typeof COUNTERS)[number];

const ORIGINATE_MIN_MS = 5000;
const ORIGINATE_SPREAD_MS = 5000;
const ORIGINATE_COALESCE_MS = 500;
/** Near-ties within this do not move a route (tuned with the simulator, see README). */
export const ROUTE_HOLD_MS = 2;
/**
 * A route whose origin has not flooded for this long (three of its longest
 * flood periods) carries no traffic: senders get "no route" (the node
 * answers ICMP unreachable) instead of feeding the mesh packets for a node
 * that is gone. The route itself stays for the validity window, as
 * DESIGN.md says, and works again with the origin's next flood. Chosen with
 * the simulator: without it, on 1,000 nodes, senders to a dead node were
 * still sending 5 s later (see README).
 */
export const ROUTE_STALE_MS = 30_000;
const utf8 = new TextDecoder("utf-8", { fatal: true });
const lossyUtf8 = new TextDecoder("utf-8");
const NAME_CACHE_MAX = 4096;

export class Router {
  private readonly staleMs: number;
  readonly table: RoutingTable;
  readonly counters: Record<Counter, number> = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<
    Counter,
    number
  >;
  private readonly links = new Set<number>();
  private readonly ours = new Set<AddrKey>();
  private readonly floods: FloodFilter;
  private readonly data: DataFilter;
  private readonly names: NameCache;
  private nextOriginate = 0;
  private lastOriginate = Number.NEGATIVE_INFINITY;
  /** When we last asked to tick by (the answer of `tick`, or an earlier `wake`). */
  private tickBy = 0;
  /** Our newest own floods, replayed to links that come up. */
  private ownFloods: Uint8Array[] = [];
  /** Where packets from TUN get their mesh header; allocated on first use (relays never need it). */
  private scratchBuf: Uint8Array | undefined;
  private readonly v6Keys = new Ipv6KeyCache();
  private readonly nameBytes: Uint8Array;
  private readonly retain: (b: Uint8Array, off: number, len: number) => Uint8Array;
  /** Which addresses floods may claim here. */
  readonly claims: ClaimFilter;
  /** How many destinations, and how fast per link. */
  readonly gate: DestinationGate;
  private readonly nameBytesToIpv6: (utf8: Uint8Array) => Uint8Array;

  constructor(
    private readonly cfg: RouterConfig,
    private readonly out: RouterOutput,
  ) {
    this.ours.add(keyOf(cfg.ipv6));
    for (const a of cfg.ipv4) this.ours.add(keyOf(a));
    this.floods = new FloodFilter(VALIDITY_MS, cfg.maxFloods);
    this.data = new DataFilter(cfg.dataFilterSize);
    this.nameBytes = new TextEncoder().encode(cfg.name);
    this.retain = cfg.retain ?? copyOut;
    this.table = new RoutingTable(this.retain, cfg.routeHoldMs ?? ROUTE_HOLD_MS);
    this.staleMs = cfg.routeStaleMs ?? ROUTE_STALE_MS;
    this.names = cfg.nameCache ?? new NameCache(cfg.nameCacheSize ?? NAME_CACHE_MAX);
    this.claims = cfg.claims ?? new ClaimFilter();
    this.gate = new DestinationGate(cfg.destinations);
    // not UTF-8: some address no route has (such a name never makes one), so the flood is dropped
    this.nameBytesToIpv6 = cfg.nameBytesToIpv6 ?? ((u) => cfg.nameToIpv6(lossyUtf8.decode(u)));
    this.claims.addOwn(cfg.ipv6);
    for (const a of cfg.ipv4) this.claims.addOwn(a);
  }

  get linkCount(): number {
    return this.links.size;
  }

  get floodMemory(): number {
    return this.floods.size;
  }

  isOurs(key: AddrKey): boolean {
    return this.ours.has(key);
  }

  /**
   * A link finished its handshake: send it the newest flood of every origin
   * we know, and flood our own addresses afresh on every link. A fresh
   * flood (not a replay) matters: a replayed one may already have reached
   * the new neighbour another way and die there as a duplicate, so nodes
   * beyond it would learn no backup route through it until our next
   * periodic flood. Fresh floods are coalesced to one per
   * ORIGINATE_COALESCE_MS when many links come up together.
   */
  linkUp(link: number, now: number): void {
    this.links.add(link);
    for (const r of this.table.values()) {
      if (this.table.hopCount(r) === 0 || Math.abs(now - r.ts) > VALIDITY_MS) continue;
      if (this.sendTo(link, r.flood, 0, r.flood.length, false)) this.counters.replayed++;
    }
    if (now - this.lastOriginate >= ORIGINATE_COALESCE_MS) {
      this.originate(now);
      this.nextOriginate = now + ORIGINATE_MIN_MS + this.cfg.random() * ORIGINATE_SPREAD_MS;
    } else {
      for (const f of this.ownFloods) this.sendTo(link, f, 0, f.length, false);
      this.nextOriginate = Math.min(this.nextOriginate, this.lastOriginate + ORIGINATE_COALESCE_MS);
    }
  }

  /** A link closed: it leaves every route at once. */
  linkDown(link: number): void {
    if (!this.links.delete(link)) return;
    this.gate.forget(link);
    for (const r of this.table.dropLink(link)) this.out.routeChanged(r);
  }

  /**
   * Periodic work: originate our floods when due (every 5-10 s, the first
   * at the first tick) and expire what is older than the validity window.
   * Returns when it wants the next tick at the latest.
   */
  tick(now: number): number {
    if (now >= this.nextOriginate) {
      this.originate(now);
      this.nextOriginate = now + ORIGINATE_MIN_MS + this.cfg.random() * ORIGINATE_SPREAD_MS;
    }
    this.floods.expire(now);
    for (const r of this.table.settle(now)) this.out.routeChanged(r);
    for (const r of this.table.expire(now, VALIDITY_MS)) this.out.routeRemoved(r, "expired");
    this.tickBy = Math.min(this.nextOriginate, this.table.nextSettle);
    return this.tickBy;
  }

  private originate(now: number): void {
    this.lastOriginate = now;
    const own = [
      buildPacket(now, CMD_NAME, this.nameBytes),
      ...this.cfg.ipv4.map((a) => buildPacket(now, CMD_IPV4, a)),
    ];
    this.ownFloods = own;
    for (const p of own) {
      this.floods.add(this.cfg.hash(p, 0, p.length), now, -1);
      this.counters.floodsOriginated++;
      for (const l of this.links) this.sendTo(l, p, 0, p.length, false);
    }
    this.out.originated?.(this.links.size);
  }

  private sendTo(link: number, b: Uint8Array, off: number, len: number, data: boolean): boolean {
    if (this.out.send(link, b, off, len, data)) return true;
    this.counters.sendDropped++;
    return false;
  }

  /** A verified mesh packet arrived on `link`. */
  receive(link: number, b: Uint8Array, off: number, len: number, now: number): void {
    this.counters.received++;
    if (len < HEADER) {
      this.counters.tooShort++;
      return;
    }
    const ts = readTs(b, off);
    if (Math.abs(now - ts) > VALIDITY_MS) {
      this.counters.stale++;
      this.out.stale?.(link, ts - now);
      return;
    }
    const cmd = b[off + 8] as number;
    if (cmd === CMD_DATA) this.receiveData(link, b, off, len, now);
    else if (cmd <= CMD_IPV4) this.receiveFlood(link, cmd, ts, b, off, len, now);
    else this.counters.unknownCommand++;
  }

  private receiveFlood(
    link: number,
    cmd: number,
    ts: number,
    b: Uint8Array,
    off: number,
    len: number,
    now: number,
  ): void {
    const h = this.cfg.hash(b, off, len);
    const seen = this.floods.find(h);
    if (seen >= 0) {
      // Most flood arrivals are copies of one we have (one per neighbour):
      // the filter remembers which route it was, so nothing is parsed again.
      this.counters.duplicateFloods++;
      const tag = this.floods.tagAt(seen);
      if (tag >= 0) {
        let row = this.table.rowOfTag(tag);
        if (row < 0) {
          // the route expired since: look it up again (a copy of a flood never creates a route)
          const key = this.floodKey(cmd, b, off, len);
          const r = key === undefined ? undefined : this.table.get(key);
          row = r ? r.row : -1;
        }
        if (row >= 0) {
          const u = this.table.updateRow(row, undefined, "name", undefined, ts, link, now, b, off, len);
          if (u !== "none") this.report(u, this.table.routeAt(row), link);
        }
      }
      // A second path to the origin exists through `link`; the neighbour we
      // first heard the flood from never got it from us (we do not send a
      // flood back where it came from), so it cannot know we are a way
      // around it. Tell it once: that is what gives it a backup route.
      const back = this.floods.echoTarget(seen, link);
      if (back >= 0 && this.links.has(back) && this.sendTo(back, b, off, len, false)) this.counters.floodsEchoed++;
      return;
    }
    const body = off + HEADER;
    const bodyLen = len - HEADER;
    let key: AddrKey | undefined;
    let addr: Uint8Array | undefined;
    let kind: RouteKind = "name";
    let name: string | undefined;
    let verdict: ClaimVerdict = "accept";
    /** A name not cached yet: cached once its flood is accepted (a flood of refused names must not churn the cache). */
    let newName: NameInfo | undefined;
    if (cmd === CMD_NAME) {
      let info = this.names.find(b, body, bodyLen);
      if (info === undefined) {
        // a name this link may not introduce now is dropped before it is
        // decoded, unless its destination is known (known ones always take newer floods)
        const refused = this.gate.admit(link, this.table.size, now, false);
        if (refused !== undefined && !this.table.get(keyOf(this.nameBytesToIpv6(b.subarray(body, body + bodyLen))))) {
          this.dropNew(link, refused);
          return;
        }
      }
      if (info === undefined) info = newName = this.decodeName(b, body, bodyLen);
      if (info !== undefined) {
        // the cached name and key: routes keep the same strings, not one
        // more of each per flood (and equal keys compare by identity)
        name = info.name;
        key = info.key;
        addr = info.ipv6;
        verdict = this.claims.check(info.ipv6, 0, 16, key);
      }
    } else {
      key = this.floodKey(cmd, b, off, len);
      if (key === undefined) {
        this.counters.badFloodBody++; // not 16 (IPv6) or 4 (IPv4) bytes
        return;
      }
      verdict = this.claims.check(b, body, bodyLen as 4 | 16, key);
      kind = cmd === CMD_IPV6 ? "ipv6" : "ipv4";
      if (verdict === "accept") addr = this.retain(b, body, bodyLen);
    }
    if (verdict !== "accept") {
      // remembered, so its copies die as duplicates (never echoed: no first link)
      this.floods.add(h, now, -1);
      this.refuse(link, verdict, addr ?? b.slice(body, off + len), name);
      return;
    }
    let route: Route | undefined;
    if (key !== undefined) {
      route = this.table.get(key);
      let u: Update;
      if (route !== undefined) {
        u = this.table.updateRow(route.row, addr, kind, name, ts, link, now, b, off, len);
      } else {
        const limited = this.gate.admit(link, this.table.size, now);
        if (limited !== undefined) {
          this.dropNew(link, limited);
          return;
        }
        u = this.table.learn(key, addr, kind, name, ts, link, now, b, off, len);
        route = this.table.get(key);
      }
      this.report(u, route as Route, link);
    }
    if (newName !== undefined) this.names.add(newName);
    this.floods.add(h, now, link, route ? this.table.tagOf(route) : -1);
    this.counters.floodsAccepted++;
    for (const l of this.links) {
      if (l !== link && this.sendTo(l, b, off, len, false)) this.counters.floodsForwarded++;
    }
  }

  /**
   * A flood for a new destination the gate refuses: counted and reported,
   * not remembered as seen (a flood this link may not introduce must not
   * push floods the filter does hold out of it), not forwarded.
   */
  private dropNew(link: number, why: GateRefusal): void {
    if (why === "full") this.counters.destinationsFull++;
    else this.counters.destinationsRateLimited++;
    this.out.limited?.(link, why);
  }

  private refuse(link: number, reason: ClaimRefusal, ip: Uint8Array, name: string | undefined): void {
    if (reason === "outside") this.counters.claimsOutside++;
    else if (reason === "own") this.counters.claimsOwn++;
    else if (reason === "underlay") this.counters.claimsUnderlay++;
    else this.counters.claimsSpecial++;
    this.out.refused?.(link, { ip, name, reason, withdrawn: false });
  }

  /**
   * A link runs over `ip` (its peer or local address, a resolved connect
   * host, a listener's address): no flood may claim it while it does. A
   * route already held for it goes at once: the link wins, and the hop the
   * claim came by is reported.
   */
  addUnderlay(ip: Uint8Array): void {
    if (!this.claims.addUnderlay(ip)) return;
    const r = this.table.get(keyOf(ip));
    if (r === undefined) return;
    const hop = this.table.hopCount(r) > 0 ? this.table.hopOf(r, -1) : -1;
    this.table.remove(r);
    this.counters.routesWithdrawn++;
    this.out.routeRemoved(r, "refused");
    this.out.refused?.(hop, { ip: r.addr, name: r.name, reason: "underlay", withdrawn: true });
  }

  /** One user of underlay address `ip` is gone (see `addUnderlay`). */
  removeUnderlay(ip: Uint8Array): void {
    this.claims.removeUnderlay(ip);
  }

  private report(u: Update, r: Route, link: number): void {
    if (u === "none") return;
    if (u === "held") {
      // the held primary must be settled on time (see RoutingTable)
      const at = this.table.nextSettle;
      if (at < this.tickBy) {
        this.tickBy = at;
        this.out.wake?.(at);
      }
      return;
    }
    if (u === "added") this.out.routeAdded(r);
    else if (u === "changed") this.out.routeChanged(r);
    else this.out.routeBackup?.(r, link);
  }

  /** A name flood's name, address and key (undefined: not UTF-8). */
  /** The name at b[off, off+len): cached, or decoded and cached now. */
  private nameInfo(b: Uint8Array, off: number, len: number): NameInfo | undefined {
    const found = this.names.find(b, off, len);
    if (found !== undefined) return found;
    const info = this.decodeName(b, off, len);
    if (info !== undefined) this.names.add(info);
    return info;
  }

  /** The route key a flood announces (undefined: a body that announces none). */
  private floodKey(cmd: number, b: Uint8Array, off: number, len: number): AddrKey | undefined {
    const body = off + HEADER;
    const bodyLen = len - HEADER;
    if (cmd === CMD_NAME) return this.nameInfo(b, body, bodyLen)?.key;
    const want = cmd === CMD_IPV6 ? 16 : 4;
    return bodyLen === want ? addrKey(b, body, want) : undefined;
  }

  /** A name flood's name not in the cache: decoded, derived and cached (undefined: not UTF-8). */
  /** The name's string, address and key (undefined: not UTF-8); not cached. */
  private decodeName(b: Uint8Array, off: number, len: number): NameInfo | undefined {
    let name: string;
    try {
      name = utf8.decode(b.subarray(off, off + len));
    } catch {
      return undefined; // smolmesh2 floods a name that is not UTF-8 but learns no route from it
    }
    const ipv6 = this.cfg.nameToIpv6(name);
    return { name, utf8: b.slice(off, off + len), ipv6, key: keyOf(ipv6) };
  }

  private receiveData(link: number, b: Uint8Array, off: number, len: number, now: number): void {
    const first = this.data.checkAndAdd(this.cfg.hash(b, off, len), link);
    if (first !== undefined) {
      this.counters.duplicateData++;
      // the same packet twice from the same neighbour is a duplicate (an
      // application sent it twice within a millisecond); back from another
      // link, it has been around a loop
      if (first !== link) this.cutLoop(b, off, len, this.data.lastSent());
      return;
    }
    this.route(link, b, off, len, now);
  }

  /**
   * A data packet we already forwarded came back: the hop we sent it to
   * (`sentTo`) leads in a circle (or bounced it, having no way on). Floods
   * carry no distances, so backups can point back at us; a returning
   * packet is the proof. Drop that hop from the route so the next packet
   * tries the next one; the next flood ranks the hops afresh.
   *
   * It must be that hop and only it: the hop a packet takes is not always
   * the primary (never the link it came from), and several packets of a
   * flow in flight come back from the same loop; cutting the primary each
   * time cut good hops too, and a ring simulator run lost whole routes.
   */
  private cutLoop(b: Uint8Array, off: number, len: number, sentTo: number): void {
    if (sentTo < 0) return;
    const ip = off + HEADER;
    const dest = destinationAt(b, ip, len - HEADER);
    if (!dest.ok) return;
    const r = this.table.get(addrKey(b, ip + dest.offset, dest.length));
    const at = r ? this.table.cutHop(r, sentTo) : -1;
    if (at < 0) return; // already cut by an earlier copy
    this.counters.loopsCut++;
    if (at === 0) this.out.routeChanged(r as Route);
  }

  /** The route for `key` if its origin flooded within `staleMs` (or the clock went back). */
  private live(key: AddrKey, now: number): Route | undefined {
    const r = this.table.get(key);
    return r && now - r.heardAt <= this.staleMs ? r : undefined;
  }

  /**
   * A neighbour that sends us traffic for a destination routes it through
   * us; as our own way there it would send the traffic straight back, so
   * it goes to the end of the route's hops.
   */
  private demote(r: Route, from: number): void {
    if (this.table.demoteHop(r, from) === 0) this.out.routeChanged(r);
  }

  /**
   * The route key of a data packet's destination. Traffic goes to a few
   * destinations at a time, so recent IPv6 keys are kept and reused when
   * the bytes match: no new string per packet, and the map finds the
   * string's hash already computed.
   */
  private dataKey(b: Uint8Array, off: number, len: 4 | 16): AddrKey {
    return len === 4 ? addrKey(b, off, 4) : this.v6Keys.key(b, off);
  }

  /** Forwards or delivers a data packet (already checked for duplicates). */
  private route(from: number, b: Uint8Array, off: number, len: number, now: number): void {
    const ip = off + HEADER;
    const dest = destinationAt(b, ip, len - HEADER);
    if (!dest.ok) {
      this.counters.dataShortIp++;
      return;
    }
    const key = this.dataKey(b, ip + dest.offset, dest.length);
    if (this.ours.has(key)) {
      if (this.cfg.hasTun) {
        this.counters.dataDelivered++;
        this.out.deliver(b, ip, len - HEADER);
      } else {
        this.counters.dataNotForUs++;
      }
      return;
    }
    const r = this.live(key, now);
    if (r && from >= 0) this.demote(r, from);
    const hop = r ? this.table.hopOf(r, from) : -1;
    if (hop >= 0) {
      this.data.markSent(hop);
      if (this.sendTo(hop, b, off, len, true)) this.counters.dataForwarded++;
      return;
    }
    // Stuck with a route whose every hop is gone (or leads back where the
    // packet came from): send it back. The sender sees it return, cuts us
    // from its route (cutLoop) and tries its own next hop; it drops this
    // one copy as a duplicate, so nothing circulates.
    if (from >= 0 && r && this.links.has(from)) {
      this.data.markSent(from);
      if (this.sendTo(from, b, off, len, true)) this.counters.dataBounced++;
      return;
    }
    this.counters.dataNoRoute++;
  }

  /**
   * An IP packet from this node's TUN device: wrap it as cmd 3 and route it.
   * "no-route" is worth an ICMP unreachable to the sender; "unroutable"
   * (multicast, link-local, malformed) is dropped silently.
   */
  fromLocal(ipPacket: Uint8Array, off: number, len: number, now: number, headroom = false): LocalResult {
    if (len > 65535 - HEADER) return "unroutable";
    const dest = destinationAt(ipPacket, off, len);
    if (!dest.ok) return "unroutable";
    const d = ipPacket[off + dest.offset] as number;
    if (
      dest.version === 6
        ? d === 0xff || (d === 0xfe && ((ipPacket[off + dest.offset + 1] as number) & 0xc0) === 0x80)
        : d >= 224
    ) {
      return "unroutable";
    }
    this.counters.dataFromLocal++;
    const key = this.dataKey(ipPacket, off + dest.offset, dest.length);
    const r = this.live(key, now);
    const hop = r ? this.table.hopOf(r, -1) : -1;
    if (hop < 0) {
      this.counters.dataNoRoute++;
      return "no-route";
    }
    // the mesh header goes in front of the IP packet: in place when the
    // caller left room for it (the TUN reads with 9 bytes of headroom)
    let buf = ipPacket;
    let start = off - HEADER;
    if (!headroom) {
      this.scratchBuf ??= new Uint8Array(65535);
      buf = this.scratchBuf;
      start = 0;
      buf.set(ipPacket.subarray(off, off + len), HEADER);
    }
    writeHeader(buf, start, now, CMD_DATA);
    const total = HEADER + len;
    this.data.checkAndAdd(this.cfg.hash(buf, start, total), -1);
    this.data.markSent(hop);
    if (!this.sendTo(hop, buf, start, total, true)) return "dropped";
    this.counters.dataForwarded++;
    return "sent";
  }
}

export type LocalResult = "sent" | "no-route" | "unroutable" | "dropped";
