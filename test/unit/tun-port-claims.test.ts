/**
 * The TUN port installs kernel routes only for addresses the claim filter
 * accepts, even if asked for another (the router never asks; this is the
 * check at the edge, where a wrong route does its harm). A fake device
 * records what it was asked to route.
 */
import { beforeAll, expect, test } from "bun:test";
import ipaddr from "ipaddr.js";
import { nameToIpv6 } from "../../src/addr/node-name.ts";
import { sharedHeap } from "../../src/crypto/heap.ts";
import { keyOf } from "../../src/mesh/addr-key.ts";
import type { PacketHash } from "../../src/mesh/dup-filter.ts";
import { buildPacket, CMD_IPV4 } from "../../src/mesh/packet.ts";
import { RoutingTable } from "../../src/mesh/routing-table.ts";
import { Logger } from "../../src/node/log.ts";
import { loadPacketHash } from "../../src/node/packet-hash.ts";
import { TunPort } from "../../src/node/tun-port.ts";
import type { TunDevice } from "../../src/platform/tun-api.ts";
import { Reactor } from "../../src/reactor/reactor.ts";
import { makeRouter } from "../helpers/router-harness.ts";

let hash: PacketHash;
beforeAll(async () => {
  hash = await loadPacketHash();
});

const T = 1_800_000_000_000;

test("a route to a refused address never reaches the device; an accepted one does", () => {
  const routed: string[] = [];
  const dev: TunDevice = {
    fd: 1_000_000,
    name: "fake0",
    read: () => -1,
    write: (_b, _o, len) => len,
    addRoute: (ip) => routed.push(ipaddr.fromByteArray([...ip]).toString()),
    deleteRoute: () => {},
    routeCount: 0,
    close: () => {},
  };
  const lines: string[] = [];
  const log = new Logger({ sink: { write: (l) => lines.push(l) }, colour: false });
  const reactor = new Reactor({ wait: () => 0, runtimeFds: () => [] });
  const { router } = makeRouter(hash);
  const tun = new TunPort(dev, reactor, router, { ipv6: nameToIpv6("self"), ipv4: undefined }, log, sharedHeap());
  // routes made by a table of their own, as a buggy caller might report them
  const table = new RoutingTable();
  const route = (a: number[]) => {
    const ip = Uint8Array.from(a);
    const f = buildPacket(T, CMD_IPV4, ip);
    table.learn(keyOf(ip), ip, "ipv4", undefined, T, 1, T, f, 0, f.length);
    return table.get(keyOf(ip)) as NonNullable<ReturnType<RoutingTable["get"]>>;
  };
  tun.routeAdded(route([1, 1, 1, 1]));
  tun.routeAdded(route([127, 0, 0, 1]));
  router.addUnderlay(Uint8Array.from([10, 75, 0, 2]));
  tun.routeAdded(route([10, 75, 0, 2]));
  tun.routeAdded(route([10, 1, 2, 3]));
  expect(routed).toEqual(["10.1.2.3"]);
  expect(tun.stats.routesRefused).toBe(3);
  expect(lines.join("")).toContain("not routing 1.1.1.1 into the mesh: refused (outside), yet reported as a route");
  expect(lines.join("")).toContain("not routing 10.75.0.2 into the mesh: refused (underlay)");
  tun.close();
});
