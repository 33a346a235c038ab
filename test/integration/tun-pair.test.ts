/**
 * Two TUN nodes in network namespaces joined by a veth pair (root only).
 *
 *   ns "one"  10.210.0.1 ──veth── 10.210.0.2  ns "two"
 *   node tun-one (listens)          node tun-two (connects)
 *   smolmesh1: fd00:..(tun-one)     smolmesh1: fd00:..(tun-two)
 *              10.99.1.1                       10.99.1.2
 *
 * Pings cross the mesh both ways; time to the first answer is printed; a
 * packet with no route is answered with ICMP unreachable, at most 100 a
 * second; SIGINT and SIGTERM remove the interface and its routes; a
 * restarted node is reachable again; and without privileges the node says
 * what it needs.
 */
import { beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { nameToIpv6Text } from "../../src/addr/node-name.ts";
import { fetchStatus } from "../../src/cli/status.ts";
import { ROOT, run } from "../helpers/binary.ts";
import { addNamespace, firstPing, link, pingOnce, sh } from "../helpers/netns.ts";
import { NodeProc, waitFor } from "../helpers/node-proc.ts";
import { nodeSuite } from "../helpers/suites.ts";

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

nodeSuite("netns", "two TUN nodes", () => {
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

  test("a destination with no route gets ICMP unreachable, not a timeout", () => {
    // a route to an address nobody announces, pointed at the TUN
    sh(["ip", "-6", "route", "add", "fd00:dead::/64", "dev", "smolmesh1"], { ns: one });
    const t0 = performance.now();
    // -W 10: without an answer ping waits 10 s and reports only loss; "unreachable" is the node's ICMPv6 answer
    const r = sh(["ping", "-n", "-c", "1", "-W", "10", "fd00:dead::1"], { ns: one, allowFail: true });
    expect(r).toMatch(/Destination unreachable: No route/);
    console.log(
      `ping to an unrouted destination answered "unreachable" after ${(performance.now() - t0).toFixed(0)} ms`,
    );
  }, 20_000);

  test("a burst of unroutable packets gets at most 100 ICMP answers a second", async () => {
    const tun = async () =>
      (await fetchStatus(A.controlSocket)).tun as NonNullable<Awaited<ReturnType<typeof fetchStatus>>["tun"]>;
    const before = await tun();
    const t0 = performance.now();
    const burst = await run([
      "ip",
      "netns",
      "exec",
      one,
      process.execPath,
      join(ROOT, "test/helpers/udp-burst.ts"),
      "fd00:dead::2",
      "9",
      "3000",
    ]);
    expect(burst.code).toBe(0);
    // the node has read them all when its count stops rising
    let last = -1;
    await waitFor(
      async () => {
        const n = (await tun()).noRoute;
        const settled = n === last;
        last = n;
        return settled && n > before.noRoute;
      },
      10_000,
      "the node to read the burst",
    );
    const seconds = (performance.now() - t0) / 1000;
    const after = await tun();
    const unroutable = after.noRoute - before.noRoute;
    const answered = after.icmpSent - before.icmpSent;
    console.log(`${unroutable} unroutable packets in ${seconds.toFixed(2)} s: ${answered} ICMP answers`);
    // one 1-second window per second of the burst, plus the one it started in
    const windows = Math.ceil(seconds) + 1;
    expect(unroutable).toBeGreaterThan(3 * 100 * windows); // enough to show the limit, not just a quiet burst
    expect(answered).toBeGreaterThan(0); // the window the burst began in may already have carried answers
    expect(answered).toBeLessThanOrEqual(100 * windows);
  }, 30_000);

  test("SIGINT removes the interface and its routes; the node restarted with the same name is reachable again", async () => {
    expect(sh(["ip", "-6", "route", "show", "dev", "smolmesh1"], { ns: one })).toContain("fd00:");
    expect(await A.stop("SIGINT")).toBe(0); // fails if it has not exited within the stop deadline
    expect(A.log).toMatch(/SIGINT: stopping[\s\S]*stopped/);
    expect(sh(["ip", "link"], { ns: one })).not.toContain("smolmesh1");
    expect(sh(["ip", "-6", "route"], { ns: one })).not.toContain("fd00:");
    expect(sh(["ip", "-4", "route"], { ns: one })).not.toContain("10.99.1.");
    A = nodeOne(one);
    await A.waitLog(/link \d+ up/, 20_000); // tun-two reconnects 5-10 s after losing the link
    const ms = await firstPing(two, nameToIpv6Text("tun-one"), 10_000);
    console.log(`restarted node answered ${ms.toFixed(0)} ms after its link came back`);
  }, 40_000);

  test("SIGTERM removes the interface and its routes", async () => {
    expect(sh(["ip", "link"], { ns: two })).toContain("smolmesh1");
    const t0 = performance.now();
    expect(await B.stop("SIGTERM")).toBe(0); // fails if it has not exited within the stop deadline
    const gone = performance.now() - t0;
    expect(sh(["ip", "link"], { ns: two })).not.toContain("smolmesh1");
    expect(sh(["ip", "-6", "route"], { ns: two })).not.toContain("fd00:");
    expect(B.log).toMatch(/SIGTERM: stopping/);
    console.log(`stopped and cleaned up ${gone.toFixed(0)} ms after SIGTERM`);
  });

  test("without root it says what it needs and exits 1", async () => {
    const ns = addNamespace("nopriv");
    const p = new NodeProc("nopriv", { node_name: "nopriv", linux_tuntap: true, transports: [] }, [], {
      netns: ns,
      asUser: 65534,
    });
    expect(await p.exited()).toBe(1);
    expect(p.log.trim().split("\n").at(-1)).toBe(
      "smolmesh: needs root or CAP_NET_ADMIN to create the TUN device; run with sudo, or set linux_tuntap to false for a relay node",
    );
    await p.stop();
  });
});
