/** How routes and addresses are shown in logs and status. */
import { formatIp } from "../addr/format.ts";
import type { Config } from "../config/schema.ts";
import type { Route } from "../mesh/routing-table.ts";
import { formatEndpoint } from "../transport/endpoint.ts";

export function describeRoute(r: Route): string {
  const addr = formatIp(r.addr);
  return r.name !== undefined ? `${addr} (${r.name})` : addr;
}

/** A transport as `check` and reload list it: what it does, where, with which protocol. */
export function describeTransport(t: Config["transports"][number]): string {
  const keys = (n: number) => `${n} key${n === 1 ? "" : "s"}`;
  switch (t.type) {
    case "tcp_listen":
      return `listen on ${formatEndpoint(t.bind, t.port)}: modern${t.legacy ? " and legacy" : ""}, ${keys(t.keys.length)}`;
    case "tcp_connect":
      return `connect to ${formatEndpoint(t.host, t.port)}: modern`;
    case "legacy_tcp_listen":
      return `listen on ${formatEndpoint(t.bind, t.port)}: legacy (SPECK and Gimli), ${keys(t.keys.length)}`;
    case "legacy_tcp_connect":
      return `connect to ${formatEndpoint(t.host, t.port)}: legacy (${t.cipher === "gimli" ? "Gimli" : "SPECK"})`;
  }
}
