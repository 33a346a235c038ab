/**
 * The DNS responder as a function of query bytes and known names: answers
 * read back with dns-packet (the same library, but every expectation is
 * the record a client would see), malformed input, sizes, rate limits.
 */
import { describe, expect, test } from "bun:test";
import { Buffer } from "node:buffer";
import * as dnsPacket from "dns-packet";
import fc from "fast-check";
import { formatIp } from "../../src/addr/format.ts";
import { nameToIpv6 } from "../../src/addr/node-name.ts";
import { parseIpv4, parseIpv6 } from "../../src/addr/parse.ts";
import { dnsNameOf, isDnsName, parseReverse, reverseName, underSuffix } from "../../src/dns/names.ts";
import { fromThisMachine, RateLimiter } from "../../src/dns/rate-limit.ts";
import { MAX_UDP_SIZE, type NameBook, PLAIN_UDP_SIZE, respond } from "../../src/dns/responder.ts";

const own = { name: "alpha", ipv6: nameToIpv6("alpha"), ipv4: [parseIpv4("10.99.0.1") as Uint8Array] };
const heard = ["beta", "Gamma", "with.dots", "no space"];

/** A book of this node ("alpha") and the names it heard. */
const book: NameBook = {
  forward(name) {
    if (name === own.name || name.toLowerCase() === own.name) return own;
    const hit = heard.find((n) => n === name) ?? heard.find((n) => n.toLowerCase() === name.toLowerCase());
    return hit === undefined ? undefined : { name: hit, ipv6: nameToIpv6(hit), ipv4: [] };
  },
  reverse(ip) {
    const all = [own.name, ...heard];
    const hit = all.find((n) => formatIp(nameToIpv6(n)) === formatIp(ip));
    if (hit) return hit;
    return ip.length === 4 && formatIp(ip) === "10.99.0.1" ? own.name : undefined;
  },
};
const opts = { suffix: "mesh" };

function query(name: string, type: string, extra: Partial<dnsPacket.Packet> = {}): Uint8Array {
  return dnsPacket.encode({
    id: 4242,
    type: "query",
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as dnsPacket.RecordType, class: "IN" }],
    ...extra,
  });
}

/** An AAAA or A record's address, as smolmesh prints addresses. */
const addressOf = (a: dnsPacket.Answer) => {
  const text = (a as dnsPacket.StringAnswer).data;
  return formatIp((parseIpv6(text) ?? parseIpv4(text)) as Uint8Array);
};

/** dns-packet decodes the rcode; its types leave it out. */
type Decoded = dnsPacket.DecodedPacket & { rcode: string };

function ask(bytes: Uint8Array) {
  const r = respond(bytes, book, opts);
  const msg = r.bytes ? (dnsPacket.decode(Buffer.from(r.bytes)) as Decoded) : undefined;
  return { ...r, msg };
}

describe("names", () => {
  test("node names that can be DNS names, and those that cannot", () => {
    expect(dnsNameOf("beta", "mesh")).toBe("beta.mesh");
    expect(dnsNameOf("with.dots", "mesh")).toBe("with.dots.mesh");
    expect(dnsNameOf("no space", "mesh")).toBeUndefined();
    expect(dnsNameOf("a".repeat(64), "mesh")).toBeUndefined();
    expect(dnsNameOf("a..b", "mesh")).toBeUndefined();
    expect(isDnsName(`${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(56)}.mesh`)).toBe(true);
    expect(isDnsName(`${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(57)}.mesh`)).toBe(false);
  });

  test("the suffix is compared without case; the name keeps its own", () => {
    expect(underSuffix("Beta.MESH", "mesh")).toBe("Beta");
    expect(underSuffix("mesh", "mesh")).toBe("");
    expect(underSuffix("beta.example", "mesh")).toBeUndefined();
    expect(underSuffix("xmesh", "mesh")).toBeUndefined();
  });

  test("reverse names round-trip for every address, and partial names are the zone", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (ip) => {
        ip[0] = 0xfd;
        ip[1] = 0;
        const r = parseReverse(reverseName(ip).toUpperCase());
        expect(r !== undefined && r !== "zone" && formatIp(r.ip)).toBe(formatIp(ip));
      }),
    );
    expect(reverseName(parseIpv4("10.99.0.1") as Uint8Array)).toBe("1.0.99.10.in-addr.arpa");
    expect(parseReverse("0.0.d.f.ip6.arpa")).toBe("zone");
    expect(parseReverse("1.0.0.d.f.ip6.arpa")).toBe("zone");
    expect(parseReverse("1.0.0.0.2.ip6.arpa")).toBeUndefined(); // outside fd00::/16
    expect(parseReverse("256.0.0.10.in-addr.arpa")).toBeUndefined();
  });
});

