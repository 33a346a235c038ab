/** Config validation: the original's format, our defaults, and every mistake named by its JSON path. */

import { describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nameToIpv6Text } from "../../src/addr/node-name.ts";
import { type CliIo, runCli } from "../../src/cli/app.ts";
import { parseConfig } from "../../src/config/load.ts";
import { configSchema, tunName } from "../../src/config/schema.ts";

const base = {
  node_name: "n1",
  ipv4_addresses: ["10.0.0.1"],
  transports: [
    { type: "legacy_tcp_listen", port: 4040, keys: ["a", "b"] },
    { type: "legacy_tcp_connect", host: "example.net", port: 4040, key: "a" },
  ],
};

describe("valid configs", () => {
  test("the original's format parses, with our defaults filled in", () => {
    const r = parseConfig(JSON.stringify({ ...base, linux_tuntap: false }));
    expect(r).toMatchObject({ ok: true, warnings: [] });
    if (!r.ok) return;
    expect(r.config.interface_name).toBeUndefined();
    expect(tunName(r.config, "linux")).toBe("smolmesh1");
    expect(tunName(r.config, "win32")).toBe(`smolmesh-${r.config.node_name}`);
    expect(tunName({ ...r.config, interface_name: "mesh0" }, "win32")).toBe("mesh0");
    expect(r.config.log_level).toBe("info");
    expect(r.config.transports[0]).toMatchObject({ bind: "::" });
    expect(r.config.transports[1]).toMatchObject({ cipher: "speck" });
  });

  test("modern transports parse, with bind and legacy defaulted", () => {
    const r = parseConfig(
      JSON.stringify({
        ...base,
        transports: [
          { type: "tcp_listen", port: 4041, keys: ["k"] },
          { type: "tcp_connect", host: "relay.example.net", port: 4041, key: "k" },
        ],
      }),
    );
    expect(r).toMatchObject({ ok: true, warnings: [] });
    if (!r.ok) return;
    expect(r.config.transports[0]).toEqual({ type: "tcp_listen", port: 4041, keys: ["k"], bind: "::", legacy: false });
  });

  test("config.example.json is valid", async () => {
    const text = await Bun.file(join(import.meta.dir, "../../config.example.json")).text();
    expect(parseConfig(text)).toMatchObject({ ok: true, warnings: [] });
  });

  test("config.example.json documents every field with a // comment", async () => {
    const example = JSON.parse(await Bun.file(join(import.meta.dir, "../../config.example.json")).text());
    for (const field of Object.keys(configSchema.shape)) {
      expect(example).toHaveProperty(`//${field}`);
      expect(example).toHaveProperty(field);
    }
  });

  test("dns: on by default with suffix mesh; false, true or settings (suffix lowercased)", () => {
    const dns = (d: unknown) => {
      const r = parseConfig(JSON.stringify(d === undefined ? base : { ...base, dns: d }));
      if (!r.ok) throw new Error(r.errors.join("; "));
      return r.config.dns;
    };
    expect(dns(undefined)).toEqual({ enabled: true, suffix: "mesh" });
    expect(dns(false)).toEqual({ enabled: false, suffix: "mesh" });
    expect(dns({ suffix: "Corp.Example" })).toEqual({ enabled: true, suffix: "corp.example" });
    expect(dns({ enabled: false, listen: "[::1]:5353" })).toEqual({
      enabled: false,
      suffix: "mesh",
      listen: "[::1]:5353",
    });
  });

  test("unknown fields are warnings with their path, and the node still starts", () => {
    const r = parseConfig(
      JSON.stringify({ ...base, colour: "blue", transports: [{ ...base.transports[0], extra: 1 }] }),
    );
    expect(r.ok).toBe(true);
    expect(r.warnings).toEqual(["transports[0].extra: unknown field, ignored", "colour: unknown field, ignored"]);
  });
});

