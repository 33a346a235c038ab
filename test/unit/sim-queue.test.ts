/** The simulator's bucketed event queue pops in exactly (time, insertion) order, like a plain sort. */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { EventQueue, type SimEvent } from "../sim/event-queue.ts";

type Op = { push: true; dt: number } | { push: false; peek: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    // delays from "now" to well past the 4,096 ms ring, with many exact ties
    arbitrary: fc.record({
      push: fc.constant(true as const),
      dt: fc.oneof(
        fc.constantFrom(0, 0.5, 1, 3, 10, 4090, 4095, 4096, 4097, 4100, 10_000),
        fc.double({ min: 0, max: 20_000, noNaN: true }),
      ),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ push: fc.constant(false as const), peek: fc.boolean() }), weight: 2 },
);

describe("simulator event queue", () => {
  test("pops in (time, insertion) order, events never earlier than the last popped", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const q = new EventQueue();
        const model: { t: number; id: number }[] = [];
        let now = 0;
        let id = 0;
        const check = (e: SimEvent | undefined) => {
          model.sort((a, b) => a.t - b.t || a.id - b.id);
          const want = model.shift();
          expect(e?.node).toBe(want?.id as number);
          if (e) {
            expect(e.t).toBe(want?.t as number);
            now = e.t;
            q.recycle(e);
          }
        };
        for (const o of ops) {
          if (o.push) {
            const e = q.take();
            e.t = now + o.dt;
            e.node = id;
            model.push({ t: e.t, id: id++ });
            q.push(e);
          } else if (o.peek) {
            // looking ahead must not disturb later pushes at "now"
            const first = [...model].sort((a, b) => a.t - b.t || a.id - b.id)[0];
            expect(q.peekTime()).toBe(first?.t ?? Number.POSITIVE_INFINITY);
          } else {
            check(q.pop());
          }
          expect(q.size).toBe(model.length);
        }
        while (model.length > 0) check(q.pop());
        expect(q.pop()).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  test("bursts of hundreds of events in one bucket (a flood wave) pop in order, pushes while it drains too", () => {
    // delays within a 1/64 ms bucket, many exact ties; bursts above the
    // 32 events sorted by insertion alone are spread by time slices first
    const burst = fc.array(fc.oneof(fc.constantFrom(0, 0.001, 0.01), fc.double({ min: 0, max: 0.05, noNaN: true })), {
      minLength: 20,
      maxLength: 700,
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(burst, fc.nat(40)), { minLength: 1, maxLength: 4 }), (rounds) => {
        const q = new EventQueue();
        const model: { t: number; id: number }[] = [];
        let now = 0;
        let id = 0;
        for (const [dts, pops] of rounds) {
          for (const dt of dts) {
            const e = q.take();
            e.t = now + dt;
            e.node = id;
            model.push({ t: e.t, id: id++ });
            q.push(e);
          }
          model.sort((a, b) => a.t - b.t || a.id - b.id);
          for (let i = 0; i < pops && model.length > 0; i++) {
            const want = model.shift() as { t: number; id: number };
            const e = q.pop() as SimEvent;
            expect([e.t, e.node]).toEqual([want.t, want.id]);
            now = e.t;
            q.recycle(e);
          }
          expect(q.size).toBe(model.length);
        }
        for (const want of model) {
          const e = q.pop() as SimEvent;
          expect([e.t, e.node]).toEqual([want.t, want.id]);
        }
        expect(q.pop()).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  test("popDue gives the next event only when it is due", () => {
    const q = new EventQueue();
    for (const [t, id] of [
      [5, 1],
      [2, 2],
      [5000, 3],
      [2, 4],
    ] as const) {
      const e = q.take();
      e.t = t;
      e.node = id;
      q.push(e);
    }
    expect(q.popDue(1)).toBeUndefined();
    expect([q.popDue(2)?.node, q.popDue(2)?.node, q.popDue(2)?.node]).toEqual([2, 4, undefined]);
    expect(q.popDue(4999)?.node).toBe(1);
    expect(q.popDue(4999)).toBeUndefined();
    expect(q.popDue(Number.POSITIVE_INFINITY)?.node).toBe(3);
    expect(q.popDue(Number.POSITIVE_INFINITY)).toBeUndefined();
  });
});
