/**
 * Node names in DNS, between two TUN nodes in namespaces (root only):
 *
 *   ns A ──veth 10.215.0.0/24── ns B
 *   dns-a (10.99.7.1)           dns-b (10.99.7.2)
 *   listens                     connects to A
 *   answers on [A's mesh IPv6]:53   answers on [B's mesh IPv6]:53
 *
 * dig in B asks B's own node for A's name (AAAA) and address (PTR), an
 * unknown name (NXDOMAIN) and B's own IPv4 (A); malformed datagrams get
 * FORMERR or nothing and the next query is answered; A's responder does
 * not answer B (only its own machine); `smolmesh resolve` prints what the
 * node answers; status shows the names; a reload changes the suffix and
 * turns the responder off at once.
 */
import { beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatIp } from "../../src/addr/format.ts";
import { nameToIpv6, nameToIpv6Text } from "../../src/addr/node-name.ts";
import { parseIpv4, parseIpv6 } from "../../src/addr/parse.ts";
import { ROOT, run } from "../helpers/binary.ts";
import { addNamespace, link } from "../helpers/netns.ts";
import { NodeProc, waitFor } from "../helpers/node-proc.ts";
import { nodeSuite } from "../helpers/suites.ts";

const PORT = 4215;
let nsA = "";
let nsB = "";
let A: NodeProc;
let B: NodeProc;
const ipA = nameToIpv6Text("dns-a");
const ipB = nameToIpv6Text("dns-b");

interface Dig {
  code: number;
  status: string | undefined;
  /** Each answer record's type and data, addresses in smolmesh's format. */
  answers: string[];
  flags: string;
}

/** dig in `ns` against `server`, one try; `args` as dig takes them. */
async function dig(ns: string, server: string, ...args: string[]): Promise<Dig> {
  const r = await run([
    "ip",
    "netns",
    "exec",
    ns,
    "dig",
    `@${server}`,
    "+tries=1",
    "+time=2",
    "+noall",
    "+answer",
    "+comments",
    ...args,
  ]);
  const answers = r.stdout
    .split("\n")
    .filter((l) => l.trim() && !l.startsWith(";"))
    .map((l) => {
      const f = l.trim().split(/\s+/);
      const data = f[f.length - 1] as string;
      const ip = parseIpv6(data) ?? parseIpv4(data);
      return `${f[3]} ${ip ? formatIp(ip) : data}`;
    });
  return {
    code: r.code,
    status: /status: (\w+)/.exec(r.stdout)?.[1],
    answers,
    flags: /flags: ([^;]*);/.exec(r.stdout)?.[1] ?? "",
  };
}

const cli = (...args: string[]) =>
  run([process.execPath, join(ROOT, "src/cli/main.ts"), ...args], { env: { NO_COLOR: "1" } });

const configB = (extra: object = {}) => ({
  node_name: "dns-b",
  ipv4_addresses: ["10.99.7.2"],
  linux_tuntap: true,
  interface_name: "dnsmesh0",
  ...(B ? { control_socket: B.controlSocket } : {}),
  transports: [{ type: "tcp_connect", host: "10.215.0.1", port: PORT, key: "dns-test" }],
  ...extra,
});

