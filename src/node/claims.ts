/**
 * The node's side of address claims (mesh/claim-filter.ts): the filter
 * built from the config, the underlay addresses kept in it, and how a
 * refused claim reads in the log.
 *
 * Underlay: the addresses this node's links run over must never be routed
 * into the mesh, or the links would carry themselves and die. Each is
 * protected while something uses it: a link's peer and local address from
 * the moment its TCP connection exists (through its handshake, until it
 * closes), a connect transport's host from the moment it is resolved
 * (every later attempt goes there too), a listener's address when it names
 * one. A route already held for an address that becomes underlay is
 * withdrawn at once (Router.addUnderlay): the link wins.
 *
 * An address stays protected after its last user is gone if that user was
 * a link that completed its handshake (a key holder) or a host that now
 * resolves elsewhere, for the REMEMBERED most recent such addresses: a
 * peer whose link dropped must be able to come back, and a claim made in
 * the seconds before it reconnects would otherwise shut it out for good.
 * Strangers that fail the handshake are forgotten at once, so they cannot
 * push remembered peers out.
 *
 * What cannot be protected is an address the node has not met yet: a peer
 * that first connects from an address claimed earlier finds the answers
 * to its connection routed into the mesh. Narrowing the accept ranges to
 * the mesh's own range keeps the underlay networks out of reach entirely.
 */
import { formatIp } from "../addr/format.ts";
import type { Config } from "../config/schema.ts";
import { type AddrKey, keyOf } from "../mesh/addr-key.ts";
import { ClaimFilter, describeRefusal } from "../mesh/claim-filter.ts";
import type { RefusedClaim, Router } from "../mesh/router.ts";

/** The claim filter a node with this config uses (the router adds the node's own addresses). */
export function claimFilterFor(config: Pick<Config, "accept_ipv4" | "accept_ipv6">): ClaimFilter {
  return new ClaimFilter({ ipv4: config.accept_ipv4, ipv6: config.accept_ipv6 });
}

const isWildcard = (ip: Uint8Array) => ip.every((b) => b === 0);

/** How many addresses no longer in use stay protected (see above). */
export const REMEMBERED = 256;

export class Underlay {
  private readonly links = new Map<number, Uint8Array[]>();
  private readonly hosts = new Map<object, Uint8Array>();
  private readonly listens: Uint8Array[] = [];
  /** Addresses no longer in use that stay protected, oldest first; each holds one reference in the filter. */
  private readonly remembered = new Map<AddrKey, Uint8Array>();

  constructor(private readonly router: Pick<Router, "addUnderlay" | "removeUnderlay">) {}

  /** A link's TCP connection exists: its peer and local address (undefined: unknown). */
  linkOpened(id: number, peer: Uint8Array, local: Uint8Array | undefined): void {
    const ips = local === undefined || isWildcard(local) ? [peer] : [peer, local];
    this.links.set(id, ips);
    for (const ip of ips) this.router.addUnderlay(ip);
  }

  /** A link closed; `wasUp`: it had completed its handshake, so its addresses are remembered. */
  linkClosed(id: number, wasUp: boolean): void {
    const ips = this.links.get(id);
    if (!ips) return;
    this.links.delete(id);
    for (const ip of ips) {
      if (wasUp) this.remember(ip);
      else this.router.removeUnderlay(ip);
    }
  }

  /** Moves a reference to `ip` from a user that is gone into the remembered addresses. */
  private remember(ip: Uint8Array): void {
    const k = keyOf(ip);
    if (this.remembered.delete(k)) this.router.removeUnderlay(ip); // it holds one already: refreshed below
    this.remembered.set(k, ip);
    if (this.remembered.size <= REMEMBERED) return;
    const [oldest, old] = this.remembered.entries().next().value as [AddrKey, Uint8Array];
    this.remembered.delete(oldest);
    this.router.removeUnderlay(old);
  }

  /** Connect transport `owner` resolved its host to `ip` (it stays protected until the host resolves elsewhere). */
  resolved(owner: object, ip: Uint8Array): void {
    const was = this.hosts.get(owner);
    if (was && keyOf(was) === keyOf(ip)) return;
    this.hosts.set(owner, ip);
    this.router.addUnderlay(ip);
    if (was) this.remember(was);
  }

  /** A listener's address ("::" and "0.0.0.0" name no address: its links' local addresses are protected instead). */
  listening(ip: Uint8Array): void {
    if (isWildcard(ip)) return;
    this.listens.push(ip);
    this.router.addUnderlay(ip);
  }

  /** Every address protected now, once each. */
  addresses(): Uint8Array[] {
    const all = new Map<AddrKey, Uint8Array>();
    const inUse = [...this.listens, ...this.hosts.values(), ...[...this.links.values()].flat()];
    for (const ip of [...inUse, ...this.remembered.values()]) {
      all.set(keyOf(ip), ip);
    }
    return [...all.values()];
  }
}

/** The warning for a refused claim; `peer` names the link it came on ("link 3 (10.0.0.2:4040)"). */
export function refusalMessage(c: RefusedClaim, peer: string): string {
  const what = `${formatIp(c.ip)}${c.name === undefined ? "" : ` (${c.name})`}`;
  const family = c.ip.length === 4 ? 4 : 6;
  if (c.withdrawn) {
    return `route to ${what} removed: one of this node's links runs over that address, and the link wins; ${peer} had announced it`;
  }
  const why = describeRefusal(c.reason, family);
  const hint = c.reason === "own" ? " (a flood from an earlier run of this node, or another node claims it)" : "";
  return `refused a flood from ${peer} claiming ${what}: ${why}${hint}; not routed, not passed on`;
}
