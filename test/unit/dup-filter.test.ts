/** Duplicate filters against a slow, obvious model, and their bounds. */
import { expect, test } from "bun:test";
import fc from "fast-check";
import { DataFilter, FloodFilter } from "../../src/mesh/dup-filter.ts";

test("flood filter: remembers for the window, forgets in arrival order, never holds more than its cap", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 30 })), { maxLength: 200 }),
      fc.integer({ min: 1, max: 16 }),
      (ops, cap) => {
        const f = new FloodFilter(100, cap);
        const model: { h: number; until: number }[] = [];
        let now = 0;
        for (const [h, dt] of ops) {
          now += dt;
          f.expire(now);
          while (model.length && (model[0] as { until: number }).until <= now) model.shift();
          if (!model.some((m) => m.h === h)) {
            if (model.length === cap) model.shift();
            model.push({ h, until: now + 100 });
          }
          f.add(h, now, 1);
          expect(f.size).toBe(model.length);
          for (let x = 0; x <= 40; x++) expect(f.has(x)).toBe(model.some((m) => m.h === x));
        }
      },
    ),
  );
});

test("flood filter: finds and forgets full-width hashes, also when they crowd one probe run", () => {
  // the index is open addressing: removals shift later entries back, and
  // hashes differing only in high bits (or in sequence) share or neighbour
  // their home slots
  const pool = fc.oneof(
    fc.integer({ min: 0, max: 2 ** 53 - 1 }),
    fc.integer({ min: 0, max: 63 }).map((i) => i * 2 ** 30),
    fc.integer({ min: 0, max: 63 }).map((i) => 2 ** 52 + i),
  );
  fc.assert(
    fc.property(
      fc.array(fc.tuple(pool, fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 4 })), { maxLength: 600 }),
      fc.integer({ min: 1, max: 700 }),
      (ops, cap) => {
        const f = new FloodFilter(100, cap);
        const model: { h: number; until: number; ref: number }[] = [];
        let now = 0;
        for (const [h, dt, ref] of ops) {
          now += dt;
          f.expire(now);
          while (model.length && (model[0] as { until: number }).until <= now) model.shift();
          if (!model.some((m) => m.h === h)) {
            if (model.length === cap) model.shift();
            model.push({ h, until: now + 100, ref });
          }
          f.add(h, now, 1, ref);
          expect(f.size).toBe(model.length);
          expect(f.has(h)).toBe(true); // also when this add evicted the oldest from its probe run
        }
        for (const [h] of ops) {
          const m = model.find((x) => x.h === h);
          const slot = f.find(h);
          expect(slot >= 0).toBe(m !== undefined);
          if (m) expect(f.tagAt(slot)).toBe(m.ref);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test("flood filter: its ring grows past its first size and keeps arrival order", () => {
  const f = new FloodFilter(1000, 1000);
  for (let i = 0; i < 3000; i++) {
    f.add(i, i, 1);
    // found where its probe looks, also when this add grew the table or evicted the oldest
    if (!f.has(i)) throw new Error(`flood ${i} not found right after its add`);
  }
  expect(f.size).toBe(1000);
  for (const i of [0, 1999, 2000, 2999]) expect(f.has(i)).toBe(i >= 2000);
  f.expire(2000 + 1000 + 500); // floods added at 2000..2500 have expired
  expect(f.size).toBe(499);
  expect([f.has(2500), f.has(2501)]).toEqual([false, true]);
});

test("flood filter: a flood that evicts the oldest from its own probe run is still found", () => {
  // With room for one flood, the second evicts the first. Among 5,000
  // second hashes, about one in 512 starts its probe where the first sits,
  // so the position it would have taken moves up by one as the first goes.
  for (let b = 1; b <= 5000; b++) {
    const f = new FloodFilter(1000, 1);
    f.add(0, 0, 1);
    f.add(b, 0, 1);
    if (!f.has(b) || f.has(0)) throw new Error(`after evicting flood 0, flood ${b} is not where its probe looks`);
  }
});

/**
 * Reads and writes of a full filter's arrays per add, averaged over 1,000
 * adds after `before` adds: a count of the work, not a timing (bench:micro
 * times it).
 */
function touchesPerAdd(cap: number, before: number): number {
  const f = new FloodFilter(1e12, cap);
  for (let i = 0; i < before; i++) f.add(i, 0, 1);
  let touches = 0;
  const counted = (a: Float64Array) =>
    new Proxy(a, {
      get(t, k) {
        if (typeof k === "string" && /^\d+$/.test(k)) touches++;
        const v = Reflect.get(t, k, t);
        return typeof v === "function" ? v.bind(t) : v;
      },
      set(t, k, v) {
        if (typeof k === "string" && /^\d+$/.test(k)) touches++;
        return Reflect.set(t, k, v, t);
      },
    });
  const inside = f as unknown as { table: Float64Array; ring: Float64Array };
  inside.table = counted(inside.table);
  inside.ring = counted(inside.ring);
  for (let i = before; i < before + 1000; i++) f.add(i, 0, 1);
  expect(f.size).toBe(cap);
  expect(f.evicted).toBe(before + 1000 - cap);
  return touches / 1000;
}

test("flood filter: a full filter does the same work per add, whatever its size and however much it forgot", () => {
  const small = touchesPerAdd(1024, 1024);
  const forgotLots = touchesPerAdd(1024, 200_000);
  const large = touchesPerAdd(65536, 65536);
  console.log(
    `array reads and writes per add into a full filter: ${small} (1,024), ${forgotLots} (1,024 after 200k), ${large} (65,536)`,
  );
  // evicting the oldest and adding is a handful of probes, not a scan
  expect(small).toBeLessThan(64);
  expect(forgotLots).toBeLessThan(small * 2);
  expect(large).toBeLessThan(small * 2);
});

test("data filter: the last `capacity` packets, with the link each first came on", () => {
  const d = new DataFilter(3);
  expect(d.checkAndAdd(1, 7)).toBeUndefined();
  expect(d.checkAndAdd(1, 8)).toBe(7);
  d.checkAndAdd(2, 0);
  d.checkAndAdd(3, 0);
  d.checkAndAdd(4, 0); // pushes 1 out
  expect(d.checkAndAdd(1, 9)).toBeUndefined();
  expect(d.size).toBe(3);
});

test("data filter: grows from small to its capacity without losing order", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 1000 }), (cap, n) => {
      const d = new DataFilter(cap);
      for (let i = 0; i < n; i++) expect(d.checkAndAdd(i, 0)).toBeUndefined();
      expect(d.size).toBe(Math.min(cap, n));
      for (let i = Math.max(0, n - cap); i < n; i++) expect(d.checkAndAdd(i, 1)).toBe(0);
      if (n > cap) expect(d.checkAndAdd(n - cap - 1, 1)).toBeUndefined();
    }),
    { numRuns: 60 },
  );
});

