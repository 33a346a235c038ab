/** The records parallel simulator parts swap frames in (test/sim/exchange.ts) read back exactly as written. */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { Box } from "../sim/exchange.ts";

const frame = fc.record({
  t: fc.double({ min: 0, max: 1e7, noNaN: true }),
  key: fc.integer({ min: 0, max: 2 ** 52 }),
  hash: fc.oneof(fc.constant(Number.NaN), fc.integer({ min: 0, max: 2 ** 53 - 1 })),
  linkDir: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  bytes: fc.uint8Array({ maxLength: 100 }),
});

describe("simulator exchange box", () => {
  test("frames come back in order with their times, keys, hashes, links and bytes; clear empties the box", () => {
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 50 }), fc.array(frame, { maxLength: 5 }), (first, second) => {
        const box = new Box(new SharedArrayBuffer(64 << 10));
        const readAll = () => {
          const got: unknown[] = [];
          box.read((t, key, hash, linkDir, buf, off, len) =>
            got.push({ t, key, hash, linkDir, bytes: buf.slice(off, off + len) }),
          );
          return got;
        };
        for (const f of first) box.write(f.t, f.key, f.hash, f.linkDir, f.bytes);
        expect(readAll()).toEqual(first);
        box.clear();
        for (const f of second) box.write(f.t, f.key, f.hash, f.linkDir, f.bytes);
        expect(readAll()).toEqual(second);
      }),
    );
  });

  test("a frame that does not fit is refused with the reason, and what was written stays readable", () => {
    const box = new Box(new SharedArrayBuffer(128));
    box.write(1, 2, 3, 4, new Uint8Array(40));
    expect(() => box.write(5, 6, 7, 8, new Uint8Array(60))).toThrow(/crossed between two workers in one window/);
    let n = 0;
    box.read((t, _k, _h, _l, _buf, _off, len) => {
      n++;
      expect(t).toBe(1);
      expect(len).toBe(40);
    });
    expect(n).toBe(1);
  });
});
