/**
 * A key holder claims addresses it must not (root only): the attack of a
 * leaked link key, as an attacker would try it.
 *
 *   ns "ca"                                                    ns "cb"
 *   claim-a: TUN, listens :4700   10.75.0.1 ──veth── 10.75.0.2  claim-b: TUN, connects
 *      │ 10.99.7.1                                               10.99.7.2
 *      └── 127.0.0.1:4700 ── mallory (claim-flooder.ts, holds the key), inside ns "ca"
 *
 * Once B's link is up, mallory floods once a second, in ordinary floods:
 * 1.1.1.1 and 10.75.0.2 (the address B's link comes from), 2001:db8::1,
 * ::1, and 10.99.7.7, a private address nobody holds (accepted: it shows
 * the floods arrive and are passed on). A keeps its link to B, routes none
 * of the refused addresses into its TUN device, does not pass them on to
 * B, counts them and logs who tried. When B's link drops, B comes back
 * although mallory keeps claiming its address meanwhile.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { nameToIpv6Text } from "../../src/addr/node-name.ts";
import type { StatusSnapshot } from "../../src/node/status.ts";
import { ROOT, run } from "../helpers/binary.ts";
import { addNamespace, cleanup, firstPing, isRoot, leftovers, link, sh } from "../helpers/netns.ts";
import { NodeProc, stopAll, waitFor } from "../helpers/node-proc.ts";

const PORT = 4700;
const CLI = [process.execPath, join(ROOT, "src/cli/main.ts")];
const REFUSED_V4 = ["1.1.1.1", "10.75.0.2"];
const REFUSED_V6 = ["2001:db8::1", "::1"];
const ACCEPTED = "10.99.7.7";
let nsA = "";
let nsB = "";
let addrA = "";
let A: NodeProc;
let B: NodeProc;
let mallory: { proc: Subprocess<"ignore", "pipe", "pipe">; out: string } | undefined;

const nodeB = () =>
  new NodeProc(
    "claim-b",
    {
      node_name: "claim-b",
      ipv4_addresses: ["10.99.7.2"],
      linux_tuntap: true,
      transports: [{ type: "legacy_tcp_connect", host: addrA, port: PORT, key: "claim-key" }],
    },
    [],
    { netns: nsB },
  );

/** Polls `node`'s status until `cond` holds (each poll runs the CLI: a few per second). */
async function statusUntil(node: NodeProc, cond: (s: StatusSnapshot) => boolean, ms: number, what: string) {
  const deadline = performance.now() + ms;
  for (;;) {
    const s = await node.status();
    if (cond(s)) return s;
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
  }
}

const tunRoutes = (ns: string) =>
  sh(["ip", "-4", "route", "show", "dev", "smolmesh1"], { ns }) +
  sh(["ip", "-6", "route", "show", "dev", "smolmesh1"], { ns });