const bad: [string, unknown, RegExp][] = [
  ["not JSON", "{node_name:", /^not valid JSON/],
  ["an array", "[]", /expected a JSON object at the top level/],
  ["no name", { transports: [] }, /^node_name: expected the node's name as a string, got nothing/],
  ["empty name", { node_name: "" }, /^node_name: expected a non-empty node name, got ""/],
  [
    "port as text",
    { ...base, transports: [{ type: "legacy_tcp_listen", port: "4040", keys: ["a"] }] },
    /^transports\[0\]\.port: expected a port number .*, got "4040"/,
  ],
  [
    "port 0",
    { ...base, transports: [{ type: "legacy_tcp_listen", port: 0, keys: ["a"] }] },
    /^transports\[0\]\.port: expected a port number/,
  ],
  [
    "port too big",
    { ...base, transports: [{ type: "legacy_tcp_connect", host: "h", port: 70000, key: "a" }] },
    /^transports\[0\]\.port: .* got 70000/,
  ],
  [
    "misspelt type",
    { ...base, transports: [{ type: "legacy_tcp_lisen", port: 1, keys: ["a"] }] },
    /^transports\[0\]\.type: expected one of "tcp_connect", "tcp_listen", "legacy_tcp_connect", "legacy_tcp_listen", got "legacy_tcp_lisen"/,
  ],
  [
    "no keys",
    { ...base, transports: [{ type: "legacy_tcp_listen", port: 1, keys: [] }] },
    /^transports\[0\]\.keys: expected at least one key/,
  ],
  [
    "key as number",
    { ...base, transports: [{ type: "legacy_tcp_connect", host: "h", port: 1, key: 5 }] },
    /^transports\[0\]\.key: expected a shared key as a string, got 5/,
  ],
  [
    "no host",
    { ...base, transports: [{ type: "legacy_tcp_connect", port: 1, key: "k" }] },
    /^transports\[0\]\.host: expected a host name or IP address, got nothing/,
  ],
  [
    "short IPv4",
    { ...base, ipv4_addresses: ["10.1"] },
    /^ipv4_addresses\[0\]: expected an IPv4 address in dotted-quad form/,
  ],
  ["tuntap as text", { ...base, linux_tuntap: "yes" }, /^linux_tuntap: expected true or false, got "yes"/],
  [
    "bad bind",
    { ...base, transports: [{ type: "legacy_tcp_listen", port: 1, keys: ["k"], bind: "everywhere" }] },
    /^transports\[0\]\.bind: expected an IPv4 or IPv6 address/,
  ],
  [
    "long interface name",
    { ...base, interface_name: "a-very-long-interface" },
    /^interface_name: expected an interface name of 1-15/,
  ],
  [
    "unknown cipher",
    { ...base, transports: [{ type: "legacy_tcp_connect", host: "h", port: 1, key: "k", cipher: "aes" }] },
    /^transports\[0\]\.cipher: expected "speck" or "gimli", got "aes"/,
  ],
  [
    "empty modern key",
    { ...base, transports: [{ type: "tcp_connect", host: "h", port: 1, key: "" }] },
    /^transports\[0\]\.key: expected a non-empty shared key, got ""/,
  ],
  [
    "legacy flag as text",
    { ...base, transports: [{ type: "tcp_listen", port: 1, keys: ["a"], legacy: "yes" }] },
    /^transports\[0\]\.legacy: expected true or false, got "yes"/,
  ],
  [
    "a node name too long for the modern handshake",
    { ...base, node_name: "n".repeat(1000), transports: [{ type: "tcp_listen", port: 1, keys: ["a"] }] },
    /^node_name: expected a node name of at most 960 bytes as JSON/,
  ],
  ["bad log level", { ...base, log_level: "loud" }, /^log_level: expected one of error, warn, info, debug, got "loud"/],
  ["dns as text", { ...base, dns: "on" }, /^dns: expected true, false, or settings like/],
  ["dns suffix with a space", { ...base, dns: { suffix: "my mesh" } }, /^dns\.suffix: expected a DNS suffix/],
  ["dns suffix ending in a dot", { ...base, dns: { suffix: "mesh." } }, /^dns\.suffix: expected a DNS suffix/],
  [
    "dns listen without a port",
    { ...base, dns: { listen: "127.0.0.1" } },
    /^dns\.listen: expected an IP address and port/,
  ],
];

describe("config mistakes are refused with the JSON path", () => {
  const dir = mkdtempSync(join(tmpdir(), "smolmesh-bad-"));
  test.each(bad)("%s: smolmesh check exits 2 naming the file and field", async (name, input, msg) => {
    const text = typeof input === "string" ? input : JSON.stringify(input);
    const r = parseConfig(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors[0]).toMatch(msg);
    const path = join(dir, `${name.replace(/\W/g, "-")}.json`);
    writeFileSync(path, text);
    const err: string[] = [];
    const out: string[] = [];
    const code = await runCli(["check", path], { out: (t) => out.push(t), err: (t) => err.push(t), color: false });
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err.join("")).toContain(`smolmesh: ${path}: ${r.errors[0]}`);
  });

  test("every mistake is reported at once", () => {
    const r = parseConfig(JSON.stringify({ node_name: 1, ipv4_addresses: ["x"], linux_tuntap: 3 }));
    expect(r.ok ? [] : r.errors).toHaveLength(3);
  });

  test("meshnode refuses a bad config before starting anything: exit 2, the file and the field named", async () => {
    const dir = mkdtempSync(join(tmpdir(), "smolmesh-cfg-"));
    const path = join(dir, "config.json");
    writeFileSync(
      path,
      JSON.stringify({ ...base, transports: [{ type: "legacy_tcp_listen", port: "x", keys: ["a"] }] }),
    );
    const err: string[] = [];
    const io: CliIo = { out: () => {}, err: (t) => err.push(t), color: false };
    expect(await runCli(["meshnode", path], io)).toBe(2);
    expect(err.join("")).toContain(`smolmesh: ${path}: transports[0].port: expected a port number`);
    expect(await runCli(["meshnode", join(dir, "missing.json")], io)).toBe(2);
    expect(err.join("")).toMatch(/cannot read config .*missing\.json: ENOENT/);
  });
});

