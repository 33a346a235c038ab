/** The IPv6 key cache gives exactly addrKey's keys, however addresses share and evict its slots. */
import { expect, test } from "bun:test";
import fc from "fast-check";
import { addrKey, Ipv6KeyCache } from "../../src/mesh/addr-key.ts";

test("the cache's key is addrKey's, for any sequence of addresses", () => {
  const addr = fc.uint8Array({ minLength: 16, maxLength: 16 });
  fc.assert(
    fc.property(
      fc.array(fc.nat(), { minLength: 1, maxLength: 400, size: "max" }),
      fc.array(addr, { minLength: 1, maxLength: 200 }),
      (picks, addrs) => {
        const cache = new Ipv6KeyCache();
        for (const pick of picks) {
          const a = addrs[pick % addrs.length] as Uint8Array;
          const buf = new Uint8Array(40);
          buf.set(a, 24);
          expect(cache.key(buf, 24)).toBe(addrKey(a, 0, 16) as string);
        }
      },
    ),
  );
});
