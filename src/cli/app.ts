/**
 * The smolmesh command line. `runCli` returns the exit code instead of
 * exiting, so tests can drive it: 0 done, 1 failed at run time, 2 wrong
 * usage. Usage mistakes print what was expected, never a stack trace.
 */
import { type CommandDef, defineCommand, renderUsage, runCommand } from "citty";
import { type CliIo, processIo, setIo } from "./_io.ts";
import { UsageError } from "./_usage-error.ts";
import { VERSION_TEXT } from "./version.ts";

export type { CliIo };

import { makeRandomIpv4Command, makeRandomIpv6Command, nameToIpv6Command } from "./addresses.ts";
import { checkCommand } from "./check.ts";
import { demoCommand } from "./demo.ts";
import { makeKeyCommand } from "./keys.ts";
import { ExitError, meshnodeCommand } from "./meshnode.ts";
import { reloadCommand } from "./reload.ts";
import { resolveCommand } from "./resolve.ts";
import { statusCommand } from "./status.ts";

export const VERSION: string = VERSION_TEXT;

const subCommands: Record<string, CommandDef> = {
  meshnode: meshnodeCommand as CommandDef,
  status: statusCommand as CommandDef,
  reload: reloadCommand as CommandDef,
  resolve: resolveCommand as CommandDef,
  check: checkCommand as CommandDef,
  demo: demoCommand as CommandDef,
  "name-to-ipv6": nameToIpv6Command as CommandDef,
  "make-random-ipv6": makeRandomIpv6Command as CommandDef,
  "make-random-ipv4": makeRandomIpv4Command as CommandDef,
  "make-key": makeKeyCommand as CommandDef,
};

export const rootCommand = defineCommand({
  meta: { name: "smolmesh", version: VERSION, description: "routed IPv4/IPv6 mesh VPN node" },
  subCommands: {
    help: defineCommand({ meta: { name: "help", description: "Show this help" } }),
    ...subCommands,
  },
});

const ANSI = /\x1b\[[0-9;]*m/g;

async function usage(io: CliIo, name?: string): Promise<string> {
  const sub = name === undefined ? undefined : subCommands[name];
  const text = sub ? await renderUsage(sub, rootCommand as CommandDef) : await renderUsage(rootCommand as CommandDef);
  return io.color ? text : text.replace(ANSI, "");
}

function isCittyError(e: unknown): e is Error {
  return e instanceof Error && e.name === "CLIError";
}

export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  setIo(io);
  const [first] = argv;
  const known = first !== undefined && first in subCommands ? first : undefined;
  if (first === undefined) {
    io.err(`${await usage(io)}\n\nsmolmesh: no command given\n`);
    return 2;
  }
  if (first === "help" || argv.includes("--help") || argv.includes("-h")) {
    io.out(`${await usage(io, first === "help" ? argv[1] : known)}\n`);
    return 0;
  }
  if (argv.length === 1 && (first === "--version" || first === "-v")) {
    io.out(`smolmesh ${VERSION}\n`);
    return 0;
  }
  try {
    await runCommand(rootCommand as CommandDef, { rawArgs: argv });
    return 0;
  } catch (e) {
    if (e instanceof UsageError || isCittyError(e)) {
      const msg = e.message.replace(ANSI, "");
      io.err(`${await usage(io, known)}\n\nsmolmesh: ${msg}\n`);
      return 2;
    }
    if (e instanceof ExitError) {
      io.err(`${e.message.replace(/^/gm, "smolmesh: ")}\n`);
      return e.code;
    }
    const msg = e instanceof Error ? e.message : String(e);
    io.err(`smolmesh: ${msg}\n`);
    if (process.env.SMOLMESH_DEBUG && e instanceof Error && e.stack) io.err(`${e.stack}\n`);
    return 1;
  }
}
