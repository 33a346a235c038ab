/** How routes and addresses are shown in logs and status. */
import { formatIp } from "../addr/format.ts";
import type { Route } from "../mesh/routing-table.ts";

export function describeRoute(r: Route): string {
  const addr = formatIp(r.addr);
  return r.name !== undefined ? `${addr} (${r.name})` : addr;
}