nodeSuite("netns", "node names in DNS", () => {
  beforeAll(async () => {
    nsA = addNamespace("da");
    nsB = addNamespace("db");
    link(nsA, nsB, 215);
    A = new NodeProc(
      "dns-a",
      {
        node_name: "dns-a",
        ipv4_addresses: ["10.99.7.1"],
        linux_tuntap: true,
        transports: [{ type: "tcp_listen", port: PORT, keys: ["dns-test"] }],
      },
      [],
      { netns: nsA },
    );
    await A.waitLog(/listening on/);
    B = new NodeProc("dns-b", configB(), [], { netns: nsB });
    await B.waitLog(/route added: \S+ \(dns-a\)/);
    await B.waitLog(/DNS: answering NAME\.mesh on \[[0-9a-f:]+\]:53/);
    await A.waitLog(/DNS: answering NAME\.mesh/);
  }, 30_000);

  test("dig in B resolves A's name through B's node: AAAA, and PTR of A's address", async () => {
    const aaaa = await dig(nsB, ipB, "dns-a.mesh", "AAAA");
    expect(aaaa.status).toBe("NOERROR");
    expect(aaaa.flags).toContain("aa");
    expect(aaaa.answers).toEqual([`AAAA ${ipA}`]);
    const ptr = await dig(nsB, ipB, "-x", ipA);
    expect(ptr.status).toBe("NOERROR");
    expect(ptr.answers).toEqual(["PTR dns-a.mesh."]);
    // names in any case; B's own name and IPv4
    expect((await dig(nsB, ipB, "DNS-A.Mesh", "AAAA")).answers).toEqual([`AAAA ${ipA}`]);
    expect((await dig(nsB, ipB, "dns-b.mesh", "A")).answers).toEqual(["A 10.99.7.2"]);
    expect((await dig(nsB, ipB, "-x", "10.99.7.2")).answers).toEqual(["PTR dns-b.mesh."]);
  });

  test("unknown names get NXDOMAIN; other nodes' A is no data; names outside the suffix are refused", async () => {
    const nx = await dig(nsB, ipB, "nobody.mesh", "AAAA");
    expect(nx.status).toBe("NXDOMAIN");
    expect(nx.answers).toEqual([]);
    expect((await dig(nsB, ipB, "-x", nameToIpv6Text("nobody"))).status).toBe("NXDOMAIN");
    const noA = await dig(nsB, ipB, "dns-a.mesh", "A");
    expect(noA.status).toBe("NOERROR");
    expect(noA.answers).toEqual([]);
    expect((await dig(nsB, ipB, "example.com", "A")).status).toBe("REFUSED");
  });

  test("malformed datagrams get FORMERR or nothing, and the next query is still answered", async () => {
    const r = await run([
      "ip",
      "netns",
      "exec",
      nsB,
      process.execPath,
      join(ROOT, "test/helpers/dns-garbage.ts"),
      ipB,
      "53",
    ]);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as { kind: string; reply: string | null; nextAnswered: boolean }[];
    const by = Object.fromEntries(res.map((x) => [x.kind, x]));
    for (const x of res)
      expect({ kind: x.kind, nextAnswered: x.nextAnswered }).toEqual({ kind: x.kind, nextAnswered: true });
    expect(by.empty?.reply).toBeNull();
    expect(by["truncated header"]?.reply).toBeNull();
    expect(by["header only, one question promised"]?.reply).toBe("FORMERR");
    expect(by["huge counts"]?.reply).toBe("FORMERR");
    expect(by["compression loop"]?.reply).toBe("FORMERR");
    expect(by["a response"]?.reply).toBeNull();
    const s = await B.status();
    expect(s.dns?.stats?.formerr).toBeGreaterThanOrEqual(3);
    expect((await dig(nsB, ipB, "dns-a.mesh", "AAAA")).answers).toEqual([`AAAA ${ipA}`]);
  }, 30_000);

  test("a node answers its own machine only: B asking A's responder across the mesh gets nothing", async () => {
    const before = (await A.status()).dns?.stats?.notLocal ?? 0;
    const r = await dig(nsB, ipA, "dns-a.mesh", "AAAA");
    expect(r.status).toBeUndefined(); // no reply
    expect(r.code).toBe(9); // dig: no reply from server
    expect((await A.status()).dns?.stats?.notLocal).toBeGreaterThan(before);
  });

  test("smolmesh resolve prints what the node answers; status shows names beside addresses", async () => {
    const r = await cli("resolve", "dns-a", "--socket", B.controlSocket);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`dns-a.mesh  AAAA  ${ipA}`);
    expect(r.stdout).toContain("dns-a.mesh  A     (no such record)");
    const ptr = await cli("resolve", ipA, "--socket", B.controlSocket);
    expect(ptr.stdout).toMatch(/PTR\s+dns-a\.mesh/);
    const own = await cli("resolve", "dns-b.mesh", "--socket", B.controlSocket);
    expect(own.stdout).toContain("dns-b.mesh  A     10.99.7.2");
    const nx = await cli("resolve", "nobody", "--socket", B.controlSocket);
    expect(nx.code).toBe(1);
    expect(nx.stdout).toContain("nobody.mesh  AAAA  NXDOMAIN");
    expect(nx.stderr).toContain("nobody: no answer");

    const s = await B.status();
    expect(s.node.dnsName).toBe("dns-b.mesh");
    expect(s.routes.find((x) => x.name === "dns-a")?.dnsName).toBe("dns-a.mesh");
    const table = await cli("status", "--socket", B.controlSocket);
    expect(table.stdout).toContain(`${ipB} (dns-b.mesh)`);
    expect(table.stdout).toMatch(new RegExp(`${ipA}.*dns-a\\.mesh`));
    expect(table.stdout).toMatch(/DNS {5}NAME\.mesh on \[/);
    const prom = await cli("status", "--prometheus", "--socket", B.controlSocket);
    expect(prom.stdout).toMatch(/smolmesh_dns_queries_total\{node="dns-b",outcome="nxdomain"\} [1-9]/);
  });

  test("in a namespace of its own the node leaves systemd-resolved alone and says what to do instead", () => {
    expect(B.log).toMatch(
      /DNS: not registered with systemd-resolved \(this node runs in a network namespace of its own.*\); to use it, put "nameserver fd[0-9a-f:]+" first in \/etc\/resolv\.conf/,
    );
  });

  test("reload: a new suffix answers at once, and dns false stops answering", async () => {
    writeFileSync(B.configPath, JSON.stringify(configB({ dns: { suffix: "corp" } })));
    const r = await cli("reload", "--socket", B.controlSocket);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("dns: answering NAME.corp on");
    await waitFor(async () => (await dig(nsB, ipB, "dns-a.corp", "AAAA")).answers.length === 1, 5000, "dns-a.corp");
    expect((await dig(nsB, ipB, "dns-a.corp", "AAAA")).answers).toEqual([`AAAA ${ipA}`]);
    expect((await dig(nsB, ipB, "dns-a.mesh", "AAAA")).status).toBe("REFUSED");
    expect((await dig(nsB, ipB, "-x", ipA)).answers).toEqual(["PTR dns-a.corp."]);

    writeFileSync(B.configPath, JSON.stringify(configB({ dns: false })));
    const off = await cli("reload", "--socket", B.controlSocket);
    expect(off.stdout).toContain("dns: off");
    expect((await dig(nsB, ipB, "dns-a.corp", "AAAA")).status).toBeUndefined();
    expect((await B.status()).dns).toBeNull();
    // the mesh itself was never touched
    expect((await B.status()).links.filter((l) => l.state === "up").length).toBe(1);
    expect(formatIp(nameToIpv6("dns-a"))).toBe(ipA);
  }, 30_000);
});
