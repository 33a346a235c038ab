/**
 * Failover between two relay paths (root only). A and C are TUN nodes;
 * R1 and R2 are relays (no TUN); A and C connect to both.
 *
 *            ┌── ns R1 (relay) ──┐
 *   ns A ────┤                   ├──── ns C
 *   dia-a    └── ns R2 (relay) ──┘     dia-c
 *
 * While A pings C every 20 ms, the relay process on A's preferred path to
 * C is killed; pings continue through the other relay. The test prints
 * how long pings were lost. Then the other relay's veth toward A goes
 * down: no reset ever reaches A, and A gives the link up when its data
 * has gone unacknowledged for 10 s (TCP_USER_TIMEOUT), not after the 30 s
 * idle timeout.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { nameToIpv6Text } from "../../src/addr/node-name.ts";
import { addNamespace, cleanup, firstPing, isRoot, leftovers, link, sh } from "../helpers/netns.ts";
import { NodeProc, stopAll } from "../helpers/node-proc.ts";

const PORT = 4300;
const relays: Record<string, NodeProc> = {};
const relayAddrFromA: Record<string, string> = {};
const relayNs: Record<string, string> = {};
let survivor = "";
let nsA = "";
let nsC = "";
let A: NodeProc;
let C: NodeProc;

describe.skipIf(!isRoot)("two relay paths", () => {
  beforeAll(async () => {
    nsA = addNamespace("da");
    nsC = addNamespace("dc");
    const hosts: Record<string, [string, string]> = {};
    for (const [i, r] of ["r1", "r2"].entries()) {
      const ns = addNamespace(`d${r}`);
      relayNs[r] = ns;
      const [, fromA] = link(nsA, ns, 221 + i);
      const [fromC] = link(ns, nsC, 231 + i);
      hosts[r] = [fromA, fromC];
      relayAddrFromA[r] = fromA;
      relays[r] = new NodeProc(
        `dia-${r}`,
        { node_name: `dia-${r}`, transports: [{ type: "legacy_tcp_listen", port: PORT, keys: ["dia"] }] },
        [],
        { netns: ns },
      );
    }
    for (const r of Object.values(relays)) await r.waitLog(/listening on/);
    const connects = (side: 0 | 1) =>
      Object.values(hosts).map(([a, c]) => ({
        type: "legacy_tcp_connect",
        host: side === 0 ? a : c,
        port: PORT,
        key: "dia",
      }));
    A = new NodeProc(
      "dia-a",
      { node_name: "dia-a", linux_tuntap: true, transports: connects(0) },
      ["--log-level", "debug"],
      { netns: nsA },
    );
    C = new NodeProc(
      "dia-c",
      { node_name: "dia-c", linux_tuntap: true, transports: connects(1) },
      ["--log-level", "debug"],
      {
        netns: nsC,
      },
    );
    await A.waitLog(/link 2 up/);
    await C.waitLog(/link 2 up/);
    // ready when each end has a primary and a backup route to the other
    await A.waitLog(/route backup: \S+ \(dia-c\) via link/);
    await C.waitLog(/route backup: \S+ \(dia-a\) via link/);
  }, 30_000);

  afterAll(async () => {
    await stopAll();
    cleanup();
    expect(leftovers()).toEqual([]);
  });

  test("killing the relay on the preferred path: pings continue over the other", async () => {
    const target = nameToIpv6Text("dia-c");
    await firstPing(nsA, target, 5000);
    // which relay carries A's route to C: the link the route was learned on
    const viaLink = A.log.match(/route added: \S+ \(dia-c\) via link (\d+)/)?.[1];
    const linkPeer = A.log.match(new RegExp(`link ${viaLink} up: to (\\S+):${PORT}`))?.[1];
    const preferred = Object.keys(relayAddrFromA).find((r) => relayAddrFromA[r] === linkPeer);
    expect(preferred).toBeDefined();
    survivor = Object.keys(relayAddrFromA).find((r) => r !== preferred) as string;
    const ping = Bun.spawn(["ip", "netns", "exec", nsA, "ping", "-n", "-i", "0.02", "-c", "150", "-W", "1", target], {
      stdout: "pipe",
    });
    const output = new Response(ping.stdout).text();
    await Bun.sleep(1000); // a second of pings over the preferred path first: the experiment's schedule, not readiness
    await relays[preferred as string]?.stop("SIGKILL");
    await ping.exited;
    const text = await output;
    const [, sent, received] = text.match(/(\d+) packets transmitted, (\d+) received/) ?? [];
    const lost = Number(sent) - Number(received);
    console.log(`killed ${preferred}: ${lost} of ${sent} pings lost (about ${lost * 20} ms without traffic)`);
    expect(Number(received)).toBeGreaterThan(100);
    expect(lost * 20).toBeLessThan(1000);
    // the last pings came back through the surviving relay
    expect(
      text
        .trim()
        .split("\n")
        .filter((l) => l.includes("icmp_seq=14")).length,
    ).toBeGreaterThan(0);
  }, 30_000);

  test("a link that goes silent is given up after 10 s of unacknowledged data, not the 30 s idle timeout", async () => {
    expect(survivor).not.toBe("");
    const ns = relayNs[survivor] as string;
    const addr = relayAddrFromA[survivor] as string;
    const linkId = A.log.match(new RegExp(`link (\\d+) up: to ${addr.replaceAll(".", "\\.")}:${PORT}`))?.[1];
    expect(linkId).toBeDefined();
    // the relay's end of the veth to A goes down: A's packets vanish, nothing answers
    const dev = sh(["ip", "-o", "addr", "show", "to", addr], { ns }).split(/\s+/)[1] as string;
    const cutAt = performance.now();
    sh(["ip", "link", "set", dev, "down"], { ns });
    const down = await A.waitLog(new RegExp(`link ${linkId} down \\([^)]*\\): (.*)`), 28_000); // worst case: 10 s until A next sends, then 10 s unacknowledged; the idle timeout would say "nothing received" at 30 s
    const after = (performance.now() - cutAt) / 1000;
    console.log(`silent cut of A's link to ${survivor}: given up after ${after.toFixed(1)} s (${down[1]})`);
    // the kernel's abort reports the last error it saw: a timeout, or the
    // host unreachable that neighbour discovery reported meanwhile
    expect(down[1]).toMatch(/ETIMEDOUT|EHOSTUNREACH|timed out|no route to host/i);
    expect(down[1]).not.toMatch(/nothing received/);
  }, 40_000);
});
