/**
 * The claim filter (which addresses a flood may claim), its special-address
 * classes and CIDR parsing: tables over every excluded class for IPv4 and
 * IPv6, configured ranges that overlap them, and random addresses against
 * a slow obvious model built on ipaddr.js's own range tables.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import ipaddr from "ipaddr.js";
import { cidrCovers, formatCidr, parseCidr } from "../../src/addr/cidr.ts";
import { assertRoutable, specialClass } from "../../src/addr/special.ts";
import {
  ClaimFilter,
  type ClaimVerdict,
  DEFAULT_ACCEPT_IPV4,
  DEFAULT_ACCEPT_IPV6,
} from "../../src/mesh/claim-filter.ts";

const ip = (text: string) => Uint8Array.from(ipaddr.parse(text).toByteArray());
/** ipaddr.js reads "::1.2.3.4" as IPv4-mapped; tests write mapped addresses as ::ffff:a.b.c.d. */
const verdict = (f: ClaimFilter, text: string) => f.checkAddr(ip(text));

/** Every excluded class, with its edges: [address, class]; the addresses beside each edge are ordinary. */
const SPECIAL: [string, string][] = [
  ["0.0.0.0", "unspecified"],
  ["0.255.255.255", "unspecified"],
  ["127.0.0.1", "loopback"],
  ["127.0.0.0", "loopback"],
  ["127.255.255.255", "loopback"],
  ["169.254.0.0", "link-local"],
  ["169.254.255.255", "link-local"],
  ["224.0.0.0", "multicast"],
  ["224.0.0.1", "multicast"],
  ["239.255.255.255", "multicast"],
  ["255.255.255.255", "broadcast"],
  ["::", "unspecified"],
  ["::1", "loopback"],
  ["fe80::", "link-local"],
  ["fe80::1", "link-local"],
  ["febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "link-local"],
  ["ff00::", "multicast"],
  ["ff02::1", "multicast"],
  ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "multicast"],
  ["::ffff:0.0.0.0", "ipv4-mapped"],
  ["::ffff:10.0.0.1", "ipv4-mapped"],
  ["::ffff:255.255.255.255", "ipv4-mapped"],
];
const ORDINARY = [
  "1.0.0.0",
  "126.255.255.255",
  "128.0.0.0",
  "169.253.255.255",
  "169.255.0.0",
  "223.255.255.255",
  "240.0.0.0",
  "255.255.255.254",
  "::2",
  "0:0:0:0:0:1:ffff:0",
  "::fffe:0:0",
  "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
  "fec0::",
  "feff::",
  "fd00::1",
  "2001:db8::1",
];

describe("special addresses", () => {
  test("every excluded class, IPv4 and IPv6, at its edges", () => {
    for (const [a, c] of SPECIAL) expect([a, specialClass(ip(a))]).toEqual([a, c]);
    for (const a of ORDINARY) expect([a, specialClass(ip(a))]).toEqual([a, undefined]);
  });

  test("the platform layer's last check refuses them with the address and class", () => {
    expect(() => assertRoutable(ip("127.0.0.1"))).toThrow(
      "refusing to route 127.0.0.1 into the mesh: a loopback address",
    );
    expect(() => assertRoutable(ip("ff02::1"))).toThrow(/ff02:0000:.*a multicast address/);
    expect(() => assertRoutable(ip("10.1.2.3"))).not.toThrow();
    expect(() => assertRoutable(ip("fd00::1"))).not.toThrow();
    expect(() => assertRoutable(new Uint8Array(5))).toThrow('"ip" expected 4 or 16 bytes, got 5');
  });
});

