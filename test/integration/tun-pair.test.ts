/**
 * Two TUN nodes in network namespaces joined by a veth pair (root only).
 *
 *   ns "one"  10.210.0.1 ──veth── 10.210.0.2  ns "two"
 *   node tun-one (listens)          node tun-two (connects)
 *   smolmesh1: fd00:..(tun-one)     smolmesh1: fd00:..(tun-two)
 *              10.99.1.1                       10.99.1.2
 *
 * Pings cross the mesh both ways; time to the first answer is printed; a
 * restarted node is reachable again; SIGTERM removes the interface; and
 * without privileges the node says what it needs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { nameToIpv6Text } from "../../src/addr/node-name.ts";
import { addNamespace, cleanup, firstPing, isRoot, leftovers, link, pingOnce, sh } from "../helpers/netns.ts";
import { NodeProc, stopAll } from "../helpers/node-proc.ts";

const PORT = 4100;
let one = "";
let two = "";
let addrOne = "";

const nodeOne = (ns: string) =>
  new NodeProc(
    "tun-one",
    {
      node_name: "tun-one",
      ipv4_addresses: ["10.99.1.1"],
      linux_tuntap: true,
      transports: [{ type: "legacy_tcp_listen", port: PORT, keys: ["pair-key"] }],
    },
    [],
    { netns: ns },
  );

const nodeTwo = (ns: string) =>
  new NodeProc(
    "tun-two",
    {
      node_name: "tun-two",
      ipv4_addresses: ["10.99.1.2"],
      linux_tuntap: true,
      transports: [{ type: "legacy_tcp_connect", host: addrOne, port: PORT, key: "pair-key" }],
    },
    [],
    { netns: ns },
  );

describe.skipIf(!isRoot)("two TUN nodes", () => {
  let A: NodeProc;
  let B: NodeProc;

  beforeAll(async () => {
    one = addNamespace("one");
    two = addNamespace("two");
    [addrOne] = link(one, two, 210);
    const t0 = performance.now();
    A = nodeOne(one);
    await A.waitLog(/listening on/);
    B = nodeTwo(two);
    await B.waitLog(/link \d+ up/);
    const linkUp = performance.now();
    const ms = await firstPing(two, nameToIpv6Text("tun-one"), 10_000);
    console.log(
      `first answered ping ${(performance.now() - t0).toFixed(0)} ms after starting the nodes, ${(performance.now() - linkUp).toFixed(0)} ms after the link came up (ping loop ${ms.toFixed(0)} ms)`,
    );
  }, 30_000);

  afterAll(async () => {
    await stopAll();
    cleanup();
    expect(leftovers()).toEqual([]);
  });

  test("ping -6 to the other node's name-derived address, both ways", () => {
    expect(pingOnce(two, nameToIpv6Text("tun-one"))).toBe(true);
    expect(pingOnce(one, nameToIpv6Text("tun-two"))).toBe(true);
  });

  test("ping to the other node's configured IPv4 address, both ways", async () => {
    await firstPing(two, "10.99.1.1", 5000);
    await firstPing(one, "10.99.1.2", 5000);
  });

  test("the interface has the MTU, both addresses and a /128 route per learned node", () => {
    const link = sh(["ip", "-d", "link", "show", "smolmesh1"], { ns: one });
    expect(link).toMatch(/mtu 65000/);
    expect(link).toMatch(/state UNKNOWN|UP/);
    const addrs = sh(["ip", "addr", "show", "smolmesh1"], { ns: one });
    expect(addrs).toContain(`inet 10.99.1.1/32`);
    expect(addrs).toContain(`inet6 ${nameToIpv6Text("tun-one").replace(/(^|:)0+(?=[0-9a-f])/g, "$1")}/128`);
    expect(sh(["ip", "-6", "route", "show", "dev", "smolmesh1"], { ns: one })).toMatch(/proto static/);
    expect(sh(["ip", "-4", "route", "show", "dev", "smolmesh1"], { ns: one })).toContain("10.99.1.2 proto static");
  });

  test("a destination with no route gets ICMP unreachable at once, not a timeout", () => {
    // a route to an address nobody announces, pointed at the TUN
    sh(["ip", "-6", "route", "add", "fd00:dead::1/128", "dev", "smolmesh1"], { ns: one });
    const t0 = performance.now();
    const r = sh(["ping", "-n", "-c", "1", "-W", "3", "fd00:dead::1"], { ns: one, allowFail: true });
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(r).toMatch(/No route|Destination unreachable|unreachable/i);
  });

  test("a node restarted with the same name is reachable again without restarting the other", async () => {
    await A.stop();
    A = nodeOne(one);
    await A.waitLog(/link \d+ up/, 20_000); // tun-two reconnects 5-10 s after losing the link
    const ms = await firstPing(two, nameToIpv6Text("tun-one"), 10_000);
    console.log(`restarted node answered ${ms.toFixed(0)} ms after its link came back`);
  }, 40_000);

  test("SIGTERM removes the interface and its routes within a second", async () => {
    expect(sh(["ip", "link"], { ns: two })).toContain("smolmesh1");
    const t0 = performance.now();
    expect(await B.stop("SIGTERM")).toBe(0);
    const gone = performance.now() - t0;
    expect(sh(["ip", "link"], { ns: two })).not.toContain("smolmesh1");
    expect(sh(["ip", "-6", "route"], { ns: two })).not.toContain("fd00:");
    expect(gone).toBeLessThan(1000);
    expect(B.log).toMatch(/SIGTERM: stopping/);
  });

  test("without root it says what it needs and exits 1", async () => {
    const ns = addNamespace("nopriv");
    const p = new NodeProc("nopriv", { node_name: "nopriv", linux_tuntap: true, transports: [] }, [], {
      netns: ns,
      asUser: 65534,
    });
    expect(await p.proc.exited).toBe(1);
    expect(p.log.trim().split("\n").at(-1)).toBe(
      "smolmesh: needs root or CAP_NET_ADMIN to create the TUN device; run with sudo, or set linux_tuntap to false for a relay node",
    );
    await p.stop();
  });
});
