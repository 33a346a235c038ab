/**
 * The router state machine against a table of scenarios: no sockets, no
 * clock, the real packet hash and duplicate filter.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { nameToIpv6 } from "../../src/addr/node-name.ts";
import { keyOf } from "../../src/mesh/addr-key.ts";
import type { PacketHash } from "../../src/mesh/dup-filter.ts";
import { NameCache } from "../../src/mesh/name-cache.ts";
import { buildPacket, CMD_IPV4, CMD_IPV6, CMD_NAME, readTs, VALIDITY_MS } from "../../src/mesh/packet.ts";
import { ROUTE_HOLD_MS, ROUTE_STALE_MS } from "../../src/mesh/router.ts";
import { loadPacketHash } from "../../src/node/packet-hash.ts";
import { dataPacket, ipv4Packet, ipv6Packet, makeRouter } from "../helpers/router-harness.ts";
import { utf8 } from "../helpers/vectors.ts";

let hash: PacketHash;
beforeAll(async () => {
  hash = await loadPacketHash();
});

const T = 1_800_000_000_000; // a fixed "now"
const nameFlood = (name: string, ts = T) => buildPacket(ts, CMD_NAME, utf8(name));

function up(links: number[]) {
  const h = makeRouter(hash);
  for (const l of links) h.router.linkUp(l, T);
  h.out.take();
  return h;
}

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

describe("links", () => {
  test("a link that drops leaves every route at once; traffic moves to the backup", () => {
    const { router, out } = up([1, 2, 3]);
    const f = nameFlood("erin");
    router.receive(1, f, 0, f.length, T);
    router.receive(2, f, 0, f.length, T);
    out.take();
    router.linkDown(1);
    expect(out.events.at(-1)).toBe("changed erin via 2");
    const d = dataPacket(T, ipv6Packet(nameToIpv6("erin")));
    router.receive(3, d, 0, d.length, T);
    expect(out.take().map((s) => [s.link, s.data])).toEqual([[2, true]]);
  });

  test("with every hop gone, data is bounced to its sender until a flood arrives again", () => {
    const { router, out } = up([1, 2]);
    const f = nameFlood("fay");
    router.receive(1, f, 0, f.length, T);
    router.linkDown(1);
    out.take();
    const d = dataPacket(T, ipv6Packet(nameToIpv6("fay")));
    router.receive(2, d, 0, d.length, T);
    expect(out.take().map((s) => s.link)).toEqual([2]);
    expect(router.counters.dataBounced).toBe(1);
    router.linkUp(3, T);
    router.receive(3, f, 0, f.length, T + 5); // replayed by a new neighbour: same flood
    expect(out.events.at(-1)).toBe("changed fay via 3");
  });

  test("a link that comes up gets the newest flood of every known origin, and fresh floods of ours go everywhere", () => {
    const { router, out } = makeRouter(hash, { ipv4: [[10, 0, 0, 7]] });
    router.linkUp(1, T);
    expect(out.take().map((s) => [s.link, s.bytes[8]])).toEqual([
      [1, CMD_NAME],
      [1, CMD_IPV4],
    ]);
    const g = nameFlood("gus");
    const h = nameFlood("hal");
    router.receive(1, g, 0, g.length, T);
    router.receive(1, h, 0, h.length, T);
    out.take();
    router.linkUp(2, T + 1000);
    const sent = out.take();
    // replays of gus and hal to the new link, then our fresh floods on both links
    expect(sent.map((s) => s.link)).toEqual([2, 2, 1, 2, 1, 2]);
    expect(sent.slice(2).every((s) => readTs(s.bytes, 0) === T + 1000)).toBe(true);
    expect(router.counters.replayed).toBe(2);
  });

  test("links coming up together share one fresh flood", () => {
    const { router, out } = makeRouter(hash);
    router.linkUp(1, T);
    router.linkUp(2, T + 10);
    router.linkUp(3, T + 20);
    const sent = out.take();
    // link 1 got a fresh flood; 2 and 3 got a copy of it; one new flood follows at T + 500
    expect(sent.map((s) => [s.link, readTs(s.bytes, 0)])).toEqual([
      [1, T],
      [2, T],
      [3, T],
    ]);
    expect(router.tick(T + 499)).toBe(T + 500);
    expect(out.take()).toEqual([]);
    router.tick(T + 500);
    expect(out.take().map((s) => s.link)).toEqual([1, 2, 3]);
  });

  test("backups are reported as they are learned", () => {
    const { router, out } = up([1, 2]);
    const f = nameFlood("bea");
    router.receive(1, f, 0, f.length, T);
    router.receive(2, f, 0, f.length, T);
    expect(out.events).toEqual(["added bea via 1", "backup bea via 2"]);
  });
});

describe("data", () => {
  test("data for us is delivered; data for others is forwarded on the route", () => {
    const { router, out } = makeRouter(hash, { name: "self", ipv4: [[10, 0, 0, 7]] });
    router.linkUp(1, T);
    router.linkUp(2, T);
    const f = nameFlood("ivy");
    router.receive(2, f, 0, f.length, T);
    out.take();
    const mine = dataPacket(T, ipv4Packet([10, 0, 0, 7], 5));
    const theirs = dataPacket(T, ipv6Packet(nameToIpv6("ivy"), 3));
    router.receive(1, mine, 0, mine.length, T);
    router.receive(1, theirs, 0, theirs.length, T);
    expect(out.delivered.map((p) => p.length)).toEqual([25]);
    expect(out.take().map((s) => s.link)).toEqual([2]);
  });

  test("a duplicate data packet from the same neighbour is dropped and the route kept", () => {
    const { router, out } = up([1, 2]);
    const f = nameFlood("jo");
    router.receive(2, f, 0, f.length, T);
    out.take();
    const d = dataPacket(T, ipv6Packet(nameToIpv6("jo")));
    router.receive(1, d, 0, d.length, T);
    router.receive(1, d, 0, d.length, T);
    expect(out.take().length).toBe(1);
    expect(router.counters.duplicateData).toBe(1);
    expect(router.counters.loopsCut).toBe(0);
    expect(router.table.get(keyOf(nameToIpv6("jo")))?.hops).toEqual([2]);
  });

  test("a 9-byte data packet (smolmesh2 panics on it) and a truncated IP header are dropped and counted", () => {
    const { router, out } = up([1, 2]);
    const nine = dataPacket(T, new Uint8Array(0));
    const short = dataPacket(T, ipv6Packet(nameToIpv6("x")).subarray(0, 30));
    router.receive(1, nine, 0, nine.length, T);
    router.receive(1, short, 0, short.length, T);
    expect(router.counters.dataShortIp).toBe(2);
    expect(out.take()).toEqual([]);
  });

  test("a packet whose only way on is back where it came from is bounced there once", () => {
    const { router, out } = up([1, 2]);
    const f = nameFlood("kim");
    router.receive(1, f, 0, f.length, T);
    out.take();
    const d = dataPacket(T, ipv6Packet(nameToIpv6("kim")));
    router.receive(1, d, 0, d.length, T);
    expect(out.take().map((s) => [s.link, s.data])).toEqual([[1, true]]);
    expect(router.counters.dataBounced).toBe(1);
    expect(router.counters.dataNoRoute).toBe(0);
  });

  test("a data packet that comes back cuts the hop it was sent to: the next one takes the backup", () => {
    const { router, out } = up([1, 2, 3]);
    const f = nameFlood("lou");
    router.receive(1, f, 0, f.length, T);
    router.receive(2, f, 0, f.length, T);
    out.take();
    const d1 = dataPacket(T, ipv6Packet(nameToIpv6("lou"), 1));
    router.receive(3, d1, 0, d1.length, T);
    expect(out.take().map((s) => s.link)).toEqual([1]);
    router.receive(2, d1, 0, d1.length, T + 1); // it came back: 1 leads in a circle
    expect(out.take()).toEqual([]);
    expect(router.counters.loopsCut).toBe(1);
    expect(router.table.get(keyOf(nameToIpv6("lou")))?.hops).toEqual([2]);
    const d2 = dataPacket(T, ipv6Packet(nameToIpv6("lou"), 2));
    router.receive(3, d2, 0, d2.length, T + 2);
    expect(out.take().map((s) => s.link)).toEqual([2]);
  });

  test("the hop cut is the one the packet took (not the primary), and only once however many copies come back", () => {
    const { router, out } = up([1, 2, 3, 4]);
    const f = nameFlood("max");
    for (const l of [1, 2, 3]) router.receive(l, f, 0, f.length, T);
    out.take();
    const key = keyOf(nameToIpv6("max"));
    expect(router.table.get(key)?.hops).toEqual([1, 2, 3]);
    // from 4 the packet takes the primary, 1; it comes back on 2 and on 3
    const d = dataPacket(T, ipv6Packet(nameToIpv6("max"), 1));
    router.receive(4, d, 0, d.length, T);
    expect(out.take().map((s) => s.link)).toEqual([1]);
    router.receive(2, d, 0, d.length, T + 1);
    router.receive(3, d, 0, d.length, T + 2);
    expect(router.counters.loopsCut).toBe(1);
    expect(router.table.get(key)?.hops).toEqual([2, 3]);
    // from 2, a packet cannot go back to 2: it takes 3, which loops; 3 is
    // cut and 2, the good hop that happens to be primary, stays
    const e = dataPacket(T, ipv6Packet(nameToIpv6("max"), 2));
    router.receive(2, e, 0, e.length, T + 3);
    expect(out.take().map((s) => s.link)).toEqual([3]);
    router.receive(4, e, 0, e.length, T + 4);
    expect(router.counters.loopsCut).toBe(2);
    expect(router.table.get(key)?.hops).toEqual([2]);
  });

  test("a neighbour that sends us traffic for a destination goes to the end of that route's hops", () => {
    const { router, out } = up([1, 2, 3]);
    const f = nameFlood("ned");
    for (const l of [1, 2, 3]) router.receive(l, f, 0, f.length, T);
    out.take();
    out.events.length = 0;
    const key = keyOf(nameToIpv6("ned"));
    // 1 routes ned's traffic through us, so 1 is no way to ned for anyone
    const d = dataPacket(T, ipv6Packet(nameToIpv6("ned"), 1));
    router.receive(1, d, 0, d.length, T);
    expect(router.table.get(key)?.hops).toEqual([2, 3, 1]);
    expect(out.events).toEqual(["changed ned via 2"]);
    expect(out.take().map((s) => s.link)).toEqual([2]);
    // traffic from a link that is not a hop changes nothing
    const e = dataPacket(T, ipv6Packet(nameToIpv6("ned"), 2));
    router.receive(4, e, 0, e.length, T);
    expect(router.table.get(key)?.hops).toEqual([2, 3, 1]);
  });

  test("a route whose origin stopped flooding carries no traffic after ROUTE_STALE_MS, and works again with its next flood", () => {
    const { router, out } = up([1, 2]);
    const f = nameFlood("ona");
    router.receive(1, f, 0, f.length, T);
    out.take();
    const ip = ipv6Packet(nameToIpv6("ona"), 1);
    expect(router.fromLocal(ip, 0, ip.length, T + ROUTE_STALE_MS)).toBe("sent");
    expect(router.fromLocal(ip, 0, ip.length, T + ROUTE_STALE_MS + 1)).toBe("no-route");
    // a packet in transit for it is dropped, not fed on into the mesh
    const d = dataPacket(T + ROUTE_STALE_MS + 1, ipv6Packet(nameToIpv6("ona"), 2));
    out.take();
    router.receive(2, d, 0, d.length, T + ROUTE_STALE_MS + 1);
    expect(out.take()).toEqual([]);
    expect(router.counters.dataNoRoute).toBe(2);
    // the route is still known (it goes away after the validity window) and its next flood revives it
    expect(router.table.get(keyOf(nameToIpv6("ona")))?.hops).toEqual([1]);
    const g = nameFlood("ona", T + ROUTE_STALE_MS + 5);
    router.receive(1, g, 0, g.length, T + ROUTE_STALE_MS + 5);
    out.take();
    expect(router.fromLocal(ip, 0, ip.length, T + ROUTE_STALE_MS + 6)).toBe("sent");
    expect(out.take().map((x) => x.link)).toEqual([1]);
  });

  test("a relay without TUN counts data addressed to itself", () => {
    const { router, out } = makeRouter(hash, { hasTun: false });
    router.linkUp(1, T);
    const d = dataPacket(T, ipv6Packet(nameToIpv6("self")));
    router.receive(1, d, 0, d.length, T);
    expect(out.delivered).toEqual([]);
    expect(router.counters.dataNotForUs).toBe(1);
  });

  test("a full link queue drops the packet and counts it", () => {
    const { router, out } = up([1, 2]);
    const f = nameFlood("lee");
    router.receive(2, f, 0, f.length, T);
    out.full.add(2);
    const d = dataPacket(T, ipv6Packet(nameToIpv6("lee")));
    router.receive(1, d, 0, d.length, T);
    expect(router.counters.sendDropped).toBe(1);
  });

  test("local packets from TUN are wrapped as cmd 3 and routed", () => {
    const { router, out } = up([1]);
    const f = nameFlood("max");
    router.receive(1, f, 0, f.length, T);
    out.take();
    const ip = ipv6Packet(nameToIpv6("max"), 10);
    expect(router.fromLocal(ip, 0, ip.length, T)).toBe("sent");
    const [s] = out.take();
    expect(s?.bytes.length).toBe(9 + 50);
    expect(s?.bytes[8]).toBe(3);
    expect(router.fromLocal(ipv6Packet(nameToIpv6("nobody")), 0, 40, T)).toBe("no-route");
    const multicast = ipv6Packet(Uint8Array.from([0xff, 2, ...new Array(13).fill(0), 2]));
    expect(router.fromLocal(multicast, 0, 40, T)).toBe("unroutable");
    const linkLocal = ipv6Packet(Uint8Array.from([0xfe, 0x80, ...new Array(14).fill(1)]));
    expect(router.fromLocal(linkLocal, 0, 40, T)).toBe("unroutable");
    expect(router.fromLocal(ipv4Packet([224, 0, 0, 1]), 0, 20, T)).toBe("unroutable");
    out.full.add(1);
    expect(router.fromLocal(ip, 0, ip.length, T)).toBe("dropped");
  });

  test("with headroom, the mesh header is written in front of the packet in place (same bytes on the wire)", () => {
    const { router, out } = up([1]);
    const f = nameFlood("max");
    router.receive(1, f, 0, f.length, T);
    out.take();
    const ip = ipv6Packet(nameToIpv6("max"), 10);
    expect(router.fromLocal(ip, 0, ip.length, T)).toBe("sent");
    const copied = out.take()[0]?.bytes;
    const room = new Uint8Array(9 + ip.length);
    room.set(ip, 9);
    expect(router.fromLocal(room, 9, ip.length, T + 1, true)).toBe("sent");
    const inPlace = out.take()[0]?.bytes;
    if (!inPlace || !copied) throw new Error("nothing sent");
    expect(Buffer.from(inPlace.subarray(8)).equals(Buffer.from(copied.subarray(8)))).toBe(true);
    expect(readTs(inPlace, 0)).toBe(T + 1);
    expect(Buffer.from(room.subarray(0, 9)).equals(Buffer.from(inPlace.subarray(0, 9)))).toBe(true);
  });

  test("random bytes from a peer never throw", () => {
    const { router } = up([1, 2]);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.integer({ min: 0, max: 4 }), (b, cmd) => {
        if (b.length > 8) {
          b.set([0, 0, 0, 0, 0, 0, 0, 0], 0);
          b[8] = cmd;
        }
        router.receive(1, b, 0, b.length, 0);
      }),
    );
  });
});

describe("name cache", () => {
  const info = (name: string) => {
    const ipv6 = nameToIpv6(name);
    return { name, utf8: utf8(name), ipv6, key: keyOf(ipv6) };
  };

  test("finds a name by its exact bytes, anywhere in a buffer", () => {
    const c = new NameCache(10);
    const alice = info("alice");
    c.add(alice);
    const buf = new Uint8Array([9, 9, ...utf8("alice"), 9]);
    expect(c.find(buf, 2, 5)).toBe(alice);
    expect(c.find(buf, 2, 4)).toBeUndefined();
    expect(c.find(buf, 1, 5)).toBeUndefined();
    expect(c.find(utf8("alicf"), 0, 5)).toBeUndefined();
  });

  test("starts over when full; size 0 caches nothing", () => {
    const c = new NameCache(2);
    for (const n of ["a", "b", "c"]) c.add(info(n));
    expect(c.size).toBe(1);
    expect(c.find(utf8("c"), 0, 1)?.name).toBe("c");
    const none = new NameCache(0);
    none.add(info("a"));
    expect(none.find(utf8("a"), 0, 1)).toBeUndefined();
  });
});
