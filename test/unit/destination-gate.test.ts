/**
 * Destination limits: the gate's token bucket per link on a hand-driven
 * clock, and the router under a peer that announces new names in a loop:
 * new destinations stop at the cap and the rate, known ones keep updating.
 */
import { describe, expect, test } from "bun:test";
import { DestinationGate } from "../../src/mesh/destination-gate.ts";
import { buildPacket, CMD_NAME } from "../../src/mesh/packet.ts";
import type { Route } from "../../src/mesh/routing-table.ts";
import { loadPacketHash } from "../../src/node/packet-hash.ts";
import { makeRouter } from "../helpers/router-harness.ts";

describe("destination gate", () => {
  test("a burst, then the rate, per link; a closed link's allowance goes with it", () => {
    const g = new DestinationGate({ max: 1000, burst: 3, perSecond: 2 });
    const t = 1_000_000;
    expect([0, 1, 2, 3].map(() => g.admit(1, 0, t))).toEqual([undefined, undefined, undefined, "rate"]);
    expect(g.admit(2, 0, t)).toBeUndefined(); // another link has its own burst
    expect(g.admit(1, 0, t + 499)).toBe("rate");
    expect(g.admit(1, 0, t + 500)).toBeUndefined(); // 2 a second: one token per 500 ms
    expect(g.admit(1, 0, t + 500)).toBe("rate");
    expect([0, 1, 2, 3].map(() => g.admit(1, 0, t + 60_000))).toEqual([undefined, undefined, undefined, "rate"]);
    g.forget(1);
    expect(g.admit(1, 0, t + 60_000)).toBeUndefined();
  });

  test("the cap holds whatever the link's allowance", () => {
    const g = new DestinationGate({ max: 10, burst: 100, perSecond: 100 });
    expect(g.admit(1, 9, 0)).toBeUndefined();
    expect(g.admit(1, 10, 0)).toBe("full");
  });
});

describe("the router under a flood of new names", () => {
  test("a link announcing names in a loop adds at most its burst, then its rate, and never past the cap", async () => {
    const { router, out } = makeRouter(await loadPacketHash(), {
      destinations: { max: 150, burst: 50, perSecond: 10 },
    });
    const T = 1_800_000_000_000;
    const flood = (name: string, ts: number) => buildPacket(ts, CMD_NAME, new TextEncoder().encode(name));
    const receive = (link: number, p: Uint8Array, now: number) => router.receive(link, p, 0, p.length, now);
    router.linkUp(1, T);
    router.linkUp(2, T);
    receive(2, flood("known", T), T);
    let n = 0;
    let now = T;
    for (let second = 0; second < 20; second++, now += 1000) {
      for (let i = 0; i < 100; i++) receive(1, flood(`n-${n++}`, now), now);
    }
    const fromLink1 = [...router.table.values()].filter((r) => r.name?.startsWith("n-")).length;
    // 50 at once, then 10 a second for 10 s, when the cap (150 with "known") stops it
    expect(fromLink1).toBe(149);
    expect(router.table.size).toBe(150);
    const { destinationsRateLimited: rate, destinationsFull: full } = router.counters;
    expect(rate + full).toBe(2000 - 149); // every other one was dropped and counted
    expect(rate).toBeGreaterThan(0);
    expect(full).toBeGreaterThan(0);
    expect(out.limits).toContain("1:rate");
    expect(out.limits).toContain("1:full");
    // a known destination still takes newer floods, from any link
    receive(1, flood("known", now), now);
    expect([...router.table.values()].find((r) => r.name === "known")?.ts).toBe(now);
    // a dropped flood was not remembered as seen: allowed later, it is learned
    router.linkDown(1);
    router.table.remove([...router.table.values()].find((r) => r.name === "n-0") as Route);
    receive(2, flood("n-1999", now - 1000), now);
    expect([...router.table.values()].some((r) => r.name === "n-1999")).toBe(true);
  });

  test("past its allowance a link's new names are dropped undecoded, but its floods for known ones still count", async () => {
    // no name cache: every name flood takes the path that checks the allowance before decoding
    const { router, out } = makeRouter(await loadPacketHash(), {
      destinations: { max: 100, burst: 1, perSecond: 0 },
      nameCacheSize: 0,
    });
    const T = 1_800_000_000_000;
    const receive = (name: string, ts: number) => {
      const p = buildPacket(ts, CMD_NAME, new TextEncoder().encode(name));
      router.receive(1, p, 0, p.length, ts);
    };
    router.linkUp(1, T);
    receive("first", T);
    receive("second", T + 1);
    receive("first", T + 2);
    const names = [...router.table.values()].map((r) => `${r.name}@${r.ts - T}`);
    expect(names).toEqual(["first@2"]);
    expect(router.counters.destinationsRateLimited).toBe(1);
    expect(out.limits).toEqual(["1:rate"]);
  });
});
