/**
 * The flood half of the router (router.ts): what a router does with a
 * flood (cmd 0-2) that arrived on a link and is fresh enough. A copy of a
 * flood already seen only ranks its link among its route's hops and may
 * be echoed once; a new one must pass the claim filter (which addresses
 * floods may claim) and, for a destination not known yet, the destination
 * gate (how many, how fast per link), then it updates or learns its route
 * and goes on to every other link. Names are decoded once and cached; a
 * new flood's name only once the flood is taken, so refused floods cannot
 * churn the cache.
 *
 * The Router owns one FloodReceiver and shares with it its routing table,
 * flood filter, counters and set of links that are up; everything the
 * receiver decides goes to the router's output. Sans-I/O like the router.
 */
import { type AddrKey, addrKey, keyOf } from "./addr-key.ts";
import { ClaimFilter, type ClaimRefusal, type ClaimVerdict } from "./claim-filter.ts";
import { DestinationGate, type GateRefusal } from "./destination-gate.ts";
import type { FloodFilter } from "./dup-filter.ts";
import { NameCache, type NameInfo } from "./name-cache.ts";
import { CMD_IPV6, CMD_NAME, HEADER } from "./packet.ts";
import type { Counter, RouterConfig, RouterOutput } from "./router-api.ts";
import type { Retain, Route, RouteKind, RoutingTable, Update } from "./routing-table.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });
const lossyUtf8 = new TextDecoder("utf-8");
const NAME_CACHE_MAX = 4096;

export class FloodReceiver {
  /** Which addresses floods may claim here. */
  readonly claims: ClaimFilter;
  /** How many destinations, and how fast per link. */
  readonly gate: DestinationGate;
  /**
   * When the router last asked to tick by: the answer of its `tick` (which
   * sets this), or an earlier `wake` of ours. A held primary must be
   * settled by then (see `report`).
   */
  tickBy = 0;
  private readonly names: NameCache;
  private readonly nameBytesToIpv6: (utf8: Uint8Array) => Uint8Array;

  constructor(
    private readonly cfg: RouterConfig,
    private readonly out: RouterOutput,
    private readonly table: RoutingTable,
    private readonly floods: FloodFilter,
    private readonly counters: Record<Counter, number>,
    /** The router's links that are up (the router adds and removes them). */
    private readonly links: ReadonlySet<number>,
    private readonly retain: Retain,
  ) {
    this.names = cfg.nameCache ?? new NameCache(cfg.nameCacheSize ?? NAME_CACHE_MAX);
    this.claims = cfg.claims ?? new ClaimFilter();
    this.gate = new DestinationGate(cfg.destinations);
    // not UTF-8: some address no route has (such a name never makes one), so the flood is dropped
    this.nameBytesToIpv6 = cfg.nameBytesToIpv6 ?? ((u) => cfg.nameToIpv6(lossyUtf8.decode(u)));
    this.claims.addOwn(cfg.ipv6);
    for (const a of cfg.ipv4) this.claims.addOwn(a);
  }

  /** A flood (`cmd` 0-2, timestamp `ts`, within the validity window) arrived on `link`. */
  receive(link: number, cmd: number, ts: number, b: Uint8Array, off: number, len: number, now: number): void {
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
      if (back >= 0 && this.links.has(back) && this.send(back, b, off, len)) this.counters.floodsEchoed++;
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
      if (l !== link && this.send(l, b, off, len)) this.counters.floodsForwarded++;
    }
  }

  private send(link: number, b: Uint8Array, off: number, len: number): boolean {
    if (this.out.send(link, b, off, len, false)) return true;
    this.counters.sendDropped++;
    return false;
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

  /** The name at b[off, off+len): cached, or decoded and cached now (undefined: not UTF-8). */
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
}
