/**
 * The router's cache of node names heard in floods (mesh/name-cache.ts):
 * found by exact bytes, bounded.
 */
import { describe, expect, test } from "bun:test";
import { nameToIpv6 } from "../../src/addr/node-name.ts";
import { keyOf } from "../../src/mesh/addr-key.ts";
import { NameCache } from "../../src/mesh/name-cache.ts";
import { utf8 } from "../helpers/vectors.ts";

describe("name cache", () => {
  const info = (name: string) => {
    const ipv6 = nameToIpv6(name);
    return { name, utf8: utf8(name), ipv6, key: keyOf(ipv6) };
  };

  test("finds a name by its exact bytes, anywhere in a buffer", () => {
    const c = new NameCache(10);
    const alice = info("alice");
    c.add(alice);
    const buf = new Uint8Array([9, 9, ...utf8("alice"), 9]);
    expect(c.find(buf, 2, 5)).toBe(alice);
    expect(c.find(buf, 2, 4)).toBeUndefined();
    expect(c.find(buf, 1, 5)).toBeUndefined();
    expect(c.find(utf8("alicf"), 0, 5)).toBeUndefined();
  });

  test("starts over when full; size 0 caches nothing", () => {
    const c = new NameCache(2);
    for (const n of ["a", "b", "c"]) c.add(info(n));
    expect(c.size).toBe(1);
    expect(c.find(utf8("c"), 0, 1)?.name).toBe("c");
    const none = new NameCache(0);
    none.add(info("a"));
    expect(none.find(utf8("a"), 0, 1)).toBeUndefined();
  });
});
