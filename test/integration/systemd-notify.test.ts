/**
 * systemd's Type=notify (root only): the node says READY=1 once its TUN
 * device, listener and control socket are up, and STOPPING=1 on SIGTERM.
 *
 *   ns "sd" (loopback only)
 *   sd-node: TUN smolmesh1, listens on 4600, control socket
 *        │ NOTIFY_SOCKET
 *   this test, as the service manager: a datagram socket in a temp folder
 *
 * The test fills its socket's queue before the node starts, so the node's
 * READY=1 (a blocking send) waits inside sendto until the test reads: what
 * the node has set up by then is what it had set up before saying ready.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fetchStatus, probeSocket } from "../../src/cli/status.ts";
import { addNamespace, sh } from "../helpers/netns.ts";
import { NodeProc, waitFor } from "../helpers/node-proc.ts";
import { NotifySocket } from "../helpers/notify-socket.ts";
import { nodeSuite } from "../helpers/suites.ts";

/** sendto's system call number, as /proc/PID/syscall shows it. */
const SENDTO: Record<string, number> = { x64: 44, arm64: 206 };
const dir = mkdtempSync(join(tmpdir(), "smolmesh-notify-"));

/** The system call the process's main thread is blocked in, or undefined while it runs. */
function blockedIn(pid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/syscall`, "utf8").split(" ")[0] ?? "";
    return /^\d+$/.test(first) ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

nodeSuite("netns", "systemd readiness", () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("READY=1 comes after the TUN device, listener and control socket are up; STOPPING=1 on SIGTERM", async () => {
    const ns = addNamespace("sd");
    const notify = new NotifySocket(join(dir, "notify"));
    try {
      expect(notify.fill()).toBeGreaterThan(0);
      const node = new NodeProc(
        "sd-node",
        {
          node_name: "sd-node",
          linux_tuntap: true,
          transports: [{ type: "legacy_tcp_listen", port: 4600, keys: ["sd"] }],
        },
        [],
        { netns: ns, env: { NOTIFY_SOCKET: notify.path } },
      );
      const sendto = SENDTO[process.arch] as number;
      // seen in sendto on two polls 20 ms apart: held there, not passing through another sendto
      let seen = 0;
      await waitFor(
        () => {
          seen = blockedIn(node.pid) === sendto ? seen + 1 : 0;
          return seen >= 2 || node.exitCode !== null;
        },
        15_000,
        "the node to block sending its notification",
      );
      expect(node.exitCode).toBeNull();
      // held at READY=1: everything it announces is already there
      expect(sh(["ip", "link", "show", "smolmesh1"], { ns })).toContain("smolmesh1");
      expect(sh(["ss", "-ltnH", "sport = :4600"], { ns })).toContain(":4600");
      expect(existsSync(node.controlSocket)).toBe(true);
      expect(await probeSocket(node.controlSocket)).toBe("live");
      expect(blockedIn(node.pid)).toBe(sendto); // still held: all of the above was there before READY=1

      const said: string[] = [];
      await waitFor(
        () => {
          said.push(...notify.receive());
          return said.length > 0;
        },
        5000,
        "READY=1",
      );
      expect(said).toEqual(["READY=1"]);
      expect((await fetchStatus(node.controlSocket)).node.name).toBe("sd-node");

      node.proc.kill("SIGTERM");
      await waitFor(
        () => {
          said.push(...notify.receive());
          return said.length > 1;
        },
        10_000,
        "STOPPING=1",
      );
      expect(said).toEqual(["READY=1", "STOPPING=1"]);
      expect(await node.stop()).toBe(0);
    } finally {
      notify.close();
    }
  }, 40_000);
});