describe("answers", () => {
  test("AAAA of a heard name: its mesh address, authoritative, the question echoed with its case", () => {
    const r = ask(query("BeTa.mesh", "AAAA"));
    expect(r.outcome).toBe("answered");
    expect(r.msg?.id).toBe(4242);
    expect(r.msg?.rcode).toBe("NOERROR");
    expect(r.msg?.flag_aa).toBe(true);
    expect(r.msg?.flag_rd).toBe(true);
    expect(r.msg?.flag_ra).toBe(false);
    expect(r.msg?.questions).toEqual([{ name: "BeTa.mesh", type: "AAAA", class: "IN" }]);
    expect(r.msg?.answers?.map((a) => [a.name, a.type, addressOf(a)])).toEqual([
      ["BeTa.mesh", "AAAA", formatIp(nameToIpv6("beta"))],
    ]);
  });

  test("a name flooded with capitals is found in any case; names with dots work", () => {
    const g = ask(query("gamma.mesh", "AAAA"));
    expect(g.msg?.answers?.map(addressOf)).toEqual([formatIp(nameToIpv6("Gamma"))]);
    expect(ask(query("with.dots.mesh", "AAAA")).outcome).toBe("answered");
  });

  test("A: this node's configured IPv4 addresses; other nodes have none (no data, not NXDOMAIN)", () => {
    const a = ask(query("alpha.mesh", "A"));
    expect(a.msg?.answers?.map((x) => (x as dnsPacket.StringAnswer).data)).toEqual(["10.99.0.1"]);
    const b = ask(query("beta.mesh", "A"));
    expect(b.outcome).toBe("nodata");
    expect(b.msg?.rcode).toBe("NOERROR");
    expect(b.msg?.answers).toEqual([]);
    expect(b.msg?.authorities?.[0]?.type).toBe("SOA");
  });

  test("an unknown name under the suffix: NXDOMAIN with the zone's SOA", () => {
    const r = ask(query("nobody.mesh", "AAAA"));
    expect(r.outcome).toBe("nxdomain");
    expect(r.msg?.rcode).toBe("NXDOMAIN");
    expect(r.msg?.authorities?.[0]).toMatchObject({ name: "mesh", type: "SOA" });
  });

  test("names outside the suffix and other classes are refused (no recursion)", () => {
    expect(ask(query("example.com", "A")).msg?.rcode).toBe("REFUSED");
    expect(ask(query("8.8.8.8.in-addr.arpa", "PTR")).msg?.rcode).toBe("REFUSED");
    const ch = dnsPacket.encode({ id: 1, type: "query", questions: [{ name: "beta.mesh", type: "A", class: "CH" }] });
    expect(ask(ch).msg?.rcode).toBe("REFUSED");
  });

  test("PTR of a known node address, of this node's IPv4; NXDOMAIN for an unknown one in fd00::/16", () => {
    const ptr = ask(query(reverseName(nameToIpv6("beta")), "PTR"));
    expect(ptr.msg?.answers?.map((a) => (a as dnsPacket.StringAnswer).data)).toEqual(["beta.mesh"]);
    const mine = ask(query("1.0.99.10.in-addr.arpa", "PTR"));
    expect(mine.msg?.answers?.map((a) => (a as dnsPacket.StringAnswer).data)).toEqual(["alpha.mesh"]);
    const unknown = ask(query(reverseName(nameToIpv6("nobody")), "PTR"));
    expect(unknown.msg?.rcode).toBe("NXDOMAIN");
    // a known name that cannot be a DNS name has no PTR
    expect(ask(query(reverseName(nameToIpv6("no space")), "PTR")).msg?.rcode).toBe("NXDOMAIN");
  });

  test("EDNS: the answer carries OPT and may use the client's size up to 1232", () => {
    const r = ask(
      query("beta.mesh", "AAAA", {
        additionals: [{ type: "OPT", name: ".", udpPayloadSize: 4096 } as unknown as dnsPacket.Answer],
      }),
    );
    const opt = r.msg?.additionals?.find((a) => a.type === "OPT") as dnsPacket.OptAnswer | undefined;
    expect(opt?.udpPayloadSize).toBe(MAX_UDP_SIZE);
  });

  test("more addresses than fit: records left out, TC set, never over 512 bytes", () => {
    const many: NameBook = {
      forward: () => ({
        name: "alpha",
        ipv6: own.ipv6,
        ipv4: Array.from({ length: 100 }, (_, i) => Uint8Array.of(10, 0, 0, i)),
      }),
      reverse: () => undefined,
    };
    const r = respond(query("alpha.mesh", "A"), many, opts);
    const msg = dnsPacket.decode(Buffer.from(r.bytes as Uint8Array));
    expect((r.bytes as Uint8Array).length).toBeLessThanOrEqual(PLAIN_UDP_SIZE);
    expect(msg.flag_tc).toBe(true);
    expect(msg.answers?.length).toBeGreaterThan(10);
    expect(msg.answers?.length).toBeLessThan(100);
  });
});

