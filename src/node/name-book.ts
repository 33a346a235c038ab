/**
 * The names a node knows, for its DNS responder: its own, and every name
 * the router holds a route for (heard in a flood within the validity
 * window, reachable now or not). DNS compares names without case, node
 * names are exact strings: a name is found as asked, then lowercased,
 * then through an index of all names by lowercase (rebuilt at most once a
 * second, only for a query the first two lookups missed).
 */
import { nameToIpv6 } from "../addr/node-name.ts";
import type { NameBook } from "../dns/responder.ts";
import { keyOf } from "../mesh/addr-key.ts";
import type { RoutingTable } from "../mesh/routing-table.ts";

const INDEX_MS = 1000;

export interface OwnNames {
  name: string;
  ipv6: Uint8Array;
  ipv4: Uint8Array[];
}

export class MeshNameBook implements NameBook {
  private index = new Map<string, string>();
  private indexAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly own: OwnNames,
    private readonly table: RoutingTable,
    private readonly now: () => number,
  ) {}

  forward(name: string): { name: string; ipv6: Uint8Array; ipv4: Uint8Array[] } | undefined {
    const lower = name.toLowerCase();
    if (name === this.own.name || lower === this.own.name.toLowerCase()) return this.own;
    const found =
      this.heard(name) ?? (lower === name ? undefined : this.heard(lower)) ?? this.heard(this.byCase(lower));
    return found === undefined ? undefined : { name: found, ipv6: nameToIpv6(found), ipv4: [] };
  }

  reverse(ip: Uint8Array): string | undefined {
    if (ip.length === 16 && ip.every((b, i) => b === this.own.ipv6[i])) return this.own.name;
    if (ip.length === 4 && this.own.ipv4.some((a) => a.every((b, i) => b === ip[i]))) return this.own.name;
    if (ip.length !== 16) return undefined;
    return this.table.get(keyOf(ip))?.name;
  }

  /** `name` when the router holds a route for it as a name. */
  private heard(name: string | undefined): string | undefined {
    if (name === undefined) return undefined;
    return this.table.get(keyOf(nameToIpv6(name)))?.name === name ? name : undefined;
  }

  private byCase(lower: string): string | undefined {
    const now = this.now();
    if (now - this.indexAt >= INDEX_MS) {
      this.index = new Map();
      for (const r of this.table.values()) if (r.name !== undefined) this.index.set(r.name.toLowerCase(), r.name);
      this.indexAt = now;
    }
    return this.index.get(lower);
  }
}
