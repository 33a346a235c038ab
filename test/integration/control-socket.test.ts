/**
 * A relay's control socket over its life, on loopback (any user):
 *
 *   node "sock-a" ── /tmp/.../sock-a.sock ── smolmesh status
 *
 * SIGTERM removes the socket; a node killed with SIGKILL cannot, and the
 * next node with the same config removes the stale file and serves there.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fetchStatus } from "../../src/cli/status.ts";
import { ROOT, run } from "../helpers/binary.ts";
import { NodeProc } from "../helpers/node-proc.ts";
import { nodeSuite } from "../helpers/suites.ts";

const CLI = [process.execPath, join(ROOT, "src/cli/main.ts")];
const dir = mkdtempSync(join(tmpdir(), "smolmesh-sock-"));
const socket = join(dir, "sock-a.sock");
const config = { node_name: "sock-a", control_socket: socket, transports: [] };

nodeSuite("loopback", "the control socket's life", () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("SIGTERM removes the socket", async () => {
    const a = new NodeProc("sock-a", config);
    await a.waitLog(/control socket /);
    expect((await fetchStatus(socket)).node.name).toBe("sock-a");
    expect(await a.stop("SIGTERM")).toBe(0);
    expect(existsSync(socket)).toBe(false);
  });

  test("a node killed with SIGKILL leaves its socket; the next one with its config removes it and serves there", async () => {
    const killed = new NodeProc("sock-a", config);
    await killed.waitLog(/control socket /);
    const firstPid = (await fetchStatus(socket)).node.pid;
    await killed.stop("SIGKILL");
    expect(existsSync(socket)).toBe(true);
    const asked = await run([...CLI, "status", "--socket", socket]);
    expect(asked.code).toBe(1);
    expect(asked.stderr).toContain(`no node answers on ${socket} (is it running?)`);

    const next = new NodeProc("sock-a", config);
    await next.waitLog(new RegExp(`control socket ${socket.replaceAll(".", "\\.")}`));
    expect(next.log).not.toContain("no control socket");
    const status = await fetchStatus(socket);
    expect(status.node.name).toBe("sock-a");
    expect(status.node.pid).not.toBe(firstPid);
    expect(await next.stop("SIGTERM")).toBe(0);
    expect(existsSync(socket)).toBe(false);
  });
});
