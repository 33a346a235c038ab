/** `smolmesh resolve NAME`: what a running node's DNS responder answers for a name or an address. */
import { defineCommand } from "citty";
import type { ResolveResult } from "../node/node.ts";
import { io } from "./_io.ts";
import { noExtraArgs, UsageError } from "./_usage-error.ts";
import { ExitError } from "./meshnode.ts";
import { askNode, findSocket } from "./status.ts";

export const resolveCommand = defineCommand({
  meta: {
    name: "resolve",
    description: "Print what a running node answers in DNS for a node name (AAAA, A) or a mesh address (PTR)",
  },
  args: {
    name: { type: "positional", description: "NAME, NAME.SUFFIX or an address", required: true },
    socket: { type: "string", description: "control socket path (default: the only one in /run/smolmesh)" },
    config: { type: "string", description: "the node's config file, to find its control socket" },
    json: { type: "boolean", description: "print the answer as JSON" },
  },
  async run({ args }) {
    noExtraArgs(args._, 1);
    if (/[\r\n]/.test(args.name) || args.name.trim() === "") throw new UsageError("NAME must be one line of text");
    const path = await findSocket(args);
    const r = await askNode<ResolveResult>(path, `resolve ${args.name}`, 5000);
    if (args.json) {
      io().out(`${JSON.stringify(r, null, 2)}\n`);
      return;
    }
    const width = Math.max(...r.lines.map((l) => l.name.length));
    const out: string[] = [];
    for (const l of r.lines) {
      const what = l.answers.length ? l.answers : [l.rcode === "NOERROR" ? "(no such record)" : l.rcode];
      for (const a of what) out.push(`${l.name.padEnd(width)}  ${l.type.padEnd(4)}  ${a}`);
    }
    if (!r.responder.startsWith("answering")) out.push(`(the responder is ${r.responder})`);
    io().out(`${out.join("\n")}\n`);
    if (!r.lines.some((l) => l.answers.length)) throw new ExitError(`${args.name}: no answer`, 1);
  },
});
