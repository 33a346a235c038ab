/**
 * Failover between two relay paths (root only). A and C are TUN nodes;
 * R1 and R2 are relays (no TUN); A and C connect to both.
 *
 *            ┌── ns R1 (relay) ──┐
 *   ns A ────┤                   ├──── ns C
 *   dia-a    └── ns R2 (relay) ──┘     dia-c
 *
 * While A pings C every 20 ms, the relay process on A's preferred path to
 * C is killed; no ping is lost, and the relays' own counters show that the
 * pings after the kill went through the other relay. Then the other
 * relay's veth toward A goes down: no reset ever reaches A, and A gives
 * the link up when its data has gone unacknowledged for 10 s
 * (TCP_USER_TIMEOUT), not after the 30 s idle timeout.
 */
import { beforeAll, expect, test } from "bun:test";
import { nameToIpv6Text } from "../../src/addr/node-name.ts";
import { fetchStatus } from "../../src/cli/status.ts";
import { addNamespace, firstPing, link, sh } from "../helpers/netns.ts";
import { NodeProc, waitFor } from "../helpers/node-proc.ts";
import { nodeSuite } from "../helpers/suites.ts";

const PORT = 4300;
const relays: Record<string, NodeProc> = {};
const relayAddrFromA: Record<string, string> = {};
const relayNs: Record<string, string> = {};
let survivor = "";
let nsA = "";
let nsC = "";
let A: NodeProc;
let C: NodeProc;

/** Data packets a relay has forwarded (both directions of every ping it carried). */
const forwarded = async (relay: NodeProc) => (await fetchStatus(relay.controlSocket)).router.dataForwarded;

nodeSuite("netns", "two relay paths", () => {
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

  test("killing the relay on the preferred path: no ping is lost, and those after the kill cross the other relay", async () => {
    const target = nameToIpv6Text("dia-c");
    await firstPing(nsA, target, 5000);
    // which relay carries A's route to C: the link the route was learned on
    const viaLink = A.log.match(/route added: \S+ \(dia-c\) via link (\d+)/)?.[1];
    const linkPeer = A.log.match(new RegExp(`link ${viaLink} up: to (\\S+):${PORT}`))?.[1];
    const preferred = Object.keys(relayAddrFromA).find((r) => relayAddrFromA[r] === linkPeer);
    expect(preferred).toBeDefined();
    survivor = Object.keys(relayAddrFromA).find((r) => r !== preferred) as string;
    const [victim, other] = [relays[preferred as string] as NodeProc, relays[survivor] as NodeProc];

    const ping = Bun.spawn(["ip", "netns", "exec", nsA, "ping", "-n", "-i", "0.02", "-c", "150", "-W", "2", target], {
      stdout: "pipe",
    });
    let text = "";
    let killAfterReply = 0; // set: kill the victim as soon as ping prints a reply past this one
    let killedAfter = 0; // the last reply before the kill
    const replies = () => [...text.matchAll(/^\d+ bytes from .* icmp_seq=(\d+) /gm)].map((m) => Number(m[1]));
    const reading = (async () => {
      const dec = new TextDecoder();
      for await (const chunk of ping.stdout) {
        text += dec.decode(chunk, { stream: true });
        const last = replies().at(-1) ?? 0;
        if (killAfterReply && !killedAfter && last > killAfterReply) {
          // right after a reply: the next ping is ~20 ms away, so none is inside the victim
          victim.proc.kill("SIGKILL");
          killedAfter = last;
        }
      }
    })();
    await waitFor(() => replies().length >= 40, 10_000, "40 pings over the preferred path");
    // the premise: the victim carries the pings now
    expect(await forwarded(victim)).toBeGreaterThan(0);
    const survivorBefore = await forwarded(other);
    killAfterReply = replies().at(-1) ?? 0;
    await waitFor(() => killedAfter > 0, 5000, "a reply to time the kill by");
    expect(await victim.stop("SIGKILL")).not.toBe(0);
    await ping.exited;
    await reading;
    const [, sent, received] = text.match(/(\d+) packets transmitted, (\d+) received/) ?? [];
    const after = replies().filter((seq) => seq > killedAfter);
    const survivorCarried = (await forwarded(other)) - survivorBefore;
    console.log(
      `killed ${preferred} after reply ${killedAfter}: ${received} of ${sent} pings answered; ` +
        `${after.length} answered after the kill, ${survivorCarried} packets forwarded by ${survivor} since`,
    );
    expect(Number(sent)).toBe(150);
    expect(Number(received)).toBe(150); // none lost
    expect(after.length).toBe(150 - killedAfter);
    // every ping after the kill crossed the survivor both ways
    expect(survivorCarried).toBeGreaterThanOrEqual(2 * after.length);
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
    // worst case 10 s until A next sends, then 10 s unacknowledged; the idle timeout would close it at 30 s
    // saying "nothing received": the reason below tells them apart, the 45 s is only a fail-safe
    const down = await A.waitLog(new RegExp(`link ${linkId} down \\([^)]*\\): (.*)`), 45_000);
    const after = (performance.now() - cutAt) / 1000;
    console.log(`silent cut of A's link to ${survivor}: given up after ${after.toFixed(1)} s (${down[1]})`);
    // the kernel's abort reports the last error it saw: a timeout, or the
    // host unreachable that neighbour discovery reported meanwhile
    expect(down[1]).toMatch(/ETIMEDOUT|EHOSTUNREACH|timed out|no route to host/i);
    expect(down[1]).not.toMatch(/nothing received/);
  }, 60_000);
});
