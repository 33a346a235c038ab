/**
 * `smolmesh demo` (root): a three-node mesh in network namespaces, built
 * from the embedded config.example.json, that shows pings crossing it and
 * the status table, then removes everything it made.
 *
 *   smdemo-a ──veth 10.250.1.0/24── smdemo-b ──veth 10.250.2.0/24── smdemo-c
 *   demo-a (10.99.0.1)              demo-b (listens)              demo-c (10.99.0.3)
 *
 * The links are modern ones (tcp_listen / tcp_connect) with a fresh key.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineCommand } from "citty";
import example from "../../config.example.json" with { type: "json" };
import { nameToIpv6Text } from "../addr/node-name.ts";
import { io } from "./_io.ts";
import { noExtraArgs } from "./_usage-error.ts";
import { makeKey } from "./keys.ts";
import { ExitError } from "./meshnode.ts";
import { fetchStatus } from "./status.ts";
import { renderTable } from "./status-render.ts";

const NAMESPACES = ["smdemo-a", "smdemo-b", "smdemo-c"] as const;

function run(cmd: string[], quiet = false): { ok: boolean; out: string } {
  const r = spawnSync(cmd[0] as string, cmd.slice(1), { encoding: "utf8" });
  if (r.status !== 0 && !quiet) throw new ExitError(`${cmd.join(" ")} failed: ${(r.stderr || r.stdout).trim()}`, 1);
  return { ok: r.status === 0, out: r.stdout };
}

function selfCommand(): string[] {
  // inside the compiled executable the entry lives in Bun's embedded file system
  return Bun.main.startsWith("/$bunfs") ? [process.execPath] : [process.execPath, Bun.main];
}

export const demoCommand = defineCommand({
  meta: { name: "demo", description: "Run a three-node mesh in network namespaces and show it working (root)" },
  async run({ args }) {
    noExtraArgs(args._, 0);
    if (process.getuid?.() !== 0) throw new ExitError("the demo creates network namespaces: run it as root", 1);
    for (const tool of ["ip", "ping"]) {
      if (!run(["sh", "-c", `command -v ${tool}`], true).ok) {
        throw new ExitError(`the demo needs \`${tool}\` (Debian: apt-get install iproute2 iputils-ping)`, 1);
      }
    }
    const out = (t: string) => io().out(t);
    const dir = mkdtempSync(join(tmpdir(), "smolmesh-demo-"));
    const procs: ReturnType<typeof Bun.spawn>[] = [];
    const cleanup = () => {
      for (const p of procs) p.kill("SIGTERM");
      for (const ns of NAMESPACES) run(["ip", "netns", "del", ns], true);
      rmSync(dir, { recursive: true, force: true });
    };
    process.once("SIGINT", () => {
      cleanup();
      process.exit(130);
    });
    try {
      for (const ns of NAMESPACES) run(["ip", "netns", "del", ns], true); // a previous demo that was killed
      out("Creating namespaces smdemo-a, smdemo-b, smdemo-c joined by veth pairs...\n");
      for (const ns of NAMESPACES) {
        run(["ip", "netns", "add", ns]);
        run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"]);
      }
      const veth = (a: string, b: string, subnet: number) => {
        run([
          "ip",
          "link",
          "add",
          `dv${subnet}a`,
          "netns",
          a,
          "type",
          "veth",
          "peer",
          "name",
          `dv${subnet}b`,
          "netns",
          b,
        ]);
        run(["ip", "netns", "exec", a, "ip", "addr", "add", `10.250.${subnet}.1/24`, "dev", `dv${subnet}a`]);
        run(["ip", "netns", "exec", b, "ip", "addr", "add", `10.250.${subnet}.2/24`, "dev", `dv${subnet}b`]);
        run(["ip", "netns", "exec", a, "ip", "link", "set", `dv${subnet}a`, "up"]);
        run(["ip", "netns", "exec", b, "ip", "link", "set", `dv${subnet}b`, "up"]);
      };
      veth("smdemo-a", "smdemo-b", 1);
      veth("smdemo-b", "smdemo-c", 2);

      // three configs from the example: B listens, A and C connect to B
      const listen = example.transports.find((t) => t.type === "tcp_listen") as { port: number };
      const key = makeKey();
      const configs = {
        "demo-a": { host: "10.250.1.2", ipv4: ["10.99.0.1"] },
        "demo-b": { host: undefined, ipv4: [] as string[] },
        "demo-c": { host: "10.250.2.1", ipv4: ["10.99.0.3"] },
      };
      const sockets: Record<string, string> = {};
      const waitUntil = async (what: string, cond: () => Promise<boolean>) => {
        const deadline = performance.now() + 15_000;
        while (!(await cond())) {
          if (performance.now() > deadline)
            throw new ExitError(`the demo mesh did not come up: ${what} within 15 s`, 1);
          await Bun.sleep(50); // poll interval while waiting for the condition
        }
      };
      // the listener first, so the others' first connect attempt finds it
      for (const name of ["demo-b", "demo-a", "demo-c"] as const) {
        const c = configs[name];
        const cfg = {
          ...example,
          node_name: name,
          ipv4_addresses: c.ipv4,
          linux_tuntap: true,
          control_socket: join(dir, `${name}.sock`),
          transports: c.host
            ? [{ type: "tcp_connect", host: c.host, port: listen.port, key }]
            : [{ type: "tcp_listen", port: listen.port, keys: [key] }],
        };
        sockets[name] = cfg.control_socket;
        const path = join(dir, `${name}.json`);
        writeFileSync(path, JSON.stringify(cfg, null, 2), { mode: 0o600 });
        const ns = `smdemo-${name.slice(-1)}`;
        procs.push(
          Bun.spawn(["ip", "netns", "exec", ns, ...selfCommand(), "meshnode", path, "--log-level", "warn"], {
            stdout: "inherit",
            stderr: "inherit",
          }),
        );
        if (name === "demo-b") {
          await waitUntil(
            "demo-b listening",
            async () => (await fetchStatus(cfg.control_socket).catch(() => undefined)) !== undefined,
          );
        }
      }
      out(`Started demo-a, demo-b and demo-c (${selfCommand().join(" ")} meshnode ...); waiting for routes...\n`);
      await waitUntil("a route from demo-a to demo-c", async () => {
        const a = await fetchStatus(sockets["demo-a"] as string).catch(() => undefined);
        return a?.routes.some((r) => r.name === "demo-c" && r.nextHop !== null) ?? false;
      });
      const targets = [
        [`demo-c's name-derived IPv6 (${nameToIpv6Text("demo-c")})`, nameToIpv6Text("demo-c")],
        ["demo-c's IPv4 (10.99.0.3)", "10.99.0.3"],
      ];
      for (const [what, addr] of targets) {
        out(`\n$ ip netns exec smdemo-a ping -c 3 ${addr}     # ${what}, through demo-b\n`);
        const r = run(["ip", "netns", "exec", "smdemo-a", "ping", "-n", "-c", "3", "-i", "0.3", addr as string], true);
        out(r.out);
        if (!r.ok) throw new ExitError(`pings to ${addr} were not answered`, 1);
      }
      out("\n$ smolmesh status     # on demo-b, the relay in the middle\n");
      out(`${renderTable(await fetchStatus(sockets["demo-b"] as string), io().color)}\n`);
      out("\nThe mesh works. Cleaning up: nodes stopped, namespaces deleted.\n");
    } finally {
      cleanup();
      await Promise.all(procs.map((p) => p.exited));
    }
  },
});
