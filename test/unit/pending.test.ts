/** The pending-handshake table: per-source shares, the oldest giving way, and source keys. */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { PendingTable, sourceKey } from "../../src/transport/pending.ts";

describe("pending handshakes", () => {
  test("a source at its share displaces its own oldest; others are untouched", () => {
    const t = new PendingTable<string>({ max: 64, perSource: 3 });
    for (const id of ["a1", "a2", "a3"]) {
      expect(t.displaced("A")).toBeUndefined();
      t.add(id, "A");
    }
    t.add("b1", "B");
    expect(t.displaced("A")).toBe("a1");
    expect(t.displaced("B")).toBeUndefined();
  });

  test("a full table displaces the oldest of anyone", () => {
    const t = new PendingTable<number>({ max: 4, perSource: 3 });
    t.add(1, "A");
    t.add(2, "B");
    t.add(3, "A");
    t.add(4, "C");
    expect(t.displaced("D")).toBe(1);
    t.remove(1);
    t.add(5, "D");
    expect(t.size).toBe(4);
    expect(t.countFrom("A")).toBe(1);
  });

  test("whatever one source does, another always finds a place, and no source holds more than its share", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant("attacker"), fc.constant("finish"), fc.constant("good")), { maxLength: 500 }),
        (steps) => {
          const t = new PendingTable<number>({ max: 16, perSource: 4 });
          const live: number[] = [];
          let id = 0;
          for (const s of steps) {
            if (s === "finish") {
              const x = live.shift();
              if (x !== undefined) t.remove(x);
              continue;
            }
            const source = s === "attacker" ? "10.0.0.1" : `good-${id}`;
            const victim = t.displaced(source);
            if (victim !== undefined) {
              t.remove(victim);
              live.splice(live.indexOf(victim), 1);
            }
            t.add(id, source);
            live.push(id++);
            if (t.countFrom("10.0.0.1") > 4 || t.size > 16) return false;
          }
          return true;
        },
      ),
    );
  });

  test("source keys: IPv4, IPv4-mapped IPv6 as IPv4, and IPv6 by /64", () => {
    expect(sourceKey(Uint8Array.of(10, 0, 0, 1))).toBe("10.0.0.1");
    const mapped = new Uint8Array(16);
    mapped.set([0xff, 0xff, 10, 0, 0, 1], 10);
    expect(sourceKey(mapped)).toBe("10.0.0.1");
    const a = new Uint8Array(16).fill(0x20);
    const b = a.slice();
    b[15] = 1;
    b[8] = 9;
    expect(sourceKey(a)).toBe(sourceKey(b));
    b[7] = 0;
    expect(sourceKey(a)).not.toBe(sourceKey(b));
  });
});
