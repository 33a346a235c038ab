/**
 * The router's floods against a table of scenarios: how a flood is taken,
 * ranked, echoed, replaced or dropped, and how the router originates its
 * own. No sockets, no clock; the real packet hash and duplicate filter.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { nameToIpv6 } from "../../src/addr/node-name.ts";
import { keyOf } from "../../src/mesh/addr-key.ts";
import type { PacketHash } from "../../src/mesh/dup-filter.ts";
import { buildPacket, CMD_IPV4, CMD_IPV6, CMD_NAME, VALIDITY_MS } from "../../src/mesh/packet.ts";
import { ROUTE_HOLD_MS } from "../../src/mesh/router.ts";
import { loadPacketHash } from "../../src/node/packet-hash.ts";
import { makeRouter, nameFlood, T, withLinks } from "../helpers/router-harness.ts";

let hash: PacketHash;
beforeAll(async () => {
  hash = await loadPacketHash();
});

const up = (links: number[]) => withLinks(hash, links);

describe("floods", () => {
  test("a new flood installs a route via its link and goes to every other link", () => {
    const { router, out } = up([1, 2, 3]);
    router.receive(1, nameFlood("alice"), 0, nameFlood("alice").length, T);
    expect(out.events).toEqual(["added alice via 1"]);
    expect(out.take().map((s) => s.link)).toEqual([2, 3]);
    expect(router.table.get(keyOf(nameToIpv6("alice")))?.hops).toEqual([1]);
  });

  test("first arrival wins; later arrivals of the same flood are ranked backups and not re-flooded", () => {
    const { router, out } = up([1, 2, 3]);
    const f = nameFlood("alice");
    router.receive(2, f, 0, f.length, T);
    router.receive(3, f, 0, f.length, T + 1);
    router.receive(1, f, 0, f.length, T + 2);
    router.receive(3, f, 0, f.length, T + 3);
    expect(router.table.get(keyOf(nameToIpv6("alice")))?.hops).toEqual([2, 3, 1]);
    // flooded once, to 1 and 3, and echoed once back to 2 when 3 proved a second path
    expect(out.take().map((s) => s.link)).toEqual([1, 3, 2]);
    expect(router.counters.duplicateFloods).toBe(3);
  });

  test("a second arrival is echoed once to the first-arrival link, which learns us as its backup", () => {
    const { router, out } = up([1, 2, 3]);
    const f = nameFlood("olga");
    router.receive(1, f, 0, f.length, T);
    expect(out.take().map((s) => s.link)).toEqual([2, 3]);
    router.receive(2, f, 0, f.length, T);
    expect(out.take().map((s) => s.link)).toEqual([1]);
    router.receive(3, f, 0, f.length, T);
    router.receive(1, f, 0, f.length, T);
    expect(out.take()).toEqual([]);
    expect(router.counters.floodsEchoed).toBe(1);
  });

  test("our own floods coming back are never echoed", () => {
    const { router, out } = makeRouter(hash);
    router.linkUp(1, T);
    router.linkUp(2, T + 600);
    const own = out.take().filter((s) => s.link === 2)[0]?.bytes;
    if (!own) throw new Error("no flood of ours was sent");
    router.receive(1, own, 0, own.length, T + 600);
    router.receive(2, own, 0, own.length, T + 600);
    expect(out.take()).toEqual([]);
    expect(router.counters.duplicateFloods).toBe(2);
  });

  test("a newer flood replaces the route; an older one does not", () => {
    const { router, out } = up([1, 2]);
    const f1 = nameFlood("bob", T - 1000);
    const f2 = nameFlood("bob", T);
    const f0 = nameFlood("bob", T - 2000);
    router.receive(1, f1, 0, f1.length, T);
    router.receive(2, f2, 0, f2.length, T);
    // link 1 gets ROUTE_HOLD_MS to deliver f2 as well; it does not
    router.tick(T + ROUTE_HOLD_MS + 1);
    router.receive(1, f0, 0, f0.length, T + ROUTE_HOLD_MS + 1);
    const r = router.table.get(keyOf(nameToIpv6("bob")));
    expect(r?.hops).toEqual([2, 1]);
    expect(r?.ts).toBe(T);
    expect(out.events).toEqual(["added bob via 1", "changed bob via 2"]);
  });

  test("a copy of a flood whose route expired never touches the route that took its place", () => {
    // An older flood of alice's, heard late, is remembered for the window
    // while alice's route (not refreshed by it) expires; bob's route then
    // gets the table row alice had. A copy of that old flood must not
    // update bob (the flood filter names routes by row, with a generation).
    const { router, out } = up([1, 2]);
    const newer = nameFlood("alice", T + 50_000);
    const older = nameFlood("alice", T + 10_000);
    const bob = nameFlood("bob", T + 5_000);
    router.receive(1, newer, 0, newer.length, T);
    router.receive(1, older, 0, older.length, T + 100_000);
    router.tick(T + VALIDITY_MS + 1_000);
    expect(out.events).toEqual(["added alice via 1", "removed alice"]);
    router.receive(1, bob, 0, bob.length, T + VALIDITY_MS + 1_000);
    const copies = router.counters.duplicateFloods;
    router.receive(2, older, 0, older.length, T + VALIDITY_MS + 2_000);
    expect(router.counters.duplicateFloods).toBe(copies + 1);
    const r = router.table.get(keyOf(nameToIpv6("bob")));
    expect(r?.hops).toEqual([1]);
    expect(r?.ts).toBe(T + 5_000);
    expect(router.table.get(keyOf(nameToIpv6("alice")))).toBeUndefined();
    expect(out.events).toEqual(["added alice via 1", "removed alice", "added bob via 1"]);
  });

  test("stale floods are dropped and their clock offset reported", () => {
    const { router, out } = up([1, 2]);
    const old = nameFlood("carol", T - VALIDITY_MS - 1);
    const future = nameFlood("carol", T + VALIDITY_MS + 5000);
    router.receive(1, old, 0, old.length, T);
    router.receive(1, future, 0, future.length, T);
    expect(router.counters.stale).toBe(2);
    expect(out.stales).toEqual([-VALIDITY_MS - 1, VALIDITY_MS + 5000]);
    expect(out.take()).toEqual([]);
    expect(router.table.size).toBe(0);
  });

  test("IPv6 and IPv4 floods; wrong body lengths are dropped, not flooded", () => {
    const { router, out } = up([1, 2]);
    const v6 = buildPacket(T, CMD_IPV6, nameToIpv6("x"));
    const v4 = buildPacket(T, CMD_IPV4, Uint8Array.from([10, 1, 2, 3]));
    const bad = buildPacket(T, CMD_IPV4, Uint8Array.from([10, 1, 2]));
    for (const p of [v6, v4, bad]) router.receive(1, p, 0, p.length, T);
    expect(out.events).toEqual(["added ipv6 via 1", "added ipv4 via 1"]);
    expect(out.take().length).toBe(2);
    expect(router.counters.badFloodBody).toBe(1);
  });

  test("a name that is not UTF-8 is flooded on but learns no route (as smolmesh2)", () => {
    const { router, out } = up([1, 2]);
    const p = buildPacket(T, CMD_NAME, Uint8Array.from([0xff, 0xfe]));
    router.receive(1, p, 0, p.length, T);
    expect(router.table.size).toBe(0);
    expect(out.take().length).toBe(1);
  });

  test("packets shorter than a header and unknown commands are counted and dropped", () => {
    const { router, out } = up([1, 2]);
    router.receive(1, new Uint8Array(8), 0, 8, T);
    const u = buildPacket(T, 9, Uint8Array.from([1]));
    router.receive(1, u, 0, u.length, T);
    expect(router.counters.tooShort).toBe(1);
    expect(router.counters.unknownCommand).toBe(1);
    expect(out.take()).toEqual([]);
  });

  test("floods about our own addresses are neither routed nor passed on (router-claims.test.ts)", () => {
    const { router, out } = up([1, 2]);
    const f = nameFlood("self", T + 1);
    router.receive(1, f, 0, f.length, T);
    expect(router.table.size).toBe(0);
    expect(out.take()).toEqual([]);
    expect(router.counters.claimsOwn).toBe(1);
  });
});

describe("origination", () => {
  test("the first tick floods our name and IPv4 addresses; they are marked seen", () => {
    const { router, out } = makeRouter(hash, { ipv4: [[10, 0, 0, 7]] });
    router.linkUp(1, T);
    const next = router.tick(T);
    const sent = out.take();
    expect(sent.map((s) => s.bytes[8])).toEqual([CMD_NAME, CMD_IPV4]);
    expect(next).toBe(T + 7500);
    // our flood echoed back by a smolmesh2 neighbour is a duplicate, no route to ourselves
    const echo = sent[0]?.bytes as Uint8Array;
    router.receive(1, echo, 0, echo.length, T);
    expect(router.counters.duplicateFloods).toBe(1);
    expect(router.table.size).toBe(0);
    expect(router.tick(T + 7000)).toBe(T + 7500);
    expect(out.take()).toEqual([]);
  });

  test("the interval is uniform in 5-10 s", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 0.999999, noNaN: true }), (r) => {
        const { router } = makeRouter(hash, { random: () => r });
        const next = router.tick(T) - T;
        expect(next).toBeGreaterThanOrEqual(5000);
        expect(next).toBeLessThan(10000);
      }),
    );
  });

  test("routes not heard from for the validity window are removed", () => {
    const { router, out } = up([1]);
    const f = nameFlood("dave");
    router.receive(1, f, 0, f.length, T);
    router.tick(T + VALIDITY_MS);
    expect(router.table.size).toBe(1);
    router.tick(T + VALIDITY_MS + 1);
    expect(router.table.size).toBe(0);
    expect(out.events).toEqual(["added dave via 1", "removed dave"]);
  });
});
