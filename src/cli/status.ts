/** `smolmesh status`: read a running node through its control socket. */
import { readdirSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { defineCommand } from "citty";
import { controlSocketPath } from "../config/schema.ts";
import type { StatusSnapshot } from "../node/status.ts";
import { io } from "./_io.ts";
import { noExtraArgs, UsageError } from "./_usage-error.ts";
import { ExitError, readConfig } from "./meshnode.ts";
import { renderPrometheus, renderTable } from "./status-render.ts";

const WINDOWS = process.platform === "win32";
/** Where nodes' control sockets are by default (Windows: named pipes called smolmesh-NODE_NAME). */
const RUN_DIR = WINDOWS ? "\\\\.\\pipe\\" : "/run/smolmesh";
const isControl = (f: string) => (WINDOWS ? f.startsWith("smolmesh-") : f.endsWith(".sock"));

/**
 * What is at a control socket: a node ("live"), nobody ("stale": the file a
 * node that was killed left behind), or a node that will not let us ask
 * ("denied": the socket is owner-only; fetchStatus says so).
 */
export async function probeSocket(path: string): Promise<"live" | "stale" | "denied"> {
  try {
    const s = await Bun.connect({ unix: path, socket: { data() {} } });
    s.end();
    return "live";
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "EACCES" || code === "EPERM" ? "denied" : "stale";
  }
}

/**
 * The control socket to ask: --socket, the config's, or else the only one
 * in `runDir` a node answers on. Sockets nobody answers on are skipped (a
 * node killed with SIGKILL cannot remove its own), and named when no
 * other is left.
 */
export async function findSocket(args: { socket?: string; config?: string }, runDir = RUN_DIR): Promise<string> {
  if (args.socket) return args.socket;
  if (args.config) {
    const path = controlSocketPath(readConfig(args.config));
    if (!path) throw new ExitError(`${args.config} disables the control socket (control_socket is false)`, 2);
    return path;
  }
  let found: string[] = [];
  try {
    found = readdirSync(runDir).filter(isControl).sort();
  } catch {
    found = [];
  }
  if (found.length === 0) {
    throw new ExitError(`no running node found in ${runDir}; give --socket PATH or --config FILE`, 1);
  }
  const pathOf = (f: string) => (WINDOWS ? `${runDir}${f}` : join(runDir, f));
  // a listed pipe exists only while a node serves it
  const states = WINDOWS ? found.map(() => "live") : await Promise.all(found.map((f) => probeSocket(pathOf(f))));
  const answering = found.filter((_, i) => states[i] !== "stale");
  if (answering.length === 1) return pathOf(answering[0] as string);
  if (answering.length === 0) {
    throw new ExitError(
      `no node answers on ${found.length === 1 ? "the control socket" : "any control socket"} in ${runDir} (${found.join(", ")}: left by nodes that stopped without removing them); give --socket PATH or --config FILE`,
      1,
    );
  }
  throw new UsageError(`several nodes run here (${answering.join(", ")}); pick one with --socket or --config`);
}

/** One request line to a node's named pipe (Windows), its answer line back. */
function askPipe(path: string, request: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const c = connect(path, () => c.write(`${request}\n`));
    const timer = setTimeout(() => {
      c.destroy();
      reject(new Error(`no answer from ${path} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    c.on("data", (d: Buffer) => {
      text += d.toString();
    });
    c.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    c.on("close", () => {
      clearTimeout(timer);
      if (text.endsWith("\n")) resolve(text);
      else reject(new Error(`the node on ${path} closed the connection without an answer`));
    });
  });
}

/** The node's answer, or its error as an ExitError (a request it refused, such as a reload with a bad config). */
function replyOf<T>(text: string): T {
  const reply = JSON.parse(text) as T | { error: string };
  if (reply !== null && typeof reply === "object" && "error" in reply) throw new ExitError(reply.error, 1);
  return reply as T;
}

/** Asks the node at `path` for its status. */
export function fetchStatus(path: string, timeoutMs = 5000): Promise<StatusSnapshot> {
  return askNode<StatusSnapshot>(path, "status", timeoutMs);
}

/** Sends one request line to the node at `path` and returns its answer. */
export async function askNode<T>(path: string, request: string, timeoutMs = 5000): Promise<T> {
  if (WINDOWS) {
    try {
      return replyOf<T>(await askPipe(path, request, timeoutMs));
    } catch (e) {
      if (e instanceof ExitError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT") throw new ExitError(`no node answers on ${path} (is it running?)`, 1);
      if (code === "EACCES" || code === "EPERM") {
        throw new ExitError(
          `permission denied on ${path}: run from an elevated prompt, or as the user that runs the node`,
          1,
        );
      }
      throw new ExitError((e as Error).message, 1);
    }
  }
  let text = "";
  let resolve: (v: string) => void = () => {};
  let reject: (e: Error) => void = () => {};
  const done = new Promise<string>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(() => reject(new Error(`no answer from ${path} within ${timeoutMs / 1000} s`)), timeoutMs);
  try {
    const sock = await Bun.connect({
      unix: path,
      socket: {
        data(_s, d) {
          text += new TextDecoder().decode(d);
          if (text.endsWith("\n")) resolve(text);
        },
        close() {
          if (text.endsWith("\n")) resolve(text);
          else
            reject(
              new Error(
                `the node on ${path} closed the connection without an answer (only root and the node's own user may ask)`,
              ),
            );
        },
        error(_s, e) {
          reject(e);
        },
      },
    });
    sock.write(`${request}\n`);
    const reply = await done;
    sock.end();
    return replyOf<T>(reply);
  } catch (e) {
    if (e instanceof ExitError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM") {
      throw new ExitError(
        `permission denied on ${path}: the control socket is owner-only; run as root (sudo smolmesh status)`,
        1,
      );
    }
    if (code === "ENOENT" || code === "ECONNREFUSED")
      throw new ExitError(`no node answers on ${path} (is it running?)`, 1);
    if (/Failed to connect/.test((e as Error).message)) {
      throw new ExitError(`the node on ${path} refused the connection (only root and the node's own user may ask)`, 1);
    }
    throw new ExitError((e as Error).message, 1);
  } finally {
    clearTimeout(timer);
  }
}

export const statusCommand = defineCommand({
  meta: { name: "status", description: "Show a running node's links, routes and counters" },
  args: {
    socket: { type: "string", description: "control socket path (default: the only one in /run/smolmesh)" },
    config: { type: "string", description: "the node's config file, to find its control socket" },
    json: { type: "boolean", description: "print JSON" },
    prometheus: { type: "boolean", description: "print counters in Prometheus text format" },
    watch: { type: "boolean", description: "refresh every second, in place, until Ctrl-C" },
  },
  async run({ args }) {
    noExtraArgs(args._, 0);
    if ([args.json, args.prometheus, args.watch].filter(Boolean).length > 1) {
      throw new UsageError("--json, --prometheus and --watch go alone");
    }
    const path = await findSocket(args);
    const color = io().color;
    const render = (s: StatusSnapshot) =>
      args.json
        ? `${JSON.stringify(s, null, 2)}\n`
        : args.prometheus
          ? renderPrometheus(s)
          : `${renderTable(s, color)}\n`;
    if (!args.watch) {
      io().out(render(await fetchStatus(path)));
      return;
    }
    let stop = false;
    process.once("SIGINT", () => {
      stop = true;
    });
    while (!stop) {
      const text = render(await fetchStatus(path));
      io().out(color ? `\x1b[H\x1b[2J${text}` : `${text}\n`);
      await Bun.sleep(1000); // the refresh period
    }
  },
});
