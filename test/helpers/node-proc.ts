/**
 * smolmesh nodes as real processes for integration tests: config in a temp
 * folder, log lines captured, readiness awaited by polling the log with a
 * deadline, and everything stopped in `stopAll()` (call it in afterAll so a
 * failing test still cleans up; `nodeSuite` in suites.ts does).
 *
 * A node that logs "internal error" had a handler throw and carried on:
 * `checkNodeLogs()` turns that into a failed test (suites.ts calls it after
 * each test and after the suite).
 */

import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import type { StatusSnapshot } from "../../src/node/status.ts";
import { asUser } from "./as-user.ts";
import { ROOT } from "./binary.ts";

const running = new Set<NodeProc>();
/** Every node whose log has not been read to the end since it exited. */
const watched = new Set<NodeProc>();
/** What a node logs when a reactor handler or timer threw (see MeshNode's onError). */
const INTERNAL_ERROR = /internal error/;

export async function freePort(): Promise<number> {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

/** Polls `cond` every `everyMs` (20 ms) until true or the deadline passes. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  everyMs = 20,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await cond())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(everyMs);
  }
}

/**
 * One node process. Its stdout and stderr go to one file (opened for
 * appending, so lines from both stay whole), which `log` reads: reading the
 * process's pipes as streams stalled at times under bun test, and a line
 * that never arrives fails a test for nothing.
 */
export class NodeProc {
  readonly proc: Subprocess<"ignore", number, number>;
  readonly dir: string;
  exitCode: number | null = null;
  readonly controlSocket: string;
  readonly configPath: string;
  /** How much of `log` checkNodeLogs has read. */
  logChecked = 0;
  private readonly logPath: string;
  /** The whole log, read when the node was stopped (its folder is gone then). */
  private finalLog: string | undefined;

  constructor(
    readonly name: string,
    config: object,
    extraArgs: string[] = [],
    opts: {
      netns?: string;
      asUser?: number;
      /** Run this instead of the source build (e.g. [wine64, smolmesh.exe]). */
      command?: string[];
      env?: Record<string, string>;
      /** The command is a Windows program under Wine: pass the config as Z:\... */
      windowsPaths?: boolean;
      /** Modules Bun loads before the node's own code (the source build only), e.g. clock-skew.ts. */
      preload?: string[];
    } = {},
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `smolmesh-${name}-`));
    const cfgPath = join(this.dir, "config.json");
    this.controlSocket = join(this.dir, "control.sock");
    writeFileSync(cfgPath, JSON.stringify({ control_socket: this.controlSocket, ...config }, null, 2));
    this.configPath = cfgPath;
    if (opts.asUser !== undefined) chmodSync(this.dir, 0o755);
    const prefix = [
      ...(opts.netns ? ["ip", "netns", "exec", opts.netns] : []),
      ...(opts.asUser !== undefined ? asUser(opts.asUser) : []),
    ];
    const preload = (opts.preload ?? []).flatMap((m) => ["--preload", m]);
    const command = opts.command ?? [process.execPath, ...preload, join(ROOT, "src/cli/main.ts")];
    const cfgArg = opts.windowsPaths ? `Z:${cfgPath.replaceAll("/", "\\")}` : cfgPath;
    this.logPath = join(this.dir, "output.log");
    const out = openSync(this.logPath, "a");
    try {
      this.proc = Bun.spawn([...prefix, ...command, "meshnode", cfgArg, ...extraArgs], {
        stdin: "ignore",
        stdout: out,
        stderr: out,
        env: { ...process.env, NO_COLOR: "1", ...opts.env },
      });
    } finally {
      closeSync(out); // the child has its own copy
    }
    running.add(this);
    watched.add(this);
    this.proc.exited.then((c) => {
      this.exitCode = c;
    });
  }

  /** Everything the node has printed so far (stdout and stderr). */
  get log(): string {
    return this.finalLog ?? readFileSync(this.logPath, "utf8");
  }

  /** Waits for the process to exit; its exit code. Everything it printed is in `log` by then. */
  async exited(): Promise<number> {
    return await this.proc.exited;
  }

  /** The node's `smolmesh status --json`, through the CLI of this source tree; throws when it fails. */
  async status(): Promise<StatusSnapshot> {
    const proc = Bun.spawn(
      [process.execPath, join(ROOT, "src/cli/main.ts"), "status", "--socket", this.controlSocket, "--json"],
      { stdout: "pipe", stderr: "pipe" },
    );
    const [out, err, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    if (code !== 0) throw new Error(`status of ${this.name} failed (${code}): ${err}`);
    return JSON.parse(out) as StatusSnapshot;
  }

  get pid(): number {
    return this.proc.pid;
  }

  async waitLog(re: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    await waitFor(() => re.test(this.log) || this.exitCode !== null, timeoutMs, `${this.name} to log ${re}`);
    const m = this.log.match(re);
    if (!m) throw new Error(`${this.name} exited (${this.exitCode}) before logging ${re}:\n${this.log}`);
    return m;
  }

  /** Resident memory in KiB. */
  rssKiB(): number {
    const m = readFileSync(`/proc/${this.pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/);
    return Number(m?.[1] ?? 0);
  }

  /** CPU seconds used so far (user + system). */
  cpuSeconds(): number {
    const fields = readFileSync(`/proc/${this.pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / 100;
  }

  /**
   * Sends `signal` and waits for the exit code. A node still running after
   * `deadlineMs` (a generous fail-safe, not a speed requirement) is killed
   * and the call throws, so a hung shutdown fails its test.
   */
  async stop(signal: NodeJS.Signals = "SIGTERM", deadlineMs = 15_000): Promise<number> {
    if (this.exitCode === null) this.proc.kill(signal);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((res) => {
      timer = setTimeout(() => res("late"), deadlineMs);
    });
    const code = await Promise.race([this.exited(), late]);
    clearTimeout(timer);
    if (code === "late") {
      this.proc.kill("SIGKILL");
      await this.exited();
    }
    running.delete(this);
    this.finalLog = this.log;
    rmSync(this.dir, { recursive: true, force: true });
    if (code === "late")
      throw new Error(`${this.name} did not exit within ${deadlineMs} ms of ${signal}:\n${this.log}`);
    return code;
  }
}

/**
 * Stops every node still running: SIGTERM, as an operator would (so each
 * removes its control socket, routes and interface), and SIGKILL for one
 * that has not exited 5 s later.
 */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...running].map(async (n) => {
      try {
        await n.stop("SIGTERM", 5000);
      } catch {
        // killed instead; the suite's checks still read its log
      }
    }),
  );
}

/**
 * Throws when a node logged "internal error" since the last call, naming
 * the node and quoting the lines. Nodes that have exited are read to the
 * end of their output and then forgotten.
 */
export function checkNodeLogs(): void {
  const found: string[] = [];
  for (const n of [...watched]) {
    const fresh = n.log.slice(n.logChecked);
    n.logChecked = n.log.length;
    const lines = fresh.split("\n").filter((l) => INTERNAL_ERROR.test(l));
    if (lines.length) found.push(`${n.name}:\n${lines.join("\n")}`);
    if (!running.has(n) && n.exitCode !== null) watched.delete(n);
  }
  if (found.length) throw new Error(`a node logged an internal error (a handler threw):\n${found.join("\n")}`);
}