describe("CIDR ranges", () => {
  test("valid ranges, a bare address as its own range, canonical text", () => {
    const show = (t: string, f: 4 | 6) => {
      const c = parseCidr(t, f);
      return typeof c === "string" ? c : formatCidr(c);
    };
    expect(show("10.0.0.0/8", 4)).toBe("10.0.0.0/8");
    expect(show("0.0.0.0/0", 4)).toBe("0.0.0.0/0");
    expect(show("10.1.2.3", 4)).toBe("10.1.2.3/32");
    expect(show("fd00:0:0::/8", 6)).toBe("fd00::/8");
    expect(show("::/0", 6)).toBe("::/0");
    expect(show("FD12:3456::1", 6)).toBe("fd12:3456::1/128");
  });

  test("mistakes say what was expected", () => {
    const err = (t: string, f: 4 | 6) => parseCidr(t, f) as string;
    expect(err("10.0.0.0/33", 4)).toMatch(/^an IPv4 range like "10\.0\.0\.0\/8"/);
    expect(err("10.0.0.0/08", 4)).toMatch(/^an IPv4 range like/);
    expect(err("10.0.0.0/", 4)).toMatch(/^an IPv4 range like/);
    expect(err("10.1/16", 4)).toMatch(/^an IPv4 range like/);
    expect(err("010.0.0.0/8", 4)).toMatch(/^an IPv4 range like/);
    expect(err("fd00::/8", 4)).toBe('an IPv4 range like "10.0.0.0/8", not an IPv6 one (those go in accept_ipv6)');
    expect(err("10.0.0.0/8", 6)).toBe('an IPv6 range like "fd00::/8", not an IPv4 one (those go in accept_ipv4)');
    expect(err("fd00::/129", 6)).toMatch(/^an IPv6 range like "fd00::\/8"/);
    expect(err("fe80::%eth0/64", 6)).toMatch(/^an IPv6 range like/);
    expect(err("10.1.0.0/8", 4)).toBe(
      "a range with no address bits set past its prefix length (the range that contains 10.1.0.0 is 10.0.0.0/8)",
    );
    expect(err("fd12::/8", 6)).toMatch(/the range that contains fd12:: is fd00::\/8\)$/);
  });

  test("covers", () => {
    const c = (t: string, f: 4 | 6) => parseCidr(t, f) as Exclude<ReturnType<typeof parseCidr>, string>;
    expect(cidrCovers(c("fd00::/8", 6), c("fd00::/16", 6))).toBe(true);
    expect(cidrCovers(c("fd00::/16", 6), c("fd00::/8", 6))).toBe(false);
    expect(cidrCovers(c("fc00::/7", 6), c("fd00::/16", 6))).toBe(true);
    expect(cidrCovers(c("10.0.0.0/8", 4), c("10.99.0.1", 4))).toBe(true);
    expect(cidrCovers(c("10.0.0.0/8", 4), c("11.0.0.1", 4))).toBe(false);
  });
});

