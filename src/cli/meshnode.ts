/** `smolmesh meshnode CONFIG`: run a node until SIGINT or SIGTERM. */
import { existsSync, readFileSync } from "node:fs";
import { defineCommand } from "citty";
import { nameToIpv6Text } from "../addr/node-name.ts";
import { parseHostPort } from "../config/host-port.ts";
import { parseConfig } from "../config/load.ts";
import { type Config, controlSocketPath, LOG_LEVELS, usesModernLinks, wantsTun } from "../config/schema.ts";
import { installGcmEngine } from "../crypto/aes-gcm.ts";
import { cryptoSelfTest } from "../crypto/self-test.ts";
import { PipeControlServer, pipeIsLive } from "../node/control-pipe.ts";
import { ControlServer, type Handler, socketIsLive } from "../node/control-server.ts";
import { type Level, Logger } from "../node/log.ts";
import { type MetricsServer, openMetrics } from "../node/metrics-server.ts";
import { MeshNode } from "../node/node.ts";
import { loadPacketHash } from "../node/packet-hash.ts";
import { snapshot } from "../node/status.ts";
import { currentPlatform, type Platform, PrivilegeError } from "../platform/index.ts";
import { io } from "./_io.ts";
import { noExtraArgs, UsageError } from "./_usage-error.ts";
import { keyFileWarning } from "./keys.ts";
import { renderPrometheus } from "./status-render.ts";
import { VERSION_TEXT } from "./version.ts";

/** A failure that ends the command with this exit code and message. */
export class ExitError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

export function readConfig(path: string) {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ExitError(`cannot read config ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 2);
  }
  const result = parseConfig(text);
  for (const w of result.warnings) io().err(`smolmesh: warning: ${path}: ${w}\n`);
  if (!result.ok) {
    throw new ExitError(result.errors.map((e) => `${path}: ${e}`).join("\n"), 2);
  }
  return result.config;
}

/** readConfig, plus a warning when the file's keys are readable by other users (meshnode and check). */
export function readKeyedConfig(path: string) {
  const config = readConfig(path);
  const exposed = keyFileWarning(path, config);
  if (exposed) io().err(`smolmesh: warning: ${exposed}\n`);
  return config;
}

export const meshnodeCommand = defineCommand({
  meta: { name: "meshnode", description: "Run a mesh node from a config file" },
  args: {
    config: { type: "positional", description: "path to config.json", required: true },
    "log-level": { type: "string", description: `${LOG_LEVELS.join(" | ")} (default: the config's log_level)` },
  },
  async run({ args }) {
    noExtraArgs(args._, 1);
    const level = args["log-level"];
    if (level !== undefined && !(LOG_LEVELS as readonly string[]).includes(level)) {
      throw new UsageError(`--log-level expects one of ${LOG_LEVELS.join(", ")}, got "${level}"`);
    }
    const config = readKeyedConfig(args.config);
    const log = new Logger({ level: (level as Level | undefined) ?? config.log_level });
    const other = process.platform === "win32" ? "linux_tuntap" : "windows_tuntap";
    if (config[other])
      log.warn(`${other} is set but this is ${process.platform === "win32" ? "Windows" : "not Windows"}; ignoring it`);
    const failed = cryptoSelfTest();
    if (failed.length) throw new ExitError(`self-test failed (${failed.join(", ")}): this build is broken`, 1);
    const platform = currentPlatform();
    useNativeGcm(config, platform, log);
    const node = new MeshNode(config, platform, await loadPacketHash(), log);
    const startedAt = node.reactor.now();
    log.info(
      `node ${config.node_name} (${nameToIpv6Text(config.node_name)}) starting${wantsTun(config, process.platform) ? "" : " as a relay"} on ${platform.name}`,
    );
    let control: { close(): void } | undefined;
    let metrics: MetricsServer | undefined;
    // a second node with this config would take over the first one's TUN
    // device or adapter and remove its addresses when it gave up: refuse
    // before touching anything (and again when binding, for a race)
    const controlPath = controlSocketPath(config);
    if (controlPath && (await controlInUse(controlPath))) {
      throw new ExitError(`cannot start: another node is running with control socket ${controlPath}`, 1);
    }
    try {
      node.start();
      control = await openControl(config, node, platform, log, startedAt, () =>
        reload(args.config, node, platform, log),
      );
      const at = config.metrics_listen === undefined ? undefined : parseHostPort(config.metrics_listen);
      if (at) {
        metrics = openMetrics(at, () => renderPrometheus(snapshot(node, VERSION_TEXT, startedAt)));
        log.info(`metrics on http://${config.metrics_listen}/metrics`);
      }
    } catch (e) {
      node.stop();
      if (e instanceof PrivilegeError) throw new ExitError(e.message, 1);
      throw new ExitError(`cannot start: ${(e as Error).message}`, 1);
    }
    const stop = (sig: string) => {
      log.info(`${sig}: stopping`);
      platform.notify("STOPPING=1");
      control?.close();
      control = undefined;
      metrics?.close();
      metrics = undefined;
      node.stop();
    };
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
    if (process.platform !== "win32") {
      process.on("SIGHUP", () => {
        try {
          reload(args.config, node, platform, log);
        } catch (e) {
          log.error(`internal error: ${(e as Error).stack ?? e}`);
        }
      });
    }
    platform.notify("READY=1");
    await node.run();
    log.info("stopped");
  },
});

