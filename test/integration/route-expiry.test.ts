/**
 * Kernel routes go when their destination expires (root only).
 *
 *   ns "ea" 10.214.0.1 ──veth── 10.214.0.2 ns "eb"
 *   exp-a: TUN, listens            exp-b: TUN, 10.99.6.2, connects
 *
 * exp-a runs with test/helpers/clock-skew.ts preloaded: a SIGUSR2 moves its
 * wall clock 181 s forward, so for exp-a the last flood from exp-b is more
 * than the 3-minute validity window old, and every later one too (it is
 * dropped as stale). exp-a must remove its kernel routes to exp-b's
 * addresses, as it would after three silent minutes, and keep its own
 * interface and addresses.
 */
import { beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { nameToIpv6Text } from "../../src/addr/node-name.ts";
import { ROOT } from "../helpers/binary.ts";
import { addNamespace, link, sh } from "../helpers/netns.ts";
import { NodeProc, waitFor } from "../helpers/node-proc.ts";
import { nodeSuite } from "../helpers/suites.ts";

/** An address as `ip route` prints it (no leading zeros in a group). */
const short = (ip: string) => ip.replace(/(^|:)0+(?=[0-9a-f])/g, "$1");
let nsA = "";
let A: NodeProc;

nodeSuite("netns", "routes of an expired destination", () => {
  beforeAll(async () => {
    nsA = addNamespace("ea");
    const nsB = addNamespace("eb");
    const [addrA] = link(nsA, nsB, 214);
    A = new NodeProc(
      "exp-a",
      {
        node_name: "exp-a",
        linux_tuntap: true,
        transports: [{ type: "legacy_tcp_listen", port: 4800, keys: ["exp"] }],
      },
      [],
      {
        netns: nsA,
        preload: [join(ROOT, "test/helpers/clock-skew.ts")],
        env: { SMOLMESH_TEST_CLOCK_STEP_MS: "181000" },
      },
    );
    await A.waitLog(/listening on/);
    new NodeProc(
      "exp-b",
      {
        node_name: "exp-b",
        ipv4_addresses: ["10.99.6.2"],
        linux_tuntap: true,
        transports: [{ type: "legacy_tcp_connect", host: addrA, port: 4800, key: "exp" }],
      },
      [],
      { netns: nsB },
    );
    await A.waitLog(/route added: 10\.99\.6\.2 /);
  }, 30_000);

  test("three minutes without a flood: the kernel routes to exp-b's addresses are deleted", async () => {
    const routes = () =>
      sh(["ip", "route", "show", "dev", "smolmesh1"], { ns: nsA }) +
      sh(["ip", "-6", "route", "show", "dev", "smolmesh1"], { ns: nsA });
    const b6 = short(nameToIpv6Text("exp-b"));
    expect(routes()).toContain("10.99.6.2 proto static");
    expect(routes()).toContain(`${b6} proto static`);

    A.proc.kill("SIGUSR2");
    await A.waitLog(/clock-skew: wall clock moved forward/);
    await A.waitLog(/route removed: 10\.99\.6\.2 \(no flood for 3 minutes\)/);
    await A.waitLog(/route removed: \S+ \(exp-b\) \(no flood for 3 minutes\)/);
    await waitFor(() => !routes().includes("10.99.6.2") && !routes().includes(b6), 5000, "the kernel routes to go");
    // exp-b's later floods are too old for exp-a's clock now: they bring no route back
    await A.waitLog(/dropping packets from \S+: their clock is 18\d s behind ours/, 15_000);
    expect(routes()).not.toContain(b6);
    // exp-a's own interface and address stay
    expect(sh(["ip", "addr", "show", "smolmesh1"], { ns: nsA })).toContain(short(nameToIpv6Text("exp-a")));
  }, 30_000);
});