describe("the claim filter", () => {
  test("defaults: the private IPv4 ranges and fd00::/8, edges included", () => {
    const f = new ClaimFilter();
    expect(f.acceptIpv4).toEqual(DEFAULT_ACCEPT_IPV4);
    expect(f.acceptIpv6).toEqual(DEFAULT_ACCEPT_IPV6);
    const accepted = [
      "10.0.0.1",
      "10.255.255.255",
      "172.16.0.0",
      "172.31.255.255",
      "192.168.0.1",
      "192.168.255.255",
      "100.64.0.0",
      "100.127.255.255",
      "fd00::",
      "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ];
    const outside = [
      "1.1.1.1",
      "9.255.255.255",
      "11.0.0.0",
      "172.15.255.255",
      "172.32.0.0",
      "192.167.255.255",
      "192.169.0.0",
      "100.63.255.255",
      "100.128.0.0",
      "240.0.0.1",
      "fc00::1",
      "fe00::",
      "2001:db8::1",
      "2606:4700:4700::1111",
    ];
    for (const a of accepted) expect([a, verdict(f, a)]).toEqual([a, "accept"]);
    for (const a of outside) expect([a, verdict(f, a)]).toEqual([a, "outside"]);
  });

  test("every excluded class is refused even when a configured range covers it", () => {
    const everything = new ClaimFilter({ ipv4: ["0.0.0.0/0"], ipv6: ["::/0"] });
    const exact = new ClaimFilter({
      ipv4: ["0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "255.255.255.255/32"],
      ipv6: ["::/128", "::1/128", "fe80::/10", "ff00::/8", "::ffff:0:0/96"],
    });
    for (const f of [everything, exact, new ClaimFilter()]) {
      for (const [a, c] of SPECIAL) expect([a, verdict(f, a)]).toEqual([a, c as ClaimVerdict]);
    }
    // and what those ranges hold beside the classes is accepted as configured
    expect(verdict(everything, "1.1.1.1")).toBe("accept");
    expect(verdict(everything, "2001:db8::1")).toBe("accept");
    expect(verdict(exact, "1.1.1.1")).toBe("outside");
  });

  test("this node's own addresses and underlay addresses are refused inside the ranges", () => {
    const f = new ClaimFilter({ ipv4: ["0.0.0.0/0"], ipv6: ["::/0"] });
    f.addOwn(ip("10.99.0.1"));
    f.addOwn(ip("fd00::1234"));
    expect(verdict(f, "10.99.0.1")).toBe("own");
    expect(verdict(f, "fd00::1234")).toBe("own");
    expect(verdict(f, "10.99.0.2")).toBe("accept");
    for (const a of ["10.75.0.2", "203.0.113.7", "fd00::75", "2001:db8::75"]) {
      expect(f.addUnderlay(ip(a))).toBe(true);
      expect([a, verdict(f, a)]).toEqual([a, "underlay"]);
    }
    // one address used by two links (say, two connections to one host): protected until both are gone
    expect(f.addUnderlay(ip("10.75.0.2"))).toBe(false);
    expect(f.removeUnderlay(ip("10.75.0.2"))).toBe(false);
    expect(verdict(f, "10.75.0.2")).toBe("underlay");
    expect(f.removeUnderlay(ip("10.75.0.2"))).toBe(true);
    expect(verdict(f, "10.75.0.2")).toBe("accept");
    expect(f.removeUnderlay(ip("10.75.0.2"))).toBe(false);
    expect([...f.underlayKeys()].length).toBe(3);
  });

  test("empty lists accept nothing of that family", () => {
    const f = new ClaimFilter({ ipv4: [], ipv6: ["fd00::/8"] });
    expect(verdict(f, "10.0.0.1")).toBe("outside");
    expect(verdict(f, "fd00::1")).toBe("accept");
    expect(verdict(new ClaimFilter({ ipv6: [] }), "fd00::1")).toBe("outside");
  });

  test("prefixes that end inside a byte", () => {
    const f = new ClaimFilter({ ipv4: ["10.99.128.0/17"], ipv6: ["fd12:3450::/28"] });
    expect(verdict(f, "10.99.128.0")).toBe("accept");
    expect(verdict(f, "10.99.255.255")).toBe("accept");
    expect(verdict(f, "10.99.127.255")).toBe("outside");
    expect(verdict(f, "fd12:345f:ffff::")).toBe("accept");
    expect(verdict(f, "fd12:3460::")).toBe("outside");
    expect(verdict(f, "fd12:344f::")).toBe("outside");
  });

  test("a range the config would refuse is a programmer error here", () => {
    expect(() => new ClaimFilter({ ipv4: ["10.1.0.0/8"] })).toThrow(RangeError);
    expect(() => new ClaimFilter({ ipv6: ["10.0.0.0/8"] })).toThrow(/accept_ipv6: "10\.0\.0\.0\/8": expected/);
  });
});

describe("the claim filter against a slow model", () => {
  const MODEL_CLASSES: Record<string, string> = {
    unspecified: "unspecified",
    loopback: "loopback",
    linkLocal: "link-local",
    multicast: "multicast",
    broadcast: "broadcast",
    ipv4Mapped: "ipv4-mapped",
  };

  /** What the filter should say, from ipaddr.js's own range tables and `match`. */
  function model(bytes: number[], v4: string[], v6: string[], own: string[], under: string[]): string {
    const a = ipaddr.fromByteArray(bytes);
    const cls = MODEL_CLASSES[a.range()];
    if (cls) return cls;
    const text = a.toNormalizedString();
    if (own.includes(text)) return "own";
    if (under.includes(text)) return "underlay";
    const ranges = a.kind() === "ipv4" ? v4 : v6;
    return ranges.some((r) => a.match(ipaddr.parseCIDR(r) as [ipaddr.IPv4 | ipaddr.IPv6, number]))
      ? "accept"
      : "outside";
  }

  /** Addresses near the interesting places more often than uniform bytes would be. */
  const v4addr = fc.oneof(
    fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
    fc
      .tuple(fc.constantFrom(0, 10, 100, 127, 169, 172, 192, 224, 239, 240, 255), fc.integer({ min: 0, max: 0xffffff }))
      .map(([hi, lo]) => [hi, lo >> 16, (lo >> 8) & 255, lo & 255]),
  );
  const v6addr = fc.oneof(
    fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 16, maxLength: 16 }),
    fc
      .tuple(
        fc.constantFrom([0xfd, 0x00], [0xfe, 0x80], [0xfe, 0xc0], [0xff, 0x02], [0xfc, 0x00], [0, 0], [0x20, 0x01]),
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 14, maxLength: 14 }),
        fc.integer({ min: 0, max: 3 }),
      )
      .map(([hi, rest, shape]) => {
        const b = [...hi, ...rest];
        if (shape === 0 && hi[0] === 0) b.fill(0, 0, 10).fill(0xff, 10, 12); // IPv4-mapped
        if (shape === 1 && hi[0] === 0) b.fill(0, 0, 15); // ::, ::1, ::2...
        if (shape === 1 && hi[0] === 0) b[15] = (rest[0] as number) & 3;
        return b;
      }),
  );
  const range = (addr: fc.Arbitrary<number[]>, bits: number) =>
    fc.tuple(addr, fc.integer({ min: 0, max: bits })).map(([b, p]) => {
      const a = ipaddr.fromByteArray(b);
      const net =
        a.kind() === "ipv4"
          ? ipaddr.IPv4.networkAddressFromCIDR(`${a}/${p}`)
          : ipaddr.IPv6.networkAddressFromCIDR(`${a}/${p}`);
      return `${net.toString()}/${p}`;
    });

  test("every verdict matches, IPv4 and IPv6, random ranges, own and underlay addresses", () => {
    fc.assert(
      fc.property(
        fc.array(range(v4addr, 32), { maxLength: 4 }),
        fc.array(range(v6addr, 128), { maxLength: 3 }),
        fc.array(fc.oneof(v4addr, v6addr), { maxLength: 3 }),
        fc.array(fc.oneof(v4addr, v6addr), { maxLength: 3 }),
        fc.array(fc.oneof(v4addr, v6addr), { minLength: 1, maxLength: 20 }),
        (v4, v6, own, under, probes) => {
          const f = new ClaimFilter({ ipv4: v4, ipv6: v6 });
          for (const o of own) f.addOwn(Uint8Array.from(o));
          for (const u of under) f.addUnderlay(Uint8Array.from(u));
          const text = (b: number[]) => ipaddr.fromByteArray(b).toNormalizedString();
          // probes include the own and underlay addresses themselves
          for (const p of [...probes, ...own, ...under]) {
            const want = model(p, v4, v6, own.map(text), under.map(text));
            expect([text(p), f.checkAddr(Uint8Array.from(p))]).toEqual([text(p), want as ClaimVerdict]);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
