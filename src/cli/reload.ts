/** `smolmesh reload`: a running node reads its config file again and applies what changed. */
import { defineCommand } from "citty";
import { io } from "./_io.ts";
import { noExtraArgs } from "./_usage-error.ts";
import type { ReloadResult } from "./meshnode.ts";
import { askNode, findSocket } from "./status.ts";

export const reloadCommand = defineCommand({
  meta: {
    name: "reload",
    description: "Make a running node read its config again (as SIGHUP does) and print what changed",
  },
  args: {
    socket: { type: "string", description: "control socket path (default: the only one in /run/smolmesh)" },
    config: { type: "string", description: "the node's config file, to find its control socket" },
  },
  async run({ args }) {
    noExtraArgs(args._, 0);
    const path = await findSocket(args);
    // scrypt for each new key runs in the node before it answers
    const r = await askNode<ReloadResult>(path, "reload", 30_000);
    const lines = [...r.applied, ...r.restart.map((x) => `not applied: ${x}`)];
    io().out(lines.length ? `${lines.join("\n")}\n` : "nothing changed\n");
  },
});
