/**
 * A line of three TUN nodes where only B links to both (root only).
 *
 *   ns A ──veth 10.211.0.0/24── ns B ──veth 10.212.0.0/24── ns C
 *   line-a (10.99.2.1)          line-b (listens)         line-c (10.99.2.3)
 *   connects to B                                         connects to B
 *
 * A reaches C through B for IPv4 and IPv6, and 50 MB over TCP arrive
 * intact (SHA-256 compared).
 */
import { beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { nameToIpv6Text } from "../../src/addr/node-name.ts";
import { ROOT } from "../helpers/binary.ts";
import { addNamespace, firstPing, link } from "../helpers/netns.ts";
import { NodeProc } from "../helpers/node-proc.ts";
import { nodeSuite } from "../helpers/suites.ts";

const PORT = 4200;
let nsA = "";
let nsB = "";
let nsC = "";

nodeSuite("netns", "a line of three TUN nodes", () => {
  beforeAll(async () => {
    nsA = addNamespace("la");
    nsB = addNamespace("lb");
    nsC = addNamespace("lc");
    const [, bFromA] = link(nsA, nsB, 211);
    const [bFromC] = link(nsB, nsC, 212);
    const B = new NodeProc(
      "line-b",
      {
        node_name: "line-b",
        linux_tuntap: true,
        transports: [{ type: "legacy_tcp_listen", port: PORT, keys: ["line"] }],
      },
      [],
      { netns: nsB },
    );
    await B.waitLog(/listening on/);
    const A = new NodeProc(
      "line-a",
      {
        node_name: "line-a",
        ipv4_addresses: ["10.99.2.1"],
        linux_tuntap: true,
        transports: [{ type: "legacy_tcp_connect", host: bFromA, port: PORT, key: "line" }],
      },
      [],
      { netns: nsA },
    );
    const C = new NodeProc(
      "line-c",
      {
        node_name: "line-c",
        ipv4_addresses: ["10.99.2.3"],
        linux_tuntap: true,
        transports: [{ type: "legacy_tcp_connect", host: bFromC, port: PORT, key: "line" }],
      },
      [],
      { netns: nsC },
    );
    await A.waitLog(/route added: \S+ \(line-c\)/);
    await C.waitLog(/route added: \S+ \(line-a\)/);
  }, 30_000);

  test("A reaches C through B over IPv6 and IPv4", async () => {
    await firstPing(nsA, nameToIpv6Text("line-c"), 5000);
    await firstPing(nsA, "10.99.2.3", 5000);
    await firstPing(nsC, nameToIpv6Text("line-a"), 5000);
    await firstPing(nsC, "10.99.2.1", 5000);
  });

  test.each([
    ["IPv6", () => nameToIpv6Text("line-c")],
    ["IPv4", () => "10.99.2.3"],
  ])(
    "50 MB over TCP from A to C via B arrive intact (%s)",
    async (_family, target) => {
      const blast = join(ROOT, "test/helpers/tcp-blast.ts");
      const server = Bun.spawn(["ip", "netns", "exec", nsC, process.execPath, blast, "serve", target(), "5001"], {
        stdout: "pipe",
      });
      const reader = server.stdout.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(first).toContain("listening");
      const t0 = performance.now();
      const sender = Bun.spawn(
        ["ip", "netns", "exec", nsA, process.execPath, blast, "send", target(), "5001", String(50 * 1024 * 1024)],
        { stdout: "pipe" },
      );
      const [sent, code] = await Promise.all([new Response(sender.stdout).text(), sender.exited]);
      expect(code).toBe(0);
      let rest = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        rest += new TextDecoder().decode(value);
      }
      await server.exited;
      const got = JSON.parse(rest.trim() || first.replace("listening", "").trim());
      const want = JSON.parse(sent);
      const secs = (performance.now() - t0) / 1000;
      console.log(
        `${_family}: 50 MB in ${secs.toFixed(2)} s (${((want.bytes * 8) / secs / 1e6).toFixed(0)} Mbit/s, 2 hops)`,
      );
      expect(got).toEqual(want);
      expect(want.bytes).toBe(50 * 1024 * 1024);
    },
    120_000,
  );
});
