/**
 * What a reload changes: the running transports matched against the new
 * config's by kind and address (a transport whose keys changed is the same
 * transport), and the fields only a restart can change. Pure: transports.ts
 * applies the plan.
 */
import type { Config } from "../config/schema.ts";

export type Transport = Config["transports"][number];

/** Config fields a running node cannot change: a reload names them. */
export const RESTART_FIELDS = [
  "node_name",
  "ipv4_addresses",
  "linux_tuntap",
  "windows_tuntap",
  "interface_name",
  "mtu",
  "control_socket",
  "wintun_dll",
  "metrics_listen",
  "accept_ipv4",
  "accept_ipv6",
  "max_destinations",
  "new_destinations_burst",
  "new_destinations_per_second",
] as const satisfies readonly (keyof Config)[];

/** What makes a transport the same one across a reload: kind and address (keys may change). */
export function transportId(t: Transport): string {
  return t.type === "tcp_listen" || t.type === "legacy_tcp_listen"
    ? `${t.type} ${t.bind} ${t.port}`
    : `${t.type} ${t.host} ${t.port}`;
}

export interface ReloadPlan<R> {
  removed: R[];
  /** Running transports whose keys or settings changed, with their new config. */
  changed: [R, Transport][];
  added: Transport[];
  /** "FIELD changed: takes effect at restart" for each such field. */
  restart: string[];
}

export function planReload<R extends { transport: Transport }>(
  running: readonly R[],
  current: Config,
  next: Config,
): ReloadPlan<R> {
  const plan: ReloadPlan<R> = { removed: [], changed: [], added: [], restart: [] };
  plan.restart = RESTART_FIELDS.filter((f) => JSON.stringify(current[f]) !== JSON.stringify(next[f])).map(
    (f) => `${f} changed: takes effect at restart`,
  );
  const wanted = [...next.transports];
  for (const rec of running) {
    const i = wanted.findIndex((t) => transportId(t) === transportId(rec.transport));
    if (i < 0) {
      plan.removed.push(rec);
      continue;
    }
    const t = wanted.splice(i, 1)[0] as Transport;
    if (JSON.stringify(t) !== JSON.stringify(rec.transport)) plan.changed.push([rec, t]);
  }
  plan.added = wanted;
  return plan;
}
