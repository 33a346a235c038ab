/**
 * Telling the machine's resolver about the DNS responder. With
 * systemd-resolved running: `resolvectl dns IFACE ADDR` and `resolvectl
 * domain IFACE ~SUFFIX ~0.0.d.f.ip6.arpa` make it send names under the
 * suffix, and reverse lookups of node addresses, to the responder on the
 * TUN device (routing-only domains: nothing else goes there), and
 * `resolvectl revert IFACE` takes that back on exit (resolved also forgets
 * a link's settings when the device goes). Without resolved, the caller
 * logs what to put in resolv.conf (`hint`).
 *
 * resolved serves the machine's main network namespace; a node running in
 * another one (a container without its own resolved, a test namespace)
 * must not configure it: the interface index it would pass names some
 * other device there. So registration only happens where this process
 * shares the network namespace of PID 1, or, where PID 1's is not ours to
 * read (no CAP_SYS_PTRACE), is in none of the namespaces `ip netns` made
 * (/run/netns).
 */
import { readdirSync, readlinkSync, statSync } from "node:fs";
import { formatIp } from "../addr/format.ts";
import { REVERSE_ZONE } from "../dns/names.ts";
import type { SocketAddress } from "../reactor/net-api.ts";

export interface CommandResult {
  code: number;
  output: string;
}

export interface ResolvedDeps {
  /** Runs a command to its end (resolvectl). */
  run(argv: string[], timeoutMs: number): Promise<CommandResult>;
  runSync(argv: string[], timeoutMs: number): CommandResult;
  /** Where resolvectl is, if anywhere. */
  which(cmd: string): string | undefined;
  /** Whether this process is in the network namespace systemd-resolved serves. */
  inMainNamespace(): boolean;
}

const TIMEOUT_MS = 5000;

function inMainNamespace(): boolean {
  try {
    return readlinkSync("/proc/self/ns/net") === readlinkSync("/proc/1/ns/net");
  } catch {
    // PID 1's namespace is not ours to read: ours must then be none of the named ones
    const own = statSync("/proc/self/ns/net").ino;
    let named: string[] = [];
    try {
      named = readdirSync("/run/netns");
    } catch {
      return true; // no named namespaces at all
    }
    return !named.some((n) => {
      try {
        return statSync(`/run/netns/${n}`).ino === own;
      } catch {
        return false; // deleted meanwhile
      }
    });
  }
}

export const systemDeps: ResolvedDeps = {
  async run(argv, timeoutMs) {
    const p = Bun.spawn(argv, { stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: timeoutMs });
    const [out, err, code] = await Promise.all([
      new Response(p.stdout).text(),
      new Response(p.stderr).text(),
      p.exited,
    ]);
    return { code, output: `${err}${out}`.trim() };
  },
  runSync(argv, timeoutMs) {
    const p = Bun.spawnSync(argv, { stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: timeoutMs });
    return { code: p.exitCode ?? 1, output: `${p.stderr.toString()}${p.stdout.toString()}`.trim() };
  },
  which: (cmd) => Bun.which(cmd) ?? undefined,
  inMainNamespace,
};

/** The server as resolvectl takes it: the address, or [address]:port off port 53. */
export function serverText(at: SocketAddress): string {
  const ip = formatIp(at.ip);
  if (at.port === 53) return ip;
  return at.ip.length === 16 ? `[${ip}]:${at.port}` : `${ip}:${at.port}`;
}

/** Registers the responder for `suffix` on `iface`; resolves to undefined when done, else why not. */
export async function registerResolved(
  iface: string,
  at: SocketAddress,
  suffix: string,
  deps: ResolvedDeps = systemDeps,
): Promise<string | undefined> {
  if (process.platform !== "linux") return "systemd-resolved runs on Linux only";
  if (!deps.inMainNamespace())
    return "this node runs in a network namespace of its own, and systemd-resolved serves the main one";
  const resolvectl = deps.which("resolvectl");
  if (!resolvectl) return "resolvectl is not installed";
  for (const args of [
    ["dns", iface, serverText(at)],
    ["domain", iface, `~${suffix}`, `~${REVERSE_ZONE}`],
  ]) {
    const r = await deps.run([resolvectl, ...args], TIMEOUT_MS);
    if (r.code !== 0) return `resolvectl ${args[0]}: ${r.output || `exit code ${r.code}`}`;
  }
  return undefined;
}

/** Takes the registration back (on exit and before a new one); an error message, or undefined. */
export function revertResolved(iface: string, deps: ResolvedDeps = systemDeps): string | undefined {
  const resolvectl = deps.which("resolvectl");
  if (!resolvectl) return "resolvectl is not installed";
  const r = deps.runSync([resolvectl, "revert", iface], TIMEOUT_MS);
  return r.code === 0 ? undefined : `resolvectl revert: ${r.output || `exit code ${r.code}`}`;
}

/** What to do by hand when resolved is not there: one line for the log. */
export function hint(at: SocketAddress, suffix: string, platform: string = process.platform): string {
  const ip = formatIp(at.ip);
  if (platform === "win32")
    return `to use it, run (PowerShell, as Administrator): Add-DnsClientNrptRule -Namespace ".${suffix}" -NameServers "${ip}"${at.port === 53 ? "" : ` (Windows asks port 53 only: leave dns.listen unset)`}`;
  if (at.port !== 53)
    return `to use it, point a forwarding resolver at ${serverText(at)} for ${suffix} (resolv.conf takes port 53 only)`;
  return `to use it, put "nameserver ${ip}" first in /etc/resolv.conf (other names are refused there, so the resolver asks the next server)`;
}
