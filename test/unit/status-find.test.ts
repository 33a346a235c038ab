/**
 * How `smolmesh status` without --socket picks a node's control socket in
 * the run folder: the only one a node answers on. A stale socket (the file
 * a node killed with SIGKILL leaves: bound, then closed without unlinking)
 * is skipped, and named when nothing else is there.
 */
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findSocket } from "../../src/cli/status.ts";
import { linuxNet } from "../../src/platform/linux/net.ts";

const dirs: string[] = [];
const listeners: { stop(closeActive?: boolean): void }[] = [];
afterEach(() => {
  for (const l of listeners.splice(0)) l.stop(true);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function runDir(): string {
  const d = mkdtempSync(join(tmpdir(), "smolmesh-run-"));
  dirs.push(d);
  return d;
}

/** A socket a node answers on. */
function live(dir: string, name: string): string {
  const path = join(dir, name);
  listeners.push(Bun.listen({ unix: path, socket: { data() {} } }));
  return path;
}

/** A socket file nobody answers on, as a killed node leaves it. */
function stale(dir: string, name: string): string {
  const path = join(dir, name);
  linuxNet.close(linuxNet.listenLocal(path, 1));
  return path;
}

test("a stale socket beside a live one is skipped", async () => {
  const dir = runDir();
  stale(dir, "bench-one.sock");
  const path = live(dir, "laptop.sock");
  stale(dir, "old.sock");
  expect(await findSocket({}, dir)).toBe(path);
});

test("when nobody answers, it says so and names the stale sockets", async () => {
  const dir = runDir();
  stale(dir, "bench-one.sock");
  stale(dir, "bench-two.sock");
  await expect(findSocket({}, dir)).rejects.toThrow(
    `no node answers on any control socket in ${dir} (bench-one.sock, bench-two.sock: left by nodes that stopped without removing them)`,
  );
});

test("two live nodes: pick one; an empty folder: no node", async () => {
  const dir = runDir();
  live(dir, "a.sock");
  live(dir, "b.sock");
  stale(dir, "c.sock");
  await expect(findSocket({}, dir)).rejects.toThrow("several nodes run here (a.sock, b.sock)");
  await expect(findSocket({}, runDir())).rejects.toThrow("no running node found in");
});

test("--socket is taken as given, answering or not", async () => {
  const dir = runDir();
  const path = stale(dir, "x.sock");
  expect(await findSocket({ socket: path }, dir)).toBe(path);
});
