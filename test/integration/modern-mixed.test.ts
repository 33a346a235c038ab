/**
 * A mixed mesh in namespaces (root only): modern links between smolmesh
 * nodes, and a legacy link to a node that speaks only legacy, on the same
 * listening port.
 *
 *   ns MA ──veth 10.247.0.0/24── ns ML ──veth 10.248.0.0/24── ns MB
 *   mix-a: tcp_connect            mix-l: tcp_listen,            mix-b: tcp_connect
 *                                   legacy: true
 *                                       │ veth 10.249.0.0/24
 *                                     ns MO
 *                                   mix-old: legacy_tcp_connect (SPECK) only
 *
 * Pings cross every pair through mix-l, IPv6 and IPv4; mix-l's status shows
 * three modern-or-legacy links by protocol.
 */
import { beforeAll, expect, test } from "bun:test";
import { nameToIpv6Text } from "../../src/addr/node-name.ts";
import { addNamespace, firstPing, link } from "../helpers/netns.ts";
import { NodeProc } from "../helpers/node-proc.ts";
import { nodeSuite } from "../helpers/suites.ts";

const PORT = 4600;
let nsA = "";
let nsB = "";
let nsO = "";
let L: NodeProc;

nodeSuite("netns", "modern and legacy links in one mesh", () => {
  beforeAll(async () => {
    nsA = addNamespace("ma");
    const nsL = addNamespace("ml");
    nsB = addNamespace("mb");
    nsO = addNamespace("mo");
    const [, lFromA] = link(nsA, nsL, 247);
    const [lFromB] = link(nsL, nsB, 248);
    const [lFromO] = link(nsL, nsO, 249);
    L = new NodeProc(
      "mix-l",
      {
        node_name: "mix-l",
        linux_tuntap: true,
        transports: [{ type: "tcp_listen", port: PORT, keys: ["mixed-key"], legacy: true }],
      },
      [],
      { netns: nsL },
    );
    await L.waitLog(/listening on/);
    const node = (name: string, ns: string, ipv4: string, transport: object) =>
      new NodeProc(name, { node_name: name, ipv4_addresses: [ipv4], linux_tuntap: true, transports: [transport] }, [], {
        netns: ns,
      });
    const A = node("mix-a", nsA, "10.99.6.1", { type: "tcp_connect", host: lFromA, port: PORT, key: "mixed-key" });
    const B = node("mix-b", nsB, "10.99.6.2", { type: "tcp_connect", host: lFromB, port: PORT, key: "mixed-key" });
    const O = node("mix-old", nsO, "10.99.6.3", {
      type: "legacy_tcp_connect",
      host: lFromO,
      port: PORT,
      key: "mixed-key",
      cipher: "speck",
    });
    for (const [n, others] of [
      [A, ["mix-b", "mix-old"]],
      [B, ["mix-a", "mix-old"]],
      [O, ["mix-a", "mix-b"]],
    ] as const) {
      for (const o of others) await n.waitLog(new RegExp(`route added: \\S+ \\(${o}\\)`), 15_000);
    }
  }, 60_000);

  test("the listener holds two modern links (named) and one legacy link", async () => {
    const s = await L.status();
    expect(s.links.map((l) => `${l.protocol}:${l.peerName ?? "-"}`).sort()).toEqual([
      "modern:mix-a",
      "modern:mix-b",
      "speck:-",
    ]);
  });

  test("pings cross modern to modern, IPv6 and IPv4", async () => {
    await firstPing(nsA, nameToIpv6Text("mix-b"), 5000);
    await firstPing(nsB, "10.99.6.1", 5000);
  });

  test("pings cross between the modern side and the legacy-only node, both ways", async () => {
    await firstPing(nsA, nameToIpv6Text("mix-old"), 5000);
    await firstPing(nsO, nameToIpv6Text("mix-a"), 5000);
    await firstPing(nsO, "10.99.6.2", 5000);
  });
});
