/**
 * Both generations of smolmesh2's legacy transport in one mesh (root only).
 *
 *   ns X ──veth 10.245.0.0/24── ns L ──veth 10.246.0.0/24── ns Y
 *   gen-x: cipher "speck"      gen-l: listens, answers both     gen-y: cipher "gimli"
 *
 * Floods and data pass between X and Y through L; L's status shows one
 * link of each generation.
 */
import { beforeAll, expect, test } from "bun:test";
import { nameToIpv6Text } from "../../src/addr/node-name.ts";
import { addNamespace, firstPing, link } from "../helpers/netns.ts";
import { NodeProc } from "../helpers/node-proc.ts";
import { nodeSuite } from "../helpers/suites.ts";

let X: NodeProc;
let Y: NodeProc;
let L: NodeProc;
let nsX = "";
let nsY = "";

nodeSuite("netns", "a SPECK client and a Gimli client through one listener", () => {
  beforeAll(async () => {
    nsX = addNamespace("gx");
    const nsL = addNamespace("gl");
    nsY = addNamespace("gy");
    const [, lFromX] = link(nsX, nsL, 245);
    const [lFromY] = link(nsL, nsY, 246);
    L = new NodeProc(
      "gen-l",
      {
        node_name: "gen-l",
        linux_tuntap: true,
        transports: [{ type: "legacy_tcp_listen", port: 4500, keys: ["gen"] }],
      },
      [],
      { netns: nsL },
    );
    await L.waitLog(/listening on/);
    const client = (name: string, host: string, cipher: string, ns: string, ipv4: string) =>
      new NodeProc(
        name,
        {
          node_name: name,
          ipv4_addresses: [ipv4],
          linux_tuntap: true,
          transports: [{ type: "legacy_tcp_connect", host, port: 4500, key: "gen", cipher }],
        },
        [],
        { netns: ns },
      );
    X = client("gen-x", lFromX, "speck", nsX, "10.99.5.1");
    Y = client("gen-y", lFromY, "gimli", nsY, "10.99.5.2");
    await X.waitLog(/route added: \S+ \(gen-y\)/);
    await Y.waitLog(/route added: \S+ \(gen-x\)/);
  }, 30_000);

  test("floods crossed: each client learned the other's name and IPv4 through the listener", async () => {
    await X.waitLog(/route added: 10\.99\.5\.2 via link/);
    await Y.waitLog(/route added: 10\.99\.5\.1 via link/);
  });

  test("data crosses both ways, IPv6 and IPv4", async () => {
    await firstPing(nsX, nameToIpv6Text("gen-y"), 5000);
    await firstPing(nsY, nameToIpv6Text("gen-x"), 5000);
    await firstPing(nsX, "10.99.5.2", 5000);
  });

  test("the listener's status shows one link of each generation", async () => {
    const s = await L.status();
    expect(s.links.map((l) => l.protocol).sort()).toEqual(["gimli", "speck"]);
  });
});
