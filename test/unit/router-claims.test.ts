/**
 * The router and address claims: a flood for an address this node refuses
 * is neither installed nor forwarded, is counted and reported with the link
 * it came on, and its copies die as duplicates; an address that becomes a
 * link's underlay takes its route away at once.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import ipaddr from "ipaddr.js";
import { nameToIpv6 } from "../../src/addr/node-name.ts";
import { keyOf } from "../../src/mesh/addr-key.ts";
import { ClaimFilter } from "../../src/mesh/claim-filter.ts";
import type { PacketHash } from "../../src/mesh/dup-filter.ts";
import { buildPacket, CMD_IPV4, CMD_IPV6, CMD_NAME } from "../../src/mesh/packet.ts";
import { loadPacketHash } from "../../src/node/packet-hash.ts";
import { ipv4Packet, makeRouter } from "../helpers/router-harness.ts";
import { utf8 } from "../helpers/vectors.ts";

let hash: PacketHash;
beforeAll(async () => {
  hash = await loadPacketHash();
});

const T = 1_800_000_000_000;
const ip = (text: string) => Uint8Array.from(ipaddr.parse(text).toByteArray());
/** A cmd 1 or cmd 2 flood for `text`. */
const claim = (text: string, ts = T) => {
  const a = ip(text);
  return buildPacket(ts, a.length === 4 ? CMD_IPV4 : CMD_IPV6, a);
};

function up(links: number[], opts: Parameters<typeof makeRouter>[1] = {}) {
  const h = makeRouter(hash, opts);
  for (const l of links) h.router.linkUp(l, T);
  h.out.take();
  return h;
}

