/**
 * Network namespaces and veth pairs for data-plane tests (root only). Names
 * carry a per-run prefix; `cleanup()` deletes every namespace this run made
 * (which also removes their veths and TUN devices) and is safe to call
 * twice. Addresses are 10.2xx.y.z inside the namespaces only.
 */
import { spawnSync } from "node:child_process";

const PREFIX = `smt${process.pid % 100000}`;
const made: string[] = [];
let counter = 0;

export const isRoot = process.getuid?.() === 0;

export function sh(cmd: string[], opts: { ns?: string; allowFail?: boolean } = {}): string {
  const full = opts.ns ? ["ip", "netns", "exec", opts.ns, ...cmd] : cmd;
  const r = spawnSync(full[0] as string, full.slice(1), { encoding: "utf8" });
  if (r.status !== 0 && !opts.allowFail) {
    throw new Error(`${full.join(" ")} failed (${r.status}): ${r.stderr || r.stdout}`);
  }
  return r.stdout;
}

export function addNamespace(label: string): string {
  const name = `${PREFIX}-${label}-${counter++}`;
  sh(["ip", "netns", "add", name]);
  made.push(name);
  sh(["ip", "link", "set", "lo", "up"], { ns: name });
  return name;
}

/** A veth pair between two namespaces with 10.<subnet>.0.1/24 and .2/24. Returns the two addresses. */
export function link(a: string, b: string, subnet: number): [string, string] {
  const ia = `va${counter}`;
  const ib = `vb${counter++}`;
  sh(["ip", "link", "add", ia, "netns", a, "type", "veth", "peer", "name", ib, "netns", b]);
  const [addrA, addrB] = [`10.${subnet}.0.1`, `10.${subnet}.0.2`];
  sh(["ip", "addr", "add", `${addrA}/24`, "dev", ia], { ns: a });
  sh(["ip", "addr", "add", `${addrB}/24`, "dev", ib], { ns: b });
  sh(["ip", "link", "set", ia, "up"], { ns: a });
  sh(["ip", "link", "set", ib, "up"], { ns: b });
  return [addrA, addrB];
}

export function cleanup(): void {
  for (const ns of made.splice(0)) sh(["ip", "netns", "del", ns], { allowFail: true });
}

/** Namespaces of this run still present (for leak checks). */
export function leftovers(): string[] {
  return sh(["ip", "netns", "list"], { allowFail: true })
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith(`${PREFIX}-`));
}

/** One ping; true when answered within `waitS` seconds. */
export function pingOnce(ns: string, addr: string, waitS = 1): boolean {
  const r = spawnSync("ip", ["netns", "exec", ns, "ping", "-n", "-c", "1", "-W", String(waitS), addr], {
    encoding: "utf8",
  });
  return r.status === 0;
}

/** Pings until answered or the deadline; returns ms until the first answer. */
export async function firstPing(ns: string, addr: string, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if (pingOnce(ns, addr, 0.2)) return performance.now() - t0;
    await Bun.sleep(0);
  }
  throw new Error(`no answer from ${addr} in ${ns} within ${timeoutMs} ms`);
}