export interface ReloadResult {
  applied: string[];
  restart: string[];
}

/**
 * Reads and checks the config file again and applies it (SIGHUP, `smolmesh
 * reload`). A config with an error is refused with the messages `check`
 * prints, and the node keeps running on the one it has.
 */
function reload(path: string, node: MeshNode, platform: Platform, log: Logger): ReloadResult | { refused: string } {
  const refuse = (msg: string) => {
    log.error(`reload refused, still running on the old config:\n${msg}`);
    return { refused: msg };
  };
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    return refuse(`cannot read config ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const result = parseConfig(text);
  if (!result.ok) return refuse(result.errors.map((e) => `${path}: ${e}`).join("\n"));
  useNativeGcm(result.config, platform, log);
  const r = node.reconfigure(result.config, log);
  for (const w of result.warnings) log.warn(`reload: ${path}: ${w}`);
  for (const a of r.applied) log.info(`reload: ${a}`);
  for (const x of r.restart) log.warn(`reload: ${x}`);
  if (r.applied.length + r.restart.length === 0) log.info("reload: nothing changed");
  return r;
}

/** Whether a live node answers on the control socket or pipe at `path`. */
function controlInUse(path: string): Promise<boolean> {
  if (process.platform === "win32") return pipeIsLive(path);
  return existsSync(path) ? socketIsLive(path) : Promise.resolve(false);
}

/**
 * Opens the control socket. A default path we may not create (a relay run
 * by a normal user) only costs `smolmesh status`, so it is a warning; a
 * second live node on the same socket is an error.
 */
async function openControl(
  config: Config,
  node: MeshNode,
  platform: Platform,
  log: Logger,
  startedAt: number,
  reloadConfig: () => ReloadResult | { refused: string },
): Promise<{ close(): void } | undefined> {
  const path = controlSocketPath(config);
  if (!path) return undefined;
  const handle: Handler = (req) => {
    if (req === "status") return snapshot(node, VERSION_TEXT, startedAt);
    if (req.startsWith("resolve ")) return node.resolve(req.slice("resolve ".length).trim());
    if (req === "reload") {
      const r = reloadConfig();
      if ("refused" in r) throw new Error(r.refused);
      return r;
    }
    throw new Error(`unknown request "${req.slice(0, 40)}" (this node answers "status", "reload" and "resolve NAME")`);
  };
  try {
    const server =
      process.platform === "win32"
        ? await PipeControlServer.open(path, handle)
        : await ControlServer.open(path, node.reactor, platform.net, handle);
    log.info(`control socket ${path}`);
    return server;
  } catch (e) {
    const msg = (e as Error).message;
    if (/another node is running/.test(msg)) throw e;
    log.warn(
      `no control socket (smolmesh status will not reach this node): ${msg}; set control_socket to a writable path`,
    );
    return undefined;
  }
}

let gcmChosen = false;

/**
 * Modern links seal in place with the platform's AES-GCM when it has one
 * that agrees with node:crypto. Chosen once, when the first config with a
 * modern transport is read (a legacy-only node does not load the library).
 */
function useNativeGcm(config: Config, platform: Platform, log: Logger): void {
  if (gcmChosen || !usesModernLinks(config)) return;
  gcmChosen = true;
  const engine = platform.gcm();
  if (typeof engine === "string") {
    log.info(`modern links use node:crypto's AES-256-GCM, which costs more CPU and memory per frame: ${engine}`);
    return;
  }
  const problem = installGcmEngine(engine);
  if (problem === undefined) log.debug(`modern links use AES-256-GCM from ${engine.name}`);
  else log.warn(`not using ${engine.name} for AES-256-GCM: ${problem}; modern links use node:crypto`);
}
