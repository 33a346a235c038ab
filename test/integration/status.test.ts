/**
 * The operator's view of a running node (root only).
 *
 *   ns "sa" 10.240.0.1 ──veth── 10.240.0.2 ns "sb"
 *   st-one: TUN, listens          st-two: TUN, connects
 *
 * `smolmesh status` (table, --json, --prometheus) against st-one; the
 * control socket is owner-only and refuses other users; a second node
 * with st-one's config is refused and leaves st-one alone; SIGTERM in the
 * middle of traffic exits 0 and removes the interface and its routes.
 */
import { beforeAll, expect, test } from "bun:test";
import { chmodSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { nameToIpv6Text } from "../../src/addr/node-name.ts";
import { fetchStatus } from "../../src/cli/status.ts";
import { asUser } from "../helpers/as-user.ts";
import { ROOT, run } from "../helpers/binary.ts";
import { addNamespace, firstPing, link, pingOnce, sh } from "../helpers/netns.ts";
import { NodeProc, waitFor } from "../helpers/node-proc.ts";
import { nodeSuite } from "../helpers/suites.ts";

const CLI = [process.execPath, join(ROOT, "src/cli/main.ts")];
let one: NodeProc;
let two: NodeProc;
let nsOne = "";
let nsTwo = "";
let oneConfig: object;

nodeSuite("netns", "status and shutdown", () => {
  beforeAll(async () => {
    nsOne = addNamespace("sa");
    nsTwo = addNamespace("sb");
    const [addr] = link(nsOne, nsTwo, 240);
    oneConfig = {
      node_name: "st-one",
      ipv4_addresses: ["10.99.4.1"],
      linux_tuntap: true,
      transports: [{ type: "legacy_tcp_listen", port: 4400, keys: ["st"] }],
    };
    one = new NodeProc("st-one", oneConfig, [], { netns: nsOne });
    await one.waitLog(/control socket/);
    two = new NodeProc(
      "st-two",
      {
        node_name: "st-two",
        linux_tuntap: true,
        transports: [{ type: "legacy_tcp_connect", host: addr, port: 4400, key: "st" }],
      },
      [],
      { netns: nsTwo },
    );
    await one.waitLog(/route added: \S+ \(st-two\)/);
    await firstPing(nsOne, nameToIpv6Text("st-two"), 5000);
  }, 30_000);

  test("the table shows the node, its link with traffic, and its route", async () => {
    const r = await run([...CLI, "status", "--socket", one.controlSocket], { env: { NO_COLOR: "1" } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/node st-one .* smolmesh1 mtu 65000 {2}memory [\d.]+ MiB \(heap [\d.]+ MiB\)/);
    expect(r.stdout).toMatch(/LINKS \(1\)/);
    expect(r.stdout).toMatch(/10\.240\.0\.2:\d+ +│ +│ in +│ speck +│ up/);
    expect(r.stdout).toMatch(/ROUTES \(1\)/);
    expect(r.stdout).toContain(`${nameToIpv6Text("st-two")} │ st-two`);
    expect(r.stdout).toMatch(/TUN +\d+ packets in/);
  });

  test("--json has the same facts as numbers", async () => {
    const r = await run([...CLI, "status", "--socket", one.controlSocket, "--json"]);
    const s = JSON.parse(r.stdout);
    expect(s.node).toMatchObject({ name: "st-one", interface: "smolmesh1", mtu: 65000 });
    expect(s.node.addresses).toEqual([nameToIpv6Text("st-one"), "10.99.4.1"]);
    // a real reading of the node's own process: the heap is part of the resident memory
    expect(s.node.memory.heapBytes).toBeGreaterThan(1 << 20);
    expect(s.node.memory.rssBytes).toBeGreaterThan(s.node.memory.heapBytes);
    expect(s.links).toHaveLength(1);
    expect(s.links[0]).toMatchObject({ direction: "in", state: "up", protocol: "speck" });
    expect(s.links[0].bytesIn).toBeGreaterThan(0);
    expect(s.routes).toEqual([expect.objectContaining({ name: "st-two", nextHop: s.links[0].id, backups: [] })]);
    expect(s.tun.packetsIn).toBeGreaterThan(0);
  });

  test("--prometheus prints counters in the text format", async () => {
    const r = await run([...CLI, "status", "--socket", one.controlSocket, "--prometheus"]);
    expect(r.stdout).toContain('smolmesh_routes{node="st-one"} 1');
    expect(r.stdout).toMatch(/^smolmesh_resident_memory_bytes\{node="st-one"\} [1-9]\d{6,}$/m);
    expect(r.stdout).toMatch(/^# TYPE smolmesh_link_received_bytes_total counter$/m);
    expect(r.stdout).toMatch(/^smolmesh_router_received_total\{node="st-one"\} \d+$/m);
  });

  test("the control socket is owner-only and refuses other users", async () => {
    expect(statSync(one.controlSocket).mode & 0o777).toBe(0o600);
    const r = await run([...asUser(65534), ...CLI, "status", "--socket", one.controlSocket]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("permission denied");
    expect(r.stderr).toContain("run as root");
  });

  test("even a socket opened up to everyone answers only root and its own user", async () => {
    chmodSync(one.controlSocket, 0o666);
    chmodSync(dirname(one.controlSocket), 0o755);
    try {
      const r = await run([...asUser(65534), ...CLI, "status", "--socket", one.controlSocket]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("only root and the node's own user may ask");
      expect(r.stdout).toBe("");
    } finally {
      chmodSync(one.controlSocket, 0o600);
      chmodSync(dirname(one.controlSocket), 0o700);
    }
  });

  test("a missing node is a clear error", async () => {
    const r = await run([...CLI, "status", "--socket", "/nonexistent/smolmesh.sock"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no node answers on /nonexistent/smolmesh.sock (is it running?)");
  });

  test("a second node with the same config is refused before it opens anything; the first carries on", async () => {
    const twin = new NodeProc("st-one-twin", { ...oneConfig, control_socket: one.controlSocket }, [], {
      netns: nsOne,
    });
    expect(await twin.exited()).toBe(1);
    expect(twin.log).toContain(`cannot start: another node is running with control socket ${one.controlSocket}`);
    expect(twin.log).not.toContain("TUN device");
    // st-one still has its interface, addresses and routes, answers pings and status
    const addrs = sh(["ip", "addr", "show", "smolmesh1"], { ns: nsOne });
    expect(addrs).toContain("inet 10.99.4.1/32");
    expect(sh(["ip", "-6", "route", "show", "dev", "smolmesh1"], { ns: nsOne })).toContain(
      nameToIpv6Text("st-two").replace(/(^|:)0+(?=[0-9a-f])/g, "$1"),
    );
    expect(pingOnce(nsTwo, nameToIpv6Text("st-one"), 5)).toBe(true);
    expect((await fetchStatus(one.controlSocket)).node.name).toBe("st-one");
    expect(one.exitCode).toBeNull();
  });

  test("SIGTERM during traffic exits 0 and removes the interface and its routes", async () => {
    const flood = Bun.spawn(
      ["ip", "netns", "exec", nsTwo, "ping", "-n", "-f", "-s", "1200", nameToIpv6Text("st-one")],
      {
        stdout: "ignore",
        stderr: "ignore",
      },
    );
    // the signal comes while the flood is crossing: two has read a thousand of its packets from the TUN
    const tunIn = async () => (await fetchStatus(two.controlSocket)).tun?.packetsIn ?? 0;
    const before = await tunIn();
    await waitFor(async () => (await tunIn()) >= before + 1000, 15_000, "a thousand flood pings through st-two");
    expect(sh(["ip", "-6", "route", "show", "dev", "smolmesh1"], { ns: nsTwo })).toContain(
      nameToIpv6Text("st-one").slice(0, 9),
    );
    const t0 = performance.now();
    expect(await two.stop("SIGTERM")).toBe(0); // fails if it has not exited within the stop deadline
    const took = performance.now() - t0;
    flood.kill();
    await flood.exited;
    expect(sh(["ip", "link"], { ns: nsTwo })).not.toContain("smolmesh1");
    expect(sh(["ip", "-6", "route"], { ns: nsTwo })).not.toContain("fd00:");
    expect(two.log).toMatch(/SIGTERM: stopping[\s\S]*stopped/);
    console.log(`stopped under a ping flood in ${took.toFixed(0)} ms`);
  });
});

nodeSuite("netns", "the demo", () => {
  test("smolmesh demo shows pings crossing three nodes and the status table, then leaves nothing behind", async () => {
    const r = await run([...CLI, "demo"], { env: { NO_COLOR: "1" } });
    if (r.code !== 0) console.log(r.stdout, r.stderr);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.match(/3 packets transmitted, 3 received/g)).toHaveLength(2);
    expect(r.stdout).toMatch(/node demo-b .* smolmesh1 mtu 65000/);
    // both links are modern, named by the peer's node name
    expect(r.stdout).toMatch(/│ demo-a +│ in +│ modern +│ up +│ [\d.]+s +│ [\d.]+s old, \d+ rekeys +│/);
    expect(r.stdout).toMatch(/│ demo-c +│ in +│ modern +│ up +│ [\d.]+s +│ [\d.]+s old, \d+ rekeys +│/);
    expect(r.stdout).toContain("The mesh works.");
    expect(sh(["ip", "netns", "list"])).not.toContain("smdemo-");
  }, 60_000);
});
