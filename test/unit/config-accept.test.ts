/** accept_ipv4 / accept_ipv6 in the config: defaults, mistakes named by their JSON path, warnings, and `check`. */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../src/cli/app.ts";
import { parseConfig } from "../../src/config/load.ts";

const base = { node_name: "n1", ipv4_addresses: ["10.99.0.1"] };
const dir = mkdtempSync(join(tmpdir(), "smolmesh-accept-"));

async function check(config: object): Promise<{ code: number; out: string; err: string }> {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(config));
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(["check", path], { out: (t) => out.push(t), err: (t) => err.push(t), color: false });
  return { code, out: out.join(""), err: err.join("").replaceAll(`${path}: `, "") };
}

describe("accept_ipv4 and accept_ipv6", () => {
  test("defaults: the private IPv4 ranges and fd00::/8, no warnings", () => {
    const r = parseConfig(JSON.stringify(base));
    expect(r).toMatchObject({ ok: true, warnings: [] });
    if (!r.ok) return;
    expect(r.config.accept_ipv4).toEqual(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"]);
    expect(r.config.accept_ipv6).toEqual(["fd00::/8"]);
  });

  test("check shows the effective ranges, written canonically", async () => {
    const r = await check({ ...base, accept_ipv4: ["10.99.0.0/16", "10.98.0.7"], accept_ipv6: ["FD00:0:0::/8"] });
    expect(r.code).toBe(0);
    expect(r.out).toContain("  floods may claim: IPv4 in 10.99.0.0/16, 10.98.0.7/32; IPv6 in fd00::/8\n");
    expect(r.out).toContain("never loopback, link-local, multicast, broadcast, unspecified or IPv4-mapped addresses");
    const none = await check({ ...base, accept_ipv4: [], ipv4_addresses: [] });
    expect(none.out).toContain("floods may claim: IPv4 in nothing; IPv6 in fd00::/8\n");
  });

  const bad: [string, object, string][] = [
    [
      "bits past the prefix",
      { accept_ipv4: ["10.0.0.0/8", "10.1.0.0/8"] },
      'accept_ipv4[1]: expected a range with no address bits set past its prefix length (the range that contains 10.1.0.0 is 10.0.0.0/8), got "10.1.0.0/8"',
    ],
    [
      "an IPv6 range in the IPv4 list",
      { accept_ipv4: ["fd00::/8"] },
      'accept_ipv4[0]: expected an IPv4 range like "10.0.0.0/8", not an IPv6 one (those go in accept_ipv6), got "fd00::/8"',
    ],
    [
      "a prefix too long",
      { accept_ipv6: ["fd00::/130"] },
      'accept_ipv6[0]: expected an IPv6 range like "fd00::/8" (an IPv6 address, "/", a prefix length from 0 to 128), got "fd00::/130"',
    ],
    [
      "not a list",
      { accept_ipv6: "fd00::/8" },
      'accept_ipv6: expected a list of IPv6 ranges, like ["fd00::/8"], got "fd00::/8"',
    ],
    [
      "a number",
      { accept_ipv4: [10] },
      'accept_ipv4[0]: expected an IPv4 range like "10.0.0.0/8" (a dotted quad, "/", a prefix length from 0 to 32), got 10',
    ],
  ];
  test.each(bad)("%s: refused with the JSON path, check exits 2", async (_name, fields, message) => {
    const r = parseConfig(JSON.stringify({ ...base, ...fields }));
    expect(r.ok ? [] : r.errors).toEqual([message]);
    const c = await check({ ...base, ...fields });
    expect(c.code).toBe(2);
    expect(c.err).toBe(`smolmesh: ${message}\n`);
  });

  test("warnings: an own IPv4 address these ranges refuse, and IPv6 ranges that leave out names' addresses", async () => {
    const r = parseConfig(
      JSON.stringify({
        ...base,
        ipv4_addresses: ["10.99.0.1", "203.0.113.5", "127.0.0.5"],
        accept_ipv6: ["fd00:1::/32"],
        colour: "blue",
      }),
    );
    expect(r.ok).toBe(true);
    expect(r.warnings).toEqual([
      "colour: unknown field, ignored",
      "ipv4_addresses[1]: 203.0.113.5 is outside accept_ipv4: a node with these settings refuses floods for it, so the mesh cannot reach this node there",
      "ipv4_addresses[2]: 127.0.0.5 is a loopback address: a node with these settings refuses floods for it, so the mesh cannot reach this node there",
      "accept_ipv6: no range holds fd00::/16, where every node name's address lies: name floods for addresses outside these ranges are refused",
    ]);
    const wide = parseConfig(JSON.stringify({ ...base, ipv4_addresses: ["203.0.113.5"], accept_ipv4: ["0.0.0.0/0"] }));
    expect(wide).toMatchObject({ ok: true, warnings: [] });
    const c = await check({ ...base, ipv4_addresses: ["203.0.113.5"] });
    expect(c.code).toBe(0);
    expect(c.err).toContain("smolmesh: warning: ipv4_addresses[0]: 203.0.113.5 is outside accept_ipv4");
  });
});
