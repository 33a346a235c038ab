/**
 * `smolmesh make-key`, and the check that a config holding keys is not
 * readable by other users (wg-quick warns the same way).
 */
import { statSync } from "node:fs";
import { defineCommand } from "citty";
import type { Config } from "../config/schema.ts";
import { io } from "./_io.ts";
import { noExtraArgs } from "./_usage-error.ts";

/** 32 bytes from the OS CSPRNG, base64url without padding (LINK-PROTOCOL.md). */
export function makeKey(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
}

export const makeKeyCommand = defineCommand({
  meta: { name: "make-key", description: "Print a new random shared key for a link (32 bytes, base64url)" },
  run({ args }) {
    noExtraArgs(args._, 0);
    io().out(`${makeKey()}\n`);
  },
});

/**
 * A warning when `path` holds link keys and users other than its owner
 * may read it (group or others), else undefined. Windows file modes do not
 * say this, so nothing is checked there.
 */
export function keyFileWarning(
  path: string,
  config: Pick<Config, "transports">,
  platform: string = process.platform,
): string | undefined {
  if (platform === "win32" || config.transports.length === 0) return undefined;
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    return undefined; // it was just read; a file that vanished since has nothing left to protect
  }
  if ((mode & 0o044) === 0) return undefined;
  const who = mode & 0o004 ? "every user" : "its group";
  return (
    `${path} holds link keys and is readable by ${who} (mode ${mode.toString(8).padStart(4, "0")}): ` +
    `whoever reads a key can join the mesh; chmod 600 ${path}`
  );
}