describe.skipIf(!isRoot)("a key holder claims the internet and a node's own link", () => {
  beforeAll(async () => {
    nsA = addNamespace("ca");
    nsB = addNamespace("cb");
    [addrA] = link(nsA, nsB, 75);
    A = new NodeProc(
      "claim-a",
      {
        node_name: "claim-a",
        ipv4_addresses: ["10.99.7.1"],
        linux_tuntap: true,
        transports: [{ type: "legacy_tcp_listen", port: PORT, keys: ["claim-key"] }],
      },
      [],
      { netns: nsA },
    );
    await A.waitLog(/control socket/);
    B = nodeB();
    await A.waitLog(/route added: \S+ \(claim-b\)/);
    await firstPing(nsA, nameToIpv6Text("claim-b"), 5000);
    const proc = Bun.spawn(
      [
        "ip",
        ...["netns", "exec", nsA, process.execPath, join(ROOT, "test/helpers/claim-flooder.ts")],
        ...[String(PORT), "claim-key", "mallory", ...REFUSED_V4, ...REFUSED_V6, ACCEPTED],
      ],
      { stdin: "ignore", stdout: "pipe", stderr: "pipe" },
    );
    const m = { proc, out: "" };
    mallory = m;
    (async () => {
      const dec = new TextDecoder();
      for await (const chunk of proc.stdout) m.out += dec.decode(chunk, { stream: true });
    })();
    await waitFor(() => m.out.includes("linked") || proc.exitCode !== null, 10_000, "mallory's link to A");
    expect(m.out).toContain("linked");
  }, 40_000);

  afterAll(async () => {
    mallory?.proc.kill("SIGKILL");
    await mallory?.proc.exited;
    await stopAll();
    cleanup();
    expect(leftovers()).toEqual([]);
  });

  test("A keeps its link to B, routes none of the refused addresses into the mesh, and logs who tried", async () => {
    const linkToB = Number((A.log.match(/link (\d+) up: from 10\.75\.0\.2:/) as RegExpMatchArray)[1]);
    // the accepted claim reaches A's kernel and is passed on to B: the floods arrive
    await waitFor(() => tunRoutes(nsA).includes(ACCEPTED), 10_000, `A's route to ${ACCEPTED}`);
    await waitFor(() => tunRoutes(nsB).includes(ACCEPTED), 10_000, `B's route to ${ACCEPTED}`);
    // five rounds of claims refused (mallory floods once a second; unprotected, A took them within 3 s)
    const s = await statusUntil(
      A,
      (s) => s.router.claimsUnderlay >= 5 && s.router.claimsOutside >= 10 && s.router.claimsSpecial >= 5,
      20_000,
      "five rounds of refused claims at A",
    );
    expect(mallory?.out).not.toContain("closed");
    // A's link to B is the one it had before the attack, still up, and carries traffic
    expect(s.links.find((l) => l.id === linkToB)).toMatchObject({ state: "up", direction: "in" });
    expect(A.log).not.toMatch(new RegExp(`link ${linkToB} down`));
    await firstPing(nsA, nameToIpv6Text("claim-b"), 5000);
    await firstPing(nsA, "10.99.7.2", 5000);
    // no kernel route for a refused address via the TUN device, at A or (not passed on) at B
    for (const ns of [nsA, nsB]) {
      const routes = tunRoutes(ns);
      for (const a of [...REFUSED_V4, "2001:db8::1"]) expect(routes).not.toContain(a);
    }
    expect(sh(["ip", "route", "get", "10.75.0.2"], { ns: nsA })).toMatch(/dev va\d+/);
    expect(sh(["ip", "route", "get", "1.1.1.1"], { ns: nsA, allowFail: true })).not.toContain("smolmesh1");
    expect(s.routes.map((r) => r.destination)).not.toEqual(expect.arrayContaining(["1.1.1.1"]));
    expect(s.routes.map((r) => r.destination)).toContain(ACCEPTED);
    // who tried, with the address, once a minute per link and reason
    const mal = String.raw`link \d+ \(127\.0\.0\.1:\d+\)`;
    expect(A.log).toMatch(
      new RegExp(
        `WARN  refused a flood from ${mal} claiming 1\\.1\\.1\\.1: outside accept_ipv4; not routed, not passed on`,
      ),
    );
    expect(A.log).toMatch(
      new RegExp(
        `WARN  refused a flood from ${mal} claiming 10\\.75\\.0\\.2: an address one of this node's links runs over`,
      ),
    );
    expect(A.log).toMatch(new RegExp(`refused a flood from ${mal} claiming 0000:.*:0001: a loopback address`));
    expect(A.log.match(/claiming 1\.1\.1\.1/g)).toHaveLength(1);
    // the drops are visible to the operator
    expect(s.claims.underlay).toEqual(expect.arrayContaining(["10.75.0.1", "10.75.0.2"]));
    expect(s.claims.acceptIpv4).toContain("10.0.0.0/8");
    const prom = await run([...CLI, "status", "--socket", A.controlSocket, "--prometheus"]);
    expect(prom.stdout).toMatch(/^smolmesh_router_claims_outside_total\{node="claim-a"\} [1-9]\d*$/m);
    const table = await run([...CLI, "status", "--socket", A.controlSocket], { env: { NO_COLOR: "1" } });
    expect(table.stdout).toMatch(/CLAIMS +refused [1-9]\d* \(outside the ranges [1-9]/);
  }, 40_000);

  test("B's link drops and comes back while mallory keeps claiming B's address", async () => {
    const before = (await A.status()).router.claimsUnderlay;
    expect(await B.stop("SIGTERM")).toBe(0);
    await A.waitLog(/link \d+ down \(10\.75\.0\.2:\d+\)/, 10_000);
    // two more rounds while B is away: the address of a link that is gone stays protected
    await statusUntil(A, (s) => s.router.claimsUnderlay >= before + 2, 10_000, "claims of B's address while B is away");
    expect(tunRoutes(nsA)).not.toContain("10.75.0.2");
    B = nodeB();
    await B.waitLog(/link \d+ up/, 15_000);
    await firstPing(nsA, nameToIpv6Text("claim-b"), 10_000);
    expect(tunRoutes(nsA)).not.toContain("10.75.0.2");
  }, 40_000);
});
