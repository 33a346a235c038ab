/**
 * The router's data path: delivery, forwarding on the route, duplicates,
 * bounces and loop cuts, stale routes, packets from TUN (with and without
 * headroom), and random bytes from a peer.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { nameToIpv6 } from "../../src/addr/node-name.ts";
import { keyOf } from "../../src/mesh/addr-key.ts";
import type { PacketHash } from "../../src/mesh/dup-filter.ts";
import { readTs } from "../../src/mesh/packet.ts";
import { ROUTE_STALE_MS } from "../../src/mesh/router.ts";
import { loadPacketHash } from "../../src/node/packet-hash.ts";
import { dataPacket, ipv4Packet, ipv6Packet, makeRouter, nameFlood, T, withLinks } from "../helpers/router-harness.ts";

let hash: PacketHash;
beforeAll(async () => {
  hash = await loadPacketHash();
});

const up = (links: number[]) => withLinks(hash, links);

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
