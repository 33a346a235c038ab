/**
 * smolmesh nodes as real processes for integration tests: config in a temp
 * folder, log lines captured, readiness awaited by polling the log with a
 * deadline, and everything killed in `stopAll()` (call it in afterEach /
 * afterAll so a failing test still cleans up).
 */

import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ROOT } from "./binary.ts";

const running = new Set<NodeProc>();

export async function freePort(): Promise<number> {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

/** Polls `cond` every `everyMs` (20 ms) until true or the deadline passes. */
export async function waitFor(cond: () => boolean, timeoutMs: number, what: string, everyMs = 20): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(everyMs);
  }
}

export class NodeProc {
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  readonly dir: string;
  log = "";
  exitCode: number | null = null;
  readonly controlSocket: string;
  readonly configPath: string;

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
      ...(opts.asUser !== undefined
        ? ["setpriv", `--reuid=${opts.asUser}`, `--regid=${opts.asUser}`, "--clear-groups", "--inh-caps=-all"]
        : []),
    ];
    const command = opts.command ?? [process.execPath, join(ROOT, "src/cli/main.ts")];
    const cfgArg = opts.windowsPaths ? `Z:${cfgPath.replaceAll("/", "\\")}` : cfgPath;
    this.proc = Bun.spawn([...prefix, ...command, "meshnode", cfgArg, ...extraArgs], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, NO_COLOR: "1", ...opts.env },
    });
    running.add(this);
    this.pump(this.proc.stderr);
    this.pump(this.proc.stdout);
    this.proc.exited.then((c) => {
      this.exitCode = c;
    });
  }

  private async pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    const dec = new TextDecoder();
    for await (const chunk of stream) this.log += dec.decode(chunk, { stream: true });
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

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number> {
    if (this.exitCode === null) this.proc.kill(signal);
    const code = await this.proc.exited;
    running.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
    return code;
  }
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((n) => n.stop("SIGKILL")));
}
