/**
 * The mesh router as a pure state machine. It never touches a socket, a
 * clock or a random source: every input carries `now` (unix ms), random
 * draws come from the injected `random`, and everything it decides goes to
 * the injected `RouterOutput` synchronously. The node drives it over real
 * links; the simulator drives thousands of them over simulated ones.
 *
 * Packet bytes passed in are only valid during the call (they usually lie
 * in a link's receive buffer): the router copies what it keeps.
 *
 * Here: links, ticks, origination, and the data path, which is hot and so
 * stays in this class (a data packet pays no extra call, closure or
 * allocation). Floods go to the router's FloodReceiver (receive-flood.ts);
 * router-api.ts declares what a router is given and what it reports.
 */
import { destinationAt } from "../addr/ip-packet.ts";
import { type AddrKey, addrKey, Ipv6KeyCache, keyOf } from "./addr-key.ts";
import type { ClaimFilter } from "./claim-filter.ts";
import type { DestinationGate } from "./destination-gate.ts";
import { DataFilter, FloodFilter } from "./dup-filter.ts";
import { buildPacket, CMD_DATA, CMD_IPV4, CMD_NAME, HEADER, readTs, VALIDITY_MS, writeHeader } from "./packet.ts";
import { FloodReceiver } from "./receive-flood.ts";
import {
  COUNTERS,
  type Counter,
  type LocalResult,
  ROUTE_HOLD_MS,
  ROUTE_STALE_MS,
  type RouterConfig,
  type RouterOutput,
} from "./router-api.ts";
import { type Route, RoutingTable } from "./routing-table.ts";

export type { Counter, LocalResult, RefusedClaim, RouterConfig, RouterOutput } from "./router-api.ts";
export { COUNTERS, ROUTE_HOLD_MS, ROUTE_STALE_MS } from "./router-api.ts";
export type { Route };

const copyOut = (b: Uint8Array, off: number, len: number) => b.slice(off, off + len);

const ORIGINATE_MIN_MS = 5000;
const ORIGINATE_SPREAD_MS = 5000;
const ORIGINATE_COALESCE_MS = 500;

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
  private readonly floodIn: FloodReceiver;
  private nextOriginate = 0;
  private lastOriginate = Number.NEGATIVE_INFINITY;
  /** Our newest own floods, replayed to links that come up. */
  private ownFloods: Uint8Array[] = [];
  /** Where packets from TUN get their mesh header; allocated on first use (relays never need it). */
  private scratchBuf: Uint8Array | undefined;
  private readonly v6Keys = new Ipv6KeyCache();
  private readonly nameBytes: Uint8Array;
  /** Which addresses floods may claim here. */
  readonly claims: ClaimFilter;
  /** How many destinations, and how fast per link. */
  readonly gate: DestinationGate;

  constructor(
    private readonly cfg: RouterConfig,
    private readonly out: RouterOutput,
  ) {
    this.ours.add(keyOf(cfg.ipv6));
    for (const a of cfg.ipv4) this.ours.add(keyOf(a));
    this.floods = new FloodFilter(VALIDITY_MS, cfg.maxFloods);
    this.data = new DataFilter(cfg.dataFilterSize);
    this.nameBytes = new TextEncoder().encode(cfg.name);
    const retain = cfg.retain ?? copyOut;
    this.table = new RoutingTable(retain, cfg.routeHoldMs ?? ROUTE_HOLD_MS);
    this.staleMs = cfg.routeStaleMs ?? ROUTE_STALE_MS;
    this.floodIn = new FloodReceiver(cfg, out, this.table, this.floods, this.counters, this.links, retain);
    this.claims = this.floodIn.claims;
    this.gate = this.floodIn.gate;
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
    const by = Math.min(this.nextOriginate, this.table.nextSettle);
    this.floodIn.tickBy = by;
    return by;
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
    else if (cmd <= CMD_IPV4) this.floodIn.receive(link, cmd, ts, b, off, len, now);
    else this.counters.unknownCommand++;
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
