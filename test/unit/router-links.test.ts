/**
 * The router and its links: a link that drops leaves every route at once,
 * a link that comes up learns the whole mesh and gets our fresh floods,
 * and backups are reported as they are learned.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { nameToIpv6 } from "../../src/addr/node-name.ts";
import type { PacketHash } from "../../src/mesh/dup-filter.ts";
import { CMD_IPV4, CMD_NAME, readTs } from "../../src/mesh/packet.ts";
import { loadPacketHash } from "../../src/node/packet-hash.ts";
import { dataPacket, ipv6Packet, makeRouter, nameFlood, T, withLinks } from "../helpers/router-harness.ts";

let hash: PacketHash;
beforeAll(async () => {
  hash = await loadPacketHash();
});

const up = (links: number[]) => withLinks(hash, links);

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
