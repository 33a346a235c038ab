/**
 * `accept_ipv4` and `accept_ipv6`: the address ranges floods may claim at
 * this node (mesh/claim-filter.ts), as lists of CIDR ranges. The defaults
 * fit how smolmesh is used: IPv4 in the private ranges (RFC 1918) and the
 * shared address space (100.64.0.0/10), IPv6 in fd00::/8, where every
 * name-derived address lies. Special, own and underlay addresses are
 * refused whatever these say.
 */
import { z } from "zod";
import { CIDR_EXPECTED, type Cidr, cidrCovers, parseCidr } from "../addr/cidr.ts";
import { ClaimFilter, DEFAULT_ACCEPT_IPV4, DEFAULT_ACCEPT_IPV6, describeRefusal } from "../mesh/claim-filter.ts";

function rangeList(family: 4 | 6, defaults: readonly string[]) {
  const range = z.string({ error: CIDR_EXPECTED[family] }).superRefine((text, ctx) => {
    const r = parseCidr(text, family);
    if (typeof r === "string") ctx.addIssue({ code: "custom", message: r });
  });
  return z
    .array(range, { error: `a list of IPv${family} ranges, like ${JSON.stringify(defaults)}` })
    .default([...defaults]);
}

export const acceptIpv4 = rangeList(4, DEFAULT_ACCEPT_IPV4);
export const acceptIpv6 = rangeList(6, DEFAULT_ACCEPT_IPV6);

/** Where every name-derived address lies (addr/node-name.ts searches until an address starts with fd00). */
const NAME_RANGE = parseCidr("fd00::/16", 6) as Cidr;

/**
 * Settings that are valid but unlikely to be meant: an IPv4 address of
 * this node that nodes with these ranges refuse, and IPv6 ranges that
 * leave out names' addresses (every name flood outside them is refused).
 */
export function acceptWarnings(c: {
  ipv4_addresses: readonly string[];
  accept_ipv4: readonly string[];
  accept_ipv6: readonly string[];
}): string[] {
  const warnings: string[] = [];
  const filter = new ClaimFilter({ ipv4: c.accept_ipv4, ipv6: c.accept_ipv6 });
  c.ipv4_addresses.forEach((a, i) => {
    const ip = parseCidr(a, 4);
    if (typeof ip === "string") return;
    const v = filter.checkAddr(ip.ip);
    if (v !== "accept") {
      warnings.push(
        `ipv4_addresses[${i}]: ${a} is ${describeRefusal(v, 4)}: a node with these settings refuses floods for it, so the mesh cannot reach this node there`,
      );
    }
  });
  if (!c.accept_ipv6.some((r) => cidrCovers(parseCidr(r, 6) as Cidr, NAME_RANGE))) {
    warnings.push(
      "accept_ipv6: no range holds fd00::/16, where every node name's address lies: name floods for addresses outside these ranges are refused",
    );
  }
  return warnings;
}
