/** Node addresses, address text and IP header parsing. */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  destinationOf,
  formatIp,
  formatIpv6,
  nameToIpv6,
  nameToIpv6Text,
  parseIpv4,
  parseIpv6,
  randomIpv4,
  randomIpv6,
  sourceOf,
} from "../../src/addr/index.ts";
import { nameToIpv6 as refNameToIpv6 } from "../../src/crypto/speck-ref.ts";
import { hex, loadVectors, toHex } from "../helpers/vectors.ts";

const names = loadVectors<{
  vectors: { name: string; name_hex: string; name_len_bytes: number; ipv6: string; ipv6_bytes_hex: string }[];
  display: { bytes_hex: string; display: string }[];
}>("name_to_ipv6.json");

describe("node name -> IPv6", () => {
  test("every vector, WebAssembly path", () => {
    for (const v of names.vectors) {
      expect(Buffer.from(v.name, "utf8").toString("hex")).toBe(v.name_hex);
      expect(toHex(nameToIpv6(v.name))).toBe(v.ipv6_bytes_hex);
      expect(nameToIpv6Text(v.name)).toBe(v.ipv6);
    }
  });

  test("every vector, TypeScript path", () => {
    for (const v of names.vectors) expect(formatIpv6(refNameToIpv6(hex(v.name_hex)))).toBe(v.ipv6);
  });

  test("the vectors cover empty, long and non-ASCII names", () => {
    const lens = names.vectors.map((v) => v.name_len_bytes);
    expect(lens).toContain(0);
    expect(Math.max(...lens)).toBeGreaterThanOrEqual(1000);
    expect(names.vectors.some((v) => /[^\x00-\x7f]/.test(v.name))).toBe(true);
  });

  test("every derived address is in fd00::/16", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 30 }), (n) => {
        const b = nameToIpv6(n);
        expect([b[0], b[1]]).toEqual([0xfd, 0x00]);
      }),
      { numRuns: 200 },
    );
  });
});

describe("address text", () => {
  test("display vectors", () => {
    for (const d of names.display) expect(formatIp(hex(d.bytes_hex))).toBe(d.display);
  });

  test("wrong lengths are a programmer error", () => {
    expect(() => formatIpv6(new Uint8Array(4))).toThrow(/length 16, got length=4/);
  });

  test("IPv4 parsing is strict dotted quad", () => {
    expect(parseIpv4("10.99.0.101")).toEqual(Uint8Array.from([10, 99, 0, 101]));
    for (const bad of ["10.1", "10.0.0.256", "010.0.0.1", "0x0a.0.0.1", " 10.0.0.1", "", "fd00::1"]) {
      expect(parseIpv4(bad)).toBeUndefined();
    }
  });

  test("IPv6 parsing takes every standard notation", () => {
    expect(toHex(parseIpv6("fd00::1") as Uint8Array)).toBe("fd000000000000000000000000000001");
    expect(formatIpv6(parseIpv6("fd00:0abc:0:1:1000:ff:ff00:0") as Uint8Array)).toBe(
      "fd00:0abc:0000:0001:1000:00ff:ff00:0000",
    );
    expect(parseIpv6("10.0.0.1")).toBeUndefined();
    expect(parseIpv6("fd00:::1")).toBeUndefined();
  });

  test("random addresses stay in their ranges and differ", () => {
    const seen6 = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const v6 = randomIpv6();
      expect([v6[0], v6[1]]).toEqual([0xfd, 0]);
      seen6.add(toHex(v6));
      const v4 = randomIpv4();
      expect(v4[0]).toBe(10);
      expect(v4[3]).not.toBe(0);
      expect(v4[3]).not.toBe(255);
    }
    expect(seen6.size).toBe(200);
  });
});

describe("IP header destination", () => {
  const v4 = new Uint8Array(20);
  v4[0] = 0x45;
  v4.set([10, 0, 0, 1], 12);
  v4.set([10, 0, 0, 2], 16);
  const v6 = new Uint8Array(40);
  v6[0] = 0x60;
  v6.set(hex("fd000000000000000000000000000001"), 8);
  v6.set(hex("fd000000000000000000000000000002"), 24);

  test("IPv4 and IPv6", () => {
    const d4 = destinationOf(v4);
    expect(d4).toEqual({ ok: true, version: 4, offset: 16, length: 4 });
    expect(formatIp(v4.subarray(16, 20))).toBe("10.0.0.2");
    expect(sourceOf(v4)).toMatchObject({ ok: true, offset: 12 });
    expect(destinationOf(v6)).toEqual({ ok: true, version: 6, offset: 24, length: 16 });
    expect(sourceOf(v6)).toMatchObject({ ok: true, offset: 8 });
  });

  test("short and unknown packets are drop reasons, not exceptions", () => {
    expect(destinationOf(new Uint8Array(0))).toEqual({ ok: false, reason: "empty" });
    expect(destinationOf(v4.subarray(0, 19))).toEqual({ ok: false, reason: "short-ipv4" });
    expect(destinationOf(v6.subarray(0, 39))).toEqual({ ok: false, reason: "short-ipv6" });
    expect(destinationOf(Uint8Array.from([0x55]))).toEqual({ ok: false, reason: "bad-version" });
  });

  test("any bytes give a result inside the packet or a drop reason", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const d = destinationOf(b);
        if (d.ok) expect(d.offset + d.length).toBeLessThanOrEqual(b.length);
        else expect(["empty", "bad-version", "short-ipv4", "short-ipv6"]).toContain(d.reason);
      }),
    );
  });
});