describe("bad queries", () => {
  test("a body that does not parse: FORMERR with the query's id, header only", () => {
    const q = query("beta.mesh", "AAAA");
    const cut = q.slice(0, q.length - 3);
    const r = ask(cut);
    expect(r.outcome).toBe("formerr");
    expect(r.msg?.id).toBe(4242);
    expect(r.msg?.rcode).toBe("FORMERR");
    expect(r.bytes?.length).toBe(12);
  });

  test("huge counts in a short message: FORMERR, at once", () => {
    const q = query("beta.mesh", "AAAA");
    const dv = new DataView(q.buffer, q.byteOffset);
    for (const at of [4, 6, 8, 10]) dv.setUint16(at, 0xffff);
    const t0 = performance.now();
    expect(ask(q).msg?.rcode).toBe("FORMERR");
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  test("two questions, or none: FORMERR; another opcode: NOTIMP", () => {
    const two = dnsPacket.encode({
      id: 7,
      type: "query",
      questions: [
        { name: "beta.mesh", type: "A" },
        { name: "alpha.mesh", type: "A" },
      ],
    });
    expect(ask(two).msg?.rcode).toBe("FORMERR");
    expect(ask(dnsPacket.encode({ id: 7, type: "query", questions: [] })).msg?.rcode).toBe("FORMERR");
    const update = query("beta.mesh", "A");
    update[2] = ((update[2] as number) & 0x87) | (5 << 3); // opcode 5 (UPDATE)
    expect(ask(update).msg?.rcode).toBe("NOTIMP");
  });

  test("no header, or a response: nothing is sent", () => {
    expect(ask(new Uint8Array(11)).bytes).toBeUndefined();
    expect(ask(new Uint8Array(0)).bytes).toBeUndefined();
    const resp = dnsPacket.encode({ id: 1, type: "response", questions: [{ name: "beta.mesh", type: "A" }] });
    expect(ask(resp).outcome).toBe("dropped");
  });

  test("a compression loop is FORMERR, not a hang", () => {
    const q = query("beta.mesh", "AAAA");
    const loop = new Uint8Array([...q.subarray(0, 12), 0xc0, 12, 0, 28, 0, 1]);
    expect(ask(loop).msg?.rcode).toBe("FORMERR");
  });

  test("random bytes never throw, and an answer is never over 512 bytes nor sent to a response", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
        const r = respond(b, book, opts);
        if (r.bytes) {
          expect(r.bytes.length).toBeLessThanOrEqual(PLAIN_UDP_SIZE);
          expect(b.length).toBeGreaterThanOrEqual(12);
          expect((b[2] as number) & 0x80).toBe(0);
        }
      }),
      { numRuns: 3000 },
    );
  });

  test("valid queries with random names and types never throw", () => {
    const types = ["A", "AAAA", "PTR", "SOA", "TXT", "MX", "NS", "SRV", "ANY"];
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-zA-Z0-9-]{1,20}$/), { minLength: 1, maxLength: 5 }),
        fc.constantFrom(...types),
        fc.constantFrom("mesh", "ip6.arpa", "in-addr.arpa", "com"),
        (labels, type, tail) => {
          const r = respond(query(`${labels.join(".")}.${tail}`, type), book, opts);
          expect(r.bytes).toBeDefined();
        },
      ),
    );
  });
});

describe("rate limits", () => {
  test("a source gets its burst at once, then its rate; other sources are not affected", () => {
    const rl = new RateLimiter({ perSecond: 10, burst: 20, maxSources: 4 });
    let ok = 0;
    for (let i = 0; i < 100; i++) if (rl.allow("a", 1000)) ok++;
    expect(ok).toBe(20);
    expect(rl.allow("b", 1000)).toBe(true);
    expect(rl.allow("a", 1050)).toBe(false); // half a token
    expect(rl.allow("a", 1100)).toBe(true); // one token after 100 ms
    ok = 0;
    for (let t = 2000; t < 12_000; t += 10) if (rl.allow("a", t)) ok++;
    expect(ok).toBeGreaterThanOrEqual(99);
    expect(ok).toBeLessThanOrEqual(101 + 20);
  });

  test("the table holds at most maxSources; a clock going back gives no tokens", () => {
    const rl = new RateLimiter({ perSecond: 1, burst: 1, maxSources: 3 });
    for (const s of ["a", "b", "c", "d", "e"]) rl.allow(s, 0);
    expect(rl.sources).toBe(3);
    expect(rl.allow("e", 0)).toBe(false);
    expect(rl.allow("e", -5000)).toBe(false);
  });

  test("this machine: loopback and the node's own addresses; not other mesh nodes", () => {
    const mine = [own.ipv6, ...own.ipv4];
    expect(fromThisMachine(Uint8Array.of(127, 0, 0, 53), mine)).toBe(true);
    expect(fromThisMachine(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), mine)).toBe(true);
    expect(fromThisMachine(own.ipv6, mine)).toBe(true);
    expect(fromThisMachine(Uint8Array.of(10, 99, 0, 1), mine)).toBe(true);
    expect(fromThisMachine(nameToIpv6("beta"), mine)).toBe(false);
    expect(fromThisMachine(Uint8Array.of(10, 99, 0, 2), mine)).toBe(false);
  });
});
