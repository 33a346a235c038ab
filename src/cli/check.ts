/** `smolmesh check CONFIG`: validate a config without starting anything. */
import { defineCommand } from "citty";
import { nameToIpv6Text } from "../addr/node-name.ts";
import { controlSocketPath, tunName, wantsTun } from "../config/schema.ts";
import { ClaimFilter } from "../mesh/claim-filter.ts";
import { io } from "./_io.ts";
import { noExtraArgs } from "./_usage-error.ts";
import { readConfig } from "./meshnode.ts";

export const checkCommand = defineCommand({
  meta: { name: "check", description: "Validate a config file without starting anything" },
  args: { config: { type: "positional", description: "path to config.json", required: true } },
  run({ args }) {
    noExtraArgs(args._, 1);
    const c = readConfig(args.config);
    const listens = c.transports.filter((t) => t.type === "legacy_tcp_listen").length;
    const connects = c.transports.length - listens;
    const claims = new ClaimFilter({ ipv4: c.accept_ipv4, ipv6: c.accept_ipv6 });
    io().out(
      `${args.config}: ok\n` +
        `  node ${c.node_name}: ${[nameToIpv6Text(c.node_name), ...c.ipv4_addresses].join(", ")}\n` +
        `  ${wantsTun(c, process.platform) ? `TUN ${tunName(c)}, mtu ${c.mtu}` : "relay (no TUN)"}; ` +
        `${listens} listener${listens === 1 ? "" : "s"}, ${connects} outgoing link${connects === 1 ? "" : "s"}\n` +
        `  control socket: ${controlSocketPath(c) ?? "none"}\n` +
        `  floods may claim: IPv4 in ${claims.acceptIpv4.join(", ") || "nothing"}; IPv6 in ${claims.acceptIpv6.join(", ") || "nothing"}\n` +
        `    (never loopback, link-local, multicast, broadcast, unspecified or IPv4-mapped addresses, this node's own, or those its links run over)\n`,
    );
  },
});
