/**
 * The router's route hold: a newer flood's first arrival on another link
 * does not move a route at once when the primary delivers it within the
 * hold (near-ties do not move a route), and what ends a hold early.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { nameToIpv6 } from "../../src/addr/node-name.ts";
import { keyOf } from "../../src/mesh/addr-key.ts";
import type { PacketHash } from "../../src/mesh/dup-filter.ts";
import { loadPacketHash } from "../../src/node/packet-hash.ts";
import { dataPacket, ipv6Packet, makeRouter, nameFlood, T } from "../helpers/router-harness.ts";

let hash: PacketHash;
beforeAll(async () => {
  hash = await loadPacketHash();
});

describe("route hold (near-ties do not move a route)", () => {
  const H = 2;
  function held() {
    const h = makeRouter(hash, { routeHoldMs: H });
    for (const l of [1, 2, 3]) h.router.linkUp(l, T);
    const f1 = nameFlood("ivy", T - 5000);
    h.router.receive(1, f1, 0, f1.length, T);
    h.router.receive(2, f1, 0, f1.length, T);
    h.router.tick(T + 1000); // the coalesced origination (links came up together) is done
    h.out.take();
    h.out.events = [];
    const f2 = nameFlood("ivy", T + 1000);
    // the newer flood comes first by link 2; the primary (1) is held
    h.router.receive(2, f2, 0, f2.length, T + 1000);
    const route = h.router.table.get(keyOf(nameToIpv6("ivy")));
    if (!route) throw new Error("no route");
    return { ...h, f2, route };
  }

  test("the primary that delivers the newer flood within the hold keeps its place, silently", () => {
    const { router, out, f2, route } = held();
    expect(route.hops).toEqual([1, 2]);
    expect(out.wakes).toEqual([T + 1000 + H + 1]);
    router.receive(1, f2, 0, f2.length, T + 1000 + H);
    expect(route.hops).toEqual([1, 2]);
    expect(route.fresh).toBe(2);
    router.tick(T + 1000 + H + 1);
    expect(route.hops).toEqual([1, 2]);
    expect(out.events).toEqual([]);
  });

  test("a primary that delivers it late, or not at all by the settle tick, loses its place", () => {
    const late = held();
    late.router.receive(1, late.f2, 0, late.f2.length, T + 1000 + H + 1);
    expect(late.route.hops).toEqual([2, 1]);
    expect(late.route.fresh).toBe(2);
    expect(late.out.events).toEqual(["changed ivy via 2"]);

    const never = held();
    // the router asked to tick at the end of the hold, before its next origination
    expect(never.router.tick(T + 1000 + H)).toBe(T + 1000 + H + 1);
    expect(never.route.hops).toEqual([1, 2]);
    never.router.tick(T + 1000 + H + 1);
    expect(never.route.hops).toEqual([2, 1]);
    expect(never.route.fresh).toBe(1);
    expect(never.out.events).toEqual(["changed ivy via 2"]);
  });

  test("a held primary whose link drops is replaced at once, and nothing is settled later", () => {
    const { router, out, route } = held();
    router.linkDown(1);
    expect(route.hops).toEqual([2]);
    router.tick(T + 1000 + H + 1);
    expect(route.hops).toEqual([2]);
    expect(out.events).toEqual(["changed ivy via 2"]);
  });

  test("a primary still held when an even newer flood arrives has had its chance", () => {
    const { router, out, route } = held();
    const f3 = nameFlood("ivy", T + 1001);
    router.receive(3, f3, 0, f3.length, T + 1001);
    expect(route.hops[0]).toBe(3);
    expect(out.events).toEqual(["changed ivy via 3"]);
  });

  test("with no hold the first arrival of a newer flood moves the route at once", () => {
    const h = makeRouter(hash, { routeHoldMs: 0 });
    for (const l of [1, 2]) h.router.linkUp(l, T);
    const f1 = nameFlood("jon", T - 5000);
    const f2 = nameFlood("jon", T);
    h.router.receive(1, f1, 0, f1.length, T);
    h.router.receive(2, f2, 0, f2.length, T);
    expect(h.out.events).toEqual(["added jon via 1", "changed jon via 2"]);
    expect(h.out.wakes).toEqual([]);
  });
});

test("a held primary that a returning packet cuts loses its hold: the route stays whole and traffic keeps a real hop", () => {
  const h = makeRouter(hash, { routeHoldMs: 2 });
  for (const l of [1, 2, 3, 4]) h.router.linkUp(l, T);
  const f1 = nameFlood("ivy", T - 5000);
  for (const l of [1, 2, 3]) h.router.receive(l, f1, 0, f1.length, T);
  h.router.tick(T + 1000);
  h.out.take();
  const f2 = nameFlood("ivy", T + 1000);
  h.router.receive(2, f2, 0, f2.length, T + 1000); // 2 first: the primary, 1, is held
  const route = h.router.table.get(keyOf(nameToIpv6("ivy")));
  expect(route?.hops).toEqual([1, 2, 3]);
  // two packets from 4 go to 1 and to 2 in turn, and each comes back on 3
  for (const id of [1, 2]) {
    const d = dataPacket(T + 1000, ipv6Packet(nameToIpv6("ivy"), id));
    h.router.receive(4, d, 0, d.length, T + 1000);
    h.router.receive(3, d, 0, d.length, T + 1000);
  }
  expect(route?.hops).toEqual([3]);
  h.router.tick(T + 1005); // the hold would have ended here
  expect(route?.hops).toEqual([3]);
  expect(route?.fresh).toBeGreaterThanOrEqual(0);
  h.out.take();
  expect(h.router.fromLocal(ipv6Packet(nameToIpv6("ivy"), 3), 0, 43, T + 1006)).toBe("sent");
  expect(h.out.take().map((x) => x.link)).toEqual([3]);
});
