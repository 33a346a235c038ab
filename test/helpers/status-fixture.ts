/** A status snapshot of a TUN node with a modern link, a TUN device and DNS, for renderers' tests. */
import { COUNTERS } from "../../src/mesh/router.ts";
import type { LinkStatus, StatusSnapshot } from "../../src/node/status.ts";

const zeroes = <K extends string>(keys: readonly K[]) =>
  Object.fromEntries(keys.map((k) => [k, 1])) as Record<K, number>;

export const snapshot: StatusSnapshot = {
  node: {
    name: "n1",
    dnsName: "n1.mesh",
    version: "0.1.0",
    aesGcm: "node:crypto",
    pid: 1,
    uptimeS: 5,
    addresses: [],
    interface: "smolmesh1",
    mtu: 65000,
    memory: { rssBytes: 1, heapBytes: 1 },
  },
  links: [
    {
      id: 1,
      peer: "10.0.0.2:4041",
      direction: "out",
      state: "up",
      protocol: "modern",
      peerName: "n2",
      keys: { txAgeS: 1, rxAgeS: 1, txRekeys: 0, rxRekeys: 0, ignoredFrames: 0 },
      uptimeS: 1,
      bytesIn: 1,
      bytesOut: 1,
      packetsIn: 1,
      packetsOut: 1,
      dataDropped: 0,
      controlDropped: 0,
      queuedBytes: 0,
      lastReceivedS: 0,
    },
  ],
  routes: [],
  connectors: [],
  listeners: [],
  handshakes: { pending: 0, displaced: 0 },
  router: { ...zeroes(COUNTERS), routes: 0, floodMemory: 0 },
  claims: { acceptIpv4: [], acceptIpv6: [], underlay: [] },
  tun: {
    packetsIn: 1,
    bytesIn: 1,
    packetsOut: 1,
    bytesOut: 1,
    noRoute: 1,
    unroutable: 1,
    queueDrops: 1,
    writeDrops: 1,
    icmpSent: 1,
    routeErrors: 1,
    routesRefused: 1,
  },
  dns: {
    suffix: "mesh",
    listen: "[fd00::1]:53",
    listening: true,
    resolver: "systemd-resolved",
    stats: {
      queries: 1,
      answered: 1,
      nodata: 0,
      nxdomain: 0,
      refused: 0,
      formerr: 0,
      notimp: 0,
      dropped: 0,
      rateLimited: 0,
      notLocal: 0,
      sendFailed: 0,
    },
  },
};

/** A legacy (Gimli) link beside the modern one. */
export const legacyLink: LinkStatus = {
  ...(snapshot.links[0] as LinkStatus),
  id: 2,
  peer: "10.0.0.3:4040",
  direction: "in",
  protocol: "gimli",
  peerName: null,
  keys: null,
  bytesIn: 5 * 1024 * 1024,
};
