/**
 * What a Router (router.ts) is given and what it gives back: its config,
 * the output it reports every decision to (synchronously, during the call
 * that caused it), the counters it keeps, and the defaults of its route
 * timing. Declarations and constants only: the host (node/, the
 * simulator, tests) implements RouterOutput; the router reaches nothing
 * else.
 */
import type { ClaimFilter, ClaimRefusal } from "./claim-filter.ts";
import type { DestinationLimits, GateRefusal } from "./destination-gate.ts";
import type { PacketHash } from "./dup-filter.ts";
import type { NameCache } from "./name-cache.ts";
import type { Route } from "./routing-table.ts";

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

/** What became of a packet from TUN (see Router.fromLocal); "dropped": the link dropped it. */
export type LocalResult = "sent" | "no-route" | "unroutable" | "dropped";