describe("keys", () => {
  const cli = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t), color: false });
    return { code, out: out.join(""), err: err.join("") };
  };

  test("make-key prints 32 random bytes as base64url without padding", async () => {
    const [a, b] = [await cli("make-key"), await cli("make-key")];
    expect(a.code).toBe(0);
    expect(a.out).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    expect(Buffer.from(a.out.trim(), "base64url").length).toBe(32);
    expect(a.out).not.toBe(b.out);
  });

  test("check and meshnode warn when a config with keys is readable by other users; not when it is 0600", async () => {
    const dir = mkdtempSync(join(tmpdir(), "smolmesh-mode-"));
    const path = join(dir, "config.json");
    writeFileSync(path, JSON.stringify(base));
    for (const [mode, want] of [
      [0o644, /readable by every user \(mode 0644\).*chmod 600/],
      [0o640, /readable by its group \(mode 0640\)/],
    ] as const) {
      chmodSync(path, mode);
      const r = await cli("check", path);
      expect(r.code).toBe(0);
      expect(r.err).toMatch(want);
    }
    chmodSync(path, 0o600);
    expect((await cli("check", path)).err).toBe("");
    writeFileSync(path, JSON.stringify({ ...base, transports: [] }));
    chmodSync(path, 0o644);
    expect((await cli("check", path)).err).toBe(""); // no keys, nothing to protect
  });

  test("check lists each link with its protocol", async () => {
    const dir = mkdtempSync(join(tmpdir(), "smolmesh-check-"));
    const path = join(dir, "config.json");
    writeFileSync(
      path,
      JSON.stringify({
        ...base,
        transports: [
          { type: "tcp_listen", port: 4041, keys: ["a", "b"], legacy: true },
          { type: "tcp_connect", host: "fd00::1", port: 4041, key: "a" },
          ...base.transports,
        ],
      }),
      { mode: 0o600 },
    );
    const r = await cli("check", path);
    expect(r.out).toContain("listen on [::]:4041: modern and legacy, 2 keys");
    expect(r.out).toContain("connect to [fd00::1]:4041: modern");
    expect(r.out).toContain("listen on [::]:4040: legacy (SPECK and Gimli), 2 keys");
    expect(r.out).toContain("connect to example.net:4040: legacy (SPECK)");
  });

  test("check shows where a TUN node answers DNS", async () => {
    const dir = mkdtempSync(join(tmpdir(), "smolmesh-check-"));
    const path = join(dir, "config.json");
    const tun = process.platform === "win32" ? "windows_tuntap" : "linux_tuntap";
    const check = async (extra: object) => {
      writeFileSync(path, JSON.stringify({ ...base, transports: [], [tun]: true, ...extra }), { mode: 0o600 });
      return (await cli("check", path)).out;
    };
    expect(await check({})).toContain(
      `dns: NAME.mesh on [${nameToIpv6Text(base.node_name).replace(/:0+(?=[0-9a-f])/g, ":")}]:53`,
    );
    expect(await check({ dns: { suffix: "corp", listen: "127.0.0.1:5353" } })).toContain(
      "dns: NAME.corp on 127.0.0.1:5353",
    );
    expect(await check({ dns: false })).toContain("dns: off");
    expect(await check({ [tun]: false })).not.toContain("dns:");
  });
});
