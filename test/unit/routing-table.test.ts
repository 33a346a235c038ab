/**
 * The routing table against a model, over random sequences of flood
 * arrivals, link drops and settle ticks, with and without a route hold.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { AddrKey } from "../../src/mesh/addr-key.ts";
import { type Route, RoutingTable } from "../../src/mesh/routing-table.ts";

const KEY = "k" as unknown as AddrKey;
const ADDR = new Uint8Array(16);
const FLOOD = new Uint8Array(24);

type Step =
  | { op: "flood"; ts: number; link: number; dt: number }
  | { op: "drop"; link: number; dt: number }
  | { op: "settle"; dt: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({
      op: fc.constant("flood" as const),
      ts: fc.integer({ min: 1, max: 4 }),
      link: fc.integer({ min: 1, max: 4 }),
      dt: fc.integer({ min: 0, max: 3 }),
    }),
    weight: 6,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("drop" as const),
      link: fc.integer({ min: 1, max: 4 }),
      dt: fc.integer({ min: 0, max: 3 }),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ op: fc.constant("settle" as const), dt: fc.integer({ min: 0, max: 3 }) }), weight: 2 },
);

describe("routing table", () => {
  for (const hold of [0, 2]) {
    test(`hold ${hold}: hops are exactly the live links that delivered a flood, the newest ones first`, () => {
      fc.assert(
        fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
          const t = new RoutingTable(undefined, hold);
          let now = 1;
          // model: per live link, the newest timestamp it delivered
          const delivered = new Map<number, number>();
          let newest = 0;
          /** The newest flood's first arrival, while the primary that carried the one before has not delivered it. */
          let heldSince = 0;
          for (const s of steps) {
            now += s.dt;
            if (s.op === "flood") {
              const before = t.get(KEY);
              const primary = before?.hops[0];
              const primaryFresh = before !== undefined && before.fresh > 0;
              t.learn(KEY, ADDR, "ipv6", undefined, s.ts, s.link, now, FLOOD, 0, FLOOD.length);
              // an older flood than the route's newest teaches nothing
              if (s.ts >= newest) delivered.set(s.link, s.ts);
              if (s.ts > newest) {
                newest = s.ts;
                heldSince =
                  hold > 0 && primary !== undefined && primary !== s.link && primaryFresh && heldSince === 0 ? now : 0;
              } else if (s.ts === newest && heldSince && s.link === primary) heldSince = 0;
            } else if (s.op === "drop") {
              const r = t.get(KEY);
              if (r?.hops[0] === s.link) heldSince = 0;
              t.dropLink(s.link);
              delivered.delete(s.link);
            } else {
              t.settle(now);
              if (heldSince && now - heldSince > hold) heldSince = 0;
            }
            const r = t.get(KEY);
            if (!r) {
              expect(delivered.size).toBe(0);
              continue;
            }
            expect(r.ts).toBe(newest);
            expect(new Set(r.hops).size).toBe(r.hops.length);
            expect(new Set(r.hops)).toEqual(new Set(delivered.keys()));
            // the newest flood's carriers come first; a held primary counts among them
            const freshSet = new Set(r.hops.slice(0, r.fresh));
            const carriers = [...delivered].filter(([, ts]) => ts === newest).map(([l]) => l);
            const expected = new Set(carriers);
            if (r.pendingSince) expected.add(r.hops[0] as number);
            expect(freshSet).toEqual(expected);
            expect(Boolean(r.pendingSince)).toBe(heldSince !== 0);
            if (hold === 0) expect(r.pendingSince ?? 0).toBe(0);
          }
          // once every hold has run out, no route is held
          t.settle(now + hold + 1);
          const r = t.get(KEY);
          if (r) expect(r.pendingSince ?? 0).toBe(0);
          expect(t.nextSettle).toBe(Number.POSITIVE_INFINITY);
        }),
        { numRuns: 2000 },
      );
    });
  }
});

describe("expiry", () => {
  test("expire removes exactly the routes not refreshed within the window, even when the clock goes back", () => {
    const W = 10;
    const op = fc.record({
      key: fc.integer({ min: 1, max: 5 }),
      expire: fc.boolean(),
      dt: fc.integer({ min: -3, max: 6 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const t = new RoutingTable(undefined, 0);
        const heard = new Map<number, number>();
        const left: [Route, number][] = [];
        let now = 100;
        let ts = 0;
        for (const o of ops) {
          now += o.dt;
          if (o.expire) {
            const removed = t.expire(now, W);
            const gone = removed.map((r) => r.key);
            const want = [...heard].filter(([, h]) => now - h > W).map(([k]) => k);
            for (const r of removed) {
              expect(r.removed).toBe(true);
              left.push([r, heard.get(r.key as unknown as number) as number]);
            }
            for (const k of want) {
              heard.delete(k);
            }
            expect(new Set(gone)).toEqual(new Set(want as unknown as AddrKey[]));
          } else {
            ts++;
            t.learn(o.key as unknown as AddrKey, ADDR, "ipv6", undefined, ts, 1, now, FLOOD, 0, FLOOD.length);
            heard.set(o.key, now);
          }
          expect(t.size).toBe(heard.size);
          // rows reused by new routes never show through another route, and a
          // removed route keeps what it last held (its row went to the next new route)
          for (const [k, h] of heard) expect(t.get(k as unknown as AddrKey)?.heardAt).toBe(h);
          for (const [r, h] of left) {
            expect(r.heardAt).toBe(h);
            expect(r.hops).toEqual([1]);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("cuts and demotions (loops seen in data)", () => {
  test("among floods, drops and settles they keep the hops sound and release a held primary", () => {
    const op = fc.record({
      op: fc.constantFrom("flood", "flood", "flood", "drop", "settle", "cut", "demote"),
      ts: fc.integer({ min: 1, max: 4 }),
      link: fc.integer({ min: 1, max: 4 }),
      dt: fc.integer({ min: 0, max: 3 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 50 }), (ops) => {
        const t = new RoutingTable(undefined, 2);
        const live = new Set<number>();
        let now = 1;
        for (const o of ops) {
          now += o.dt;
          const r = t.get(KEY);
          if (o.op === "flood") {
            t.learn(KEY, ADDR, "ipv6", undefined, o.ts, o.link, now, FLOOD, 0, FLOOD.length);
            live.add(o.link);
          } else if (o.op === "drop") {
            t.dropLink(o.link);
            live.delete(o.link);
          } else if (o.op === "settle") {
            t.settle(now);
          } else if (r) {
            const wasPrimary = r.hops[0] === o.link;
            const at = o.op === "cut" ? t.cutHop(r, o.link) : t.demoteHop(r, o.link);
            // a primary that moves away is not held any more
            if (wasPrimary && at === 0) expect(r.pendingSince).toBe(0);
          }
          const now2 = t.get(KEY);
          if (!now2) continue;
          // every hop a real, distinct, live link; the fresh count within bounds
          expect(now2.hops.every((h) => Number.isInteger(h) && live.has(h))).toBe(true);
          expect(new Set(now2.hops).size).toBe(now2.hops.length);
          expect(Object.keys(now2.hops).length).toBe(now2.hops.length);
          expect(now2.fresh).toBeGreaterThanOrEqual(0);
          expect(now2.fresh).toBeLessThanOrEqual(now2.hops.length);
          // a held route is waiting on a settle, and only then
          expect(t.nextSettle === Number.POSITIVE_INFINITY).toBe(now2.pendingSince === 0);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
