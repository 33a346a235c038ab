/**
 * The node's underlay addresses (src/node/claims.ts) over a real router:
 * which addresses are protected when, that a route claimed earlier is
 * withdrawn when its address becomes underlay, that a key holder's link
 * is remembered after it closes and a stranger's is not, and how refused
 * claims read in the log.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import ipaddr from "ipaddr.js";
import type { PacketHash } from "../../src/mesh/dup-filter.ts";
import { buildPacket, CMD_IPV4 } from "../../src/mesh/packet.ts";
import { REMEMBERED, refusalMessage, Underlay } from "../../src/node/claims.ts";
import { loadPacketHash } from "../../src/node/packet-hash.ts";
import { makeRouter } from "../helpers/router-harness.ts";

let hash: PacketHash;
beforeAll(async () => {
  hash = await loadPacketHash();
});

const T = 1_800_000_000_000;
const ip = (text: string) => Uint8Array.from(ipaddr.parse(text).toByteArray());
/** Stands for a connect transport (the owner of a resolved host). */
const connector = {};

function setup() {
  const h = makeRouter(hash);
  h.router.linkUp(1, T);
  h.out.take();
  const u = new Underlay(h.router);
  const verdict = (text: string) => h.router.claims.checkAddr(ip(text));
  const shown = () => u.addresses().map((a) => ipaddr.fromByteArray([...a]).toString());
  return { ...h, u, verdict, shown };
}

describe("underlay addresses", () => {
  test("a link's peer and local address, a resolved host, a listener's own address; not the wildcard", () => {
    const { u, verdict, shown } = setup();
    u.listening(ip("::"));
    u.listening(ip("10.75.0.1"));
    u.resolved(connector, ip("10.76.0.2"));
    u.linkOpened(7, ip("10.77.0.2"), ip("10.77.0.1"));
    u.linkOpened(8, ip("fd00::8"), undefined);
    for (const a of ["10.75.0.1", "10.76.0.2", "10.77.0.2", "10.77.0.1", "fd00::8"]) {
      expect([a, verdict(a)]).toEqual([a, "underlay"]);
    }
    expect(shown().sort()).toEqual(["10.75.0.1", "10.76.0.2", "10.77.0.1", "10.77.0.2", "fd00::8"]);
  });

  test("a route claimed before its address became underlay is withdrawn when the connector resolves there", () => {
    const { router, out, u } = setup();
    const f = buildPacket(T, CMD_IPV4, ip("10.76.0.2"));
    router.receive(1, f, 0, f.length, T);
    expect(out.events).toEqual(["added ipv4 via 1"]);
    u.resolved(connector, ip("10.76.0.2"));
    expect(out.events).toEqual(["added ipv4 via 1", "withdrawn ipv4"]);
    expect(out.refusals).toEqual(["1 10.76.0.2 underlay withdrawn"]);
    // resolving to the same address again changes nothing
    u.resolved(connector, ip("10.76.0.2"));
    expect(router.counters.routesWithdrawn).toBe(1);
  });

  test("a stranger's half-open link is forgotten at once; a key holder's link is remembered after it closes", () => {
    const { u, verdict } = setup();
    u.linkOpened(1, ip("10.77.0.66"), ip("10.77.0.1"));
    u.linkClosed(1, false);
    expect(verdict("10.77.0.66")).toBe("accept");
    expect(verdict("10.77.0.1")).toBe("accept");
    u.linkOpened(2, ip("10.77.0.2"), ip("10.77.0.1"));
    u.linkClosed(2, true);
    expect(verdict("10.77.0.2")).toBe("underlay");
    // it comes back and leaves again: still one remembered entry, still protected
    u.linkOpened(3, ip("10.77.0.2"), ip("10.77.0.1"));
    u.linkClosed(3, true);
    u.linkClosed(3, true); // closing twice is harmless
    expect(verdict("10.77.0.2")).toBe("underlay");
    expect(u.addresses().length).toBe(2);
  });

  test(`at most ${REMEMBERED} addresses are remembered, the oldest forgotten first; one still in use stays`, () => {
    const { u, verdict } = setup();
    u.linkOpened(1, ip("10.78.0.1"), undefined); // still open throughout
    const peer = (i: number) => ip(`10.79.${i >> 8}.${i & 255}`);
    u.linkOpened(2, ip("10.78.0.1"), undefined);
    u.linkClosed(2, true);
    for (let i = 0; i < REMEMBERED + 10; i++) {
      u.linkOpened(100 + i, peer(i), undefined);
      u.linkClosed(100 + i, true);
    }
    expect(verdict("10.78.0.1")).toBe("underlay");
    expect(verdict("10.79.0.0")).toBe("accept");
    expect(verdict("10.79.0.10")).toBe("underlay");
    expect(verdict(`10.79.${(REMEMBERED + 9) >> 8}.${(REMEMBERED + 9) & 255}`)).toBe("underlay");
    expect(u.addresses().length).toBe(REMEMBERED + 1);
  });

  test("a host that resolves elsewhere: both addresses protected, the old one as remembered", () => {
    const { u, verdict } = setup();
    u.resolved(connector, ip("10.80.0.1"));
    u.resolved(connector, ip("10.80.0.2"));
    expect(verdict("10.80.0.1")).toBe("underlay");
    expect(verdict("10.80.0.2")).toBe("underlay");
  });
});

describe("log lines", () => {
  const peer = "link 4 (127.0.0.1:40312)";
  test("a refused flood names the address, the peer and why", () => {
    expect(refusalMessage({ ip: ip("1.1.1.1"), name: undefined, reason: "outside", withdrawn: false }, peer)).toBe(
      "refused a flood from link 4 (127.0.0.1:40312) claiming 1.1.1.1: outside accept_ipv4; not routed, not passed on",
    );
    expect(refusalMessage({ ip: ip("10.75.0.2"), name: undefined, reason: "underlay", withdrawn: false }, peer)).toBe(
      "refused a flood from link 4 (127.0.0.1:40312) claiming 10.75.0.2: an address one of this node's links runs over; not routed, not passed on",
    );
    expect(refusalMessage({ ip: ip("::1"), name: undefined, reason: "loopback", withdrawn: false }, peer)).toBe(
      "refused a flood from link 4 (127.0.0.1:40312) claiming 0000:0000:0000:0000:0000:0000:0000:0001: a loopback address; not routed, not passed on",
    );
    expect(refusalMessage({ ip: ip("fd00::1"), name: "me", reason: "own", withdrawn: false }, peer)).toMatch(
      /claiming fd00:0000:0000:0000:0000:0000:0000:0001 \(me\): one of this node's own addresses \(a flood from an earlier run/,
    );
  });

  test("a withdrawn route says the link wins and who had announced it", () => {
    expect(refusalMessage({ ip: ip("10.76.0.2"), name: undefined, reason: "underlay", withdrawn: true }, peer)).toBe(
      "route to 10.76.0.2 removed: one of this node's links runs over that address, and the link wins; link 4 (127.0.0.1:40312) had announced it",
    );
  });
});
