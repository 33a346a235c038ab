/** The address utility commands: they need no network and no privileges. */
import { defineCommand } from "citty";
import { formatIpv4, formatIpv6, nameToIpv6Text, randomIpv4, randomIpv6 } from "../addr/index.ts";
import { io } from "./_io.ts";
import { noExtraArgs } from "./_usage-error.ts";

export const nameToIpv6Command = defineCommand({
  meta: { name: "name-to-ipv6", description: "Print the mesh IPv6 address of a node name" },
  args: { name: { type: "positional", description: "node name (any UTF-8 text, may be empty)", required: true } },
  run({ args }) {
    noExtraArgs(args._, 1);
    io().out(`${nameToIpv6Text(args.name)}\n`);
  },
});

export const makeRandomIpv6Command = defineCommand({
  meta: { name: "make-random-ipv6", description: "Print a random fd00::/16 address" },
  run({ args }) {
    noExtraArgs(args._, 0);
    io().out(`${formatIpv6(randomIpv6())}\n`);
  },
});

export const makeRandomIpv4Command = defineCommand({
  meta: { name: "make-random-ipv4", description: "Print a random IPv4 address in 10.0.0.0/8" },
  run({ args }) {
    noExtraArgs(args._, 0);
    io().out(`${formatIpv4(randomIpv4())}\n`);
  },
});