test("the data filter remembers where each packet was sent, through growth and eviction", () => {
  const d = new DataFilter(256);
  for (let i = 0; i < 300; i++) {
    expect(d.checkAndAdd(i, i % 5)).toBeUndefined();
    d.markSent(i % 7);
  }
  // 0..43 were pushed out; the rest keep their first link and their sent link
  for (const i of [44, 100, 255, 299]) {
    expect(d.checkAndAdd(i, 9)).toBe(i % 5);
    expect(d.lastSent()).toBe(i % 7);
  }
  expect(d.checkAndAdd(10, 9)).toBeUndefined();
  expect(d.lastSent()).toBe(-1);
});

test("data filter: the same answers as a slow model (a list of the last `capacity` packets), whatever the hashes", () => {
  const hashes = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 100 }),
      fc.array(fc.tuple(hashes, fc.integer({ min: -1, max: 9 })), { minLength: 100, maxLength: 600, size: "max" }),
      (cap, ops) => {
        const d = new DataFilter(cap);
        const model: [number, number][] = [];
        for (const [h, link] of ops) {
          const seen = model.find(([mh]) => mh === h);
          expect(d.checkAndAdd(h, link)).toBe(seen?.[1]);
          if (!seen) {
            model.push([h, link]);
            if (model.length > cap) model.shift();
          }
          expect(d.size).toBe(model.length);
        }
      },
    ),
    { numRuns: 100 },
  );
});
