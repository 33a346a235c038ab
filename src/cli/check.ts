/** `smolmesh check CONFIG`: validate a config without starting anything. */
import { defineCommand } from "citty";
import { formatSocketAddress } from "../addr/format.ts";
import { nameToIpv6, nameToIpv6Text } from "../addr/node-name.ts";
import { controlSocketPath, tunName, wantsTun } from "../config/schema.ts";
import { ClaimFilter } from "../mesh/claim-filter.ts";
import { describeTransport } from "../node/describe.ts";
import { dnsListenAddress } from "../node/dns-service.ts";
import { io } from "./_io.ts";
import { noExtraArgs } from "./_usage-error.ts";
import { readKeyedConfig } from "./meshnode.ts";

export const checkCommand = defineCommand({
  meta: { name: "check", description: "Validate a config file without starting anything" },
  args: { config: { type: "positional", description: "path to config.json", required: true } },
  run({ args }) {
    noExtraArgs(args._, 1);
    const c = readKeyedConfig(args.config);
    const claims = new ClaimFilter({ ipv4: c.accept_ipv4, ipv6: c.accept_ipv6 });
    io().out(
      `${args.config}: ok\n` +
        `  node ${c.node_name}: ${[nameToIpv6Text(c.node_name), ...c.ipv4_addresses].join(", ")}\n` +
        `  ${wantsTun(c, process.platform) ? `TUN ${tunName(c)}, mtu ${c.mtu}` : "relay (no TUN)"}\n` +
        (c.transports.length ? c.transports.map((t) => `  ${describeTransport(t)}\n`).join("") : "  no links\n") +
        `  control socket: ${controlSocketPath(c) ?? "none"}\n` +
        (c.metrics_listen ? `  metrics: http://${c.metrics_listen}/metrics\n` : "") +
        (wantsTun(c, process.platform)
          ? c.dns.enabled
            ? `  dns: NAME.${c.dns.suffix} on ${formatSocketAddress(dnsListenAddress(c.dns, nameToIpv6(c.node_name)))}\n`
            : "  dns: off\n"
          : "") +
        `  floods may claim: IPv4 in ${claims.acceptIpv4.join(", ") || "nothing"}; IPv6 in ${claims.acceptIpv6.join(", ") || "nothing"}\n` +
        `    (never loopback, link-local, multicast, broadcast, unspecified or IPv4-mapped addresses, this node's own, or those its links run over)\n`,
    );
  },
});