describe("refused claims", () => {
  test("1.1.1.1 and every special address: not installed, not forwarded, counted, reported with the link", () => {
    const { router, out } = up([1, 2, 3]);
    const refused = [
      "1.1.1.1",
      "127.0.0.1",
      "169.254.1.1",
      "224.0.0.1",
      "255.255.255.255",
      "0.0.0.0",
      "2001:db8::1",
      "::1",
      "fe80::1",
      "ff02::1",
      "::",
      "::ffff:10.0.0.1",
    ];
    for (const a of refused) {
      const f = claim(a);
      router.receive(2, f, 0, f.length, T);
    }
    expect(router.table.size).toBe(0);
    expect(out.take()).toEqual([]);
    expect(out.events).toEqual([]);
    expect(router.counters.claimsOutside).toBe(2);
    expect(router.counters.claimsSpecial).toBe(10);
    expect(router.counters.floodsAccepted).toBe(0);
    expect(out.refusals).toEqual([
      "2 1.1.1.1 outside",
      "2 127.0.0.1 loopback",
      "2 169.254.1.1 link-local",
      "2 224.0.0.1 multicast",
      "2 255.255.255.255 broadcast",
      "2 0.0.0.0 unspecified",
      "2 2001:0db8:0000:0000:0000:0000:0000:0001 outside",
      "2 0000:0000:0000:0000:0000:0000:0000:0001 loopback",
      "2 fe80:0000:0000:0000:0000:0000:0000:0001 link-local",
      "2 ff02:0000:0000:0000:0000:0000:0000:0001 multicast",
      "2 0000:0000:0000:0000:0000:0000:0000:0000 unspecified",
      "2 0000:0000:0000:0000:0000:ffff:0a00:0001 ipv4-mapped",
    ]);
  });

  test("copies of a refused flood from other links die as duplicates: not echoed, not reported again", () => {
    const { router, out } = up([1, 2, 3]);
    const f = claim("1.1.1.1");
    router.receive(1, f, 0, f.length, T);
    router.receive(2, f, 0, f.length, T + 1);
    router.receive(3, f, 0, f.length, T + 2);
    expect(out.take()).toEqual([]);
    expect(router.counters.duplicateFloods).toBe(2);
    expect(router.counters.claimsOutside).toBe(1);
    expect(out.refusals).toEqual(["1 1.1.1.1 outside"]);
  });

  test("private IPv4 and name-derived IPv6 are routed and flooded on as before", () => {
    const { router, out } = up([1, 2]);
    for (const f of [claim("10.1.2.3"), claim("100.64.0.9"), buildPacket(T, CMD_NAME, utf8("alice"))]) {
      router.receive(1, f, 0, f.length, T);
    }
    expect(out.events).toEqual(["added ipv4 via 1", "added ipv4 via 1", "added alice via 1"]);
    expect(out.take().map((s) => s.link)).toEqual([2, 2, 2]);
    expect(out.refusals).toEqual([]);
  });

  test("configured ranges decide: no IPv4 at all, and a name whose address lies outside accept_ipv6", () => {
    const narrow = new ClaimFilter({ ipv4: [], ipv6: ["fd00:0::/32"] });
    const { router, out } = up([1, 2], { claims: narrow });
    const name = ["alice", "bob", "carol", "dave", "erin"].find(
      (n) => nameToIpv6(n)[2] !== 0 || nameToIpv6(n)[3] !== 0,
    );
    expect(name).toBeDefined();
    for (const f of [claim("10.1.2.3"), buildPacket(T, CMD_NAME, utf8(name as string))]) {
      router.receive(1, f, 0, f.length, T);
    }
    expect(router.table.size).toBe(0);
    expect(out.take()).toEqual([]);
    expect(out.refusals.map((r) => r.replace(/ \S+ \(/, " ... ("))).toEqual([
      "1 10.1.2.3 outside",
      `1 ... (${name}) outside`,
    ]);
    // the router adds this node's own addresses to a filter it is given
    expect(narrow.checkAddr(nameToIpv6("self"))).toBe("own");
  });

  test("a flood for one of our own IPv4 addresses is refused as ours", () => {
    const { router, out } = up([1, 2], { ipv4: [[10, 0, 0, 7]] });
    const f = claim("10.0.0.7", T + 1); // not our own flood of T, which is a duplicate
    router.receive(1, f, 0, f.length, T + 1);
    expect(out.take()).toEqual([]);
    expect(router.counters.claimsOwn).toBe(1);
    expect(out.refusals).toEqual(["1 10.0.0.7 own"]);
  });
});

describe("underlay addresses", () => {
  test("a live link's address may not be claimed; once no link uses it, a newer flood may", () => {
    const { router, out } = up([1, 2]);
    router.addUnderlay(ip("10.75.0.2"));
    router.addUnderlay(ip("10.75.0.2")); // a second link to the same host
    const f = claim("10.75.0.2");
    router.receive(1, f, 0, f.length, T);
    expect(out.take()).toEqual([]);
    expect(router.counters.claimsUnderlay).toBe(1);
    router.removeUnderlay(ip("10.75.0.2"));
    const g = claim("10.75.0.2", T + 5000);
    router.receive(1, g, 0, g.length, T + 5000);
    expect(router.counters.claimsUnderlay).toBe(2);
    router.removeUnderlay(ip("10.75.0.2"));
    const h = claim("10.75.0.2", T + 10_000);
    router.receive(1, h, 0, h.length, T + 10_000);
    expect(out.events).toEqual(["added ipv4 via 1"]);
    expect(out.refusals).toEqual(["1 10.75.0.2 underlay", "1 10.75.0.2 underlay"]);
  });

  test("a route held for an address that becomes underlay is withdrawn at once: the link wins", () => {
    const { router, out } = up([1, 2, 3]);
    const f = claim("10.75.0.2");
    router.receive(2, f, 0, f.length, T);
    router.receive(3, f, 0, f.length, T + 1);
    expect(out.events).toEqual(["added ipv4 via 2", "backup ipv4 via 3"]);
    out.take();
    router.addUnderlay(ip("10.75.0.2"));
    expect(out.events.at(-1)).toBe("withdrawn ipv4");
    expect(out.refusals).toEqual(["2 10.75.0.2 underlay withdrawn"]);
    expect(router.counters.routesWithdrawn).toBe(1);
    expect(router.table.get(keyOf(ip("10.75.0.2")))).toBeUndefined();
    // no traffic goes there, copies of the old flood bring nothing back, a new link is not told of it
    expect(router.fromLocal(ipv4Packet([10, 75, 0, 2]), 0, 20, T + 2)).toBe("no-route");
    router.receive(1, f, 0, f.length, T + 3);
    expect(router.table.size).toBe(0);
    router.linkUp(4, T + 4);
    expect(out.take().filter((s) => s.link === 4 && s.bytes[8] === CMD_IPV4)).toEqual([]);
    // nor a newer flood while the link lives
    const g = claim("10.75.0.2", T + 5000);
    router.receive(2, g, 0, g.length, T + 5000);
    expect(router.table.size).toBe(0);
    expect(router.counters.claimsUnderlay).toBe(1);
    // a second user of an address already protected withdraws nothing more
    router.addUnderlay(ip("10.75.0.2"));
    expect(router.counters.routesWithdrawn).toBe(1);
  });

  test("an underlay address with no route is simply protected", () => {
    const { router, out } = up([1]);
    router.addUnderlay(ip("fd00::75"));
    expect(out.events).toEqual([]);
    expect(router.claims.checkAddr(ip("fd00::75"))).toBe("underlay");
  });
});
