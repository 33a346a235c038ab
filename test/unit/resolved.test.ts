/**
 * Registration with systemd-resolved, with the commands recorded instead
 * of run: which resolvectl calls a node makes, when it makes none, and
 * what it tells the operator instead.
 */
import { describe, expect, test } from "bun:test";
import { nameToIpv6, nameToIpv6Text } from "../../src/addr/node-name.ts";
import { hint, type ResolvedDeps, registerResolved, revertResolved, serverText } from "../../src/node/resolved.ts";

function fake(opts: { main?: boolean; installed?: boolean; fail?: string } = {}) {
  const calls: string[][] = [];
  const deps: ResolvedDeps = {
    async run(argv) {
      calls.push(argv);
      return argv[1] === opts.fail
        ? { code: 1, output: "Failed to set DNS configuration: Unit dbus-org.freedesktop.resolve1.service not found." }
        : { code: 0, output: "" };
    },
    runSync(argv) {
      calls.push(argv);
      return { code: 0, output: "" };
    },
    which: (cmd) => (opts.installed === false ? undefined : `/usr/bin/${cmd}`),
    inMainNamespace: () => opts.main ?? true,
  };
  return { deps, calls };
}

const at = { ip: nameToIpv6("laptop"), port: 53 };
const ip = nameToIpv6Text("laptop");

describe.skipIf(process.platform !== "linux")("systemd-resolved", () => {
  test("running: the TUN device gets the responder as its DNS server and ~SUFFIX and the reverse zone as routing domains", async () => {
    const { deps, calls } = fake();
    expect(await registerResolved("smolmesh1", at, "mesh", deps)).toBeUndefined();
    expect(calls).toEqual([
      ["/usr/bin/resolvectl", "dns", "smolmesh1", ip],
      ["/usr/bin/resolvectl", "domain", "smolmesh1", "~mesh", "~0.0.d.f.ip6.arpa"],
    ]);
    expect(revertResolved("smolmesh1", deps)).toBeUndefined();
    expect(calls[2]).toEqual(["/usr/bin/resolvectl", "revert", "smolmesh1"]);
  });

  test("not running: the first call's error is the reason, and nothing more is tried", async () => {
    const { deps, calls } = fake({ fail: "dns" });
    expect(await registerResolved("smolmesh1", at, "mesh", deps)).toMatch(/^resolvectl dns: Failed to set DNS/);
    expect(calls.length).toBe(1);
  });

  test("another network namespace, or no resolvectl: no call at all", async () => {
    const other = fake({ main: false });
    expect(await registerResolved("smolmesh1", at, "mesh", other.deps)).toMatch(/network namespace of its own/);
    expect(other.calls).toEqual([]);
    const none = fake({ installed: false });
    expect(await registerResolved("smolmesh1", at, "mesh", none.deps)).toBe("resolvectl is not installed");
    expect(none.calls).toEqual([]);
  });

  test("a port other than 53 is written as resolvectl takes it; the hints name what to do", () => {
    expect(serverText({ ip: at.ip, port: 5353 })).toBe(`[${ip}]:5353`);
    expect(serverText({ ip: Uint8Array.of(127, 0, 0, 1), port: 5353 })).toBe("127.0.0.1:5353");
    expect(hint(at, "mesh", "linux")).toBe(
      `to use it, put "nameserver ${ip}" first in /etc/resolv.conf (other names are refused there, so the resolver asks the next server)`,
    );
    expect(hint({ ip: at.ip, port: 5353 }, "mesh", "linux")).toMatch(
      /forwarding resolver.*resolv\.conf takes port 53 only/,
    );
    expect(hint(at, "mesh", "win32")).toBe(
      `to use it, run (PowerShell, as Administrator): Add-DnsClientNrptRule -Namespace ".mesh" -NameServers "${ip}"`,
    );
  });
});
