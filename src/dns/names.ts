/**
 * Node names as DNS names, and addresses as reverse-lookup names.
 *
 * A node name NAME is `NAME.SUFFIX` in DNS when it can be written there:
 * dot-separated labels of 1-63 bytes of printable UTF-8 (no spaces or
 * control characters), the whole name at most 253 characters. Other node
 * names route as before but have no DNS name. Every name-derived address
 * lies in fd00::/16, so their reverse names lie under REVERSE_ZONE.
 */

const utf8 = new TextEncoder();
/** Longest DNS name in text form (255 bytes on the wire). */
const MAX_NAME = 253;
const MAX_LABEL = 63;
const UNPRINTABLE = /[\u0000-\u0020\u007f\\]/;

/** fd00::/16 in ip6.arpa: where the reverse names of node addresses lie. */
export const REVERSE_ZONE = "0.0.d.f.ip6.arpa";

/** Whether `name` is a DNS name (labels of 1-63 bytes, no unprintable characters, 253 at most). */
export function isDnsName(name: string): boolean {
  if (name.length === 0 || utf8.encode(name).length > MAX_NAME || UNPRINTABLE.test(name)) return false;
  return name.split(".").every((l) => l.length > 0 && utf8.encode(l).length <= MAX_LABEL);
}

/** A DNS suffix for the config: lowercase letters, digits and hyphens in dot-separated labels. */
export function isSuffix(s: string): boolean {
  return s.length <= 200 && /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(s);
}

/** `NAME.SUFFIX`, or undefined when the node name cannot be a DNS name. */
export function dnsNameOf(nodeName: string, suffix: string): string | undefined {
  const full = `${nodeName}.${suffix}`;
  return isDnsName(full) ? full : undefined;
}

/** The node-name part of `qname` under `suffix` (compared without case): "" for the suffix itself, undefined outside it. */
export function underSuffix(qname: string, suffix: string): string | undefined {
  const q = qname.toLowerCase();
  if (q === suffix) return "";
  return q.endsWith(`.${suffix}`) ? qname.slice(0, qname.length - suffix.length - 1) : undefined;
}

const HEX = "0123456789abcdef";

/** The ip6.arpa or in-addr.arpa name of a 16- or 4-byte address. */
export function reverseName(ip: Uint8Array): string {
  if (ip.length === 4) return `${ip[3]}.${ip[2]}.${ip[1]}.${ip[0]}.in-addr.arpa`;
  const nibbles: string[] = [];
  for (let i = 15; i >= 0; i--) {
    const b = ip[i] as number;
    nibbles.push(HEX[b & 15] as string, HEX[b >> 4] as string);
  }
  return `${nibbles.join(".")}.ip6.arpa`;
}

/**
 * What a reverse name asks for: a whole address, a name above one inside
 * REVERSE_ZONE ("zone": an empty non-terminal or the zone itself), or
 * nothing we answer for (undefined).
 */
export type ReverseQuery = { ip: Uint8Array } | "zone" | undefined;

export function parseReverse(qname: string): ReverseQuery {
  const q = qname.toLowerCase();
  if (q.endsWith(".in-addr.arpa")) {
    const parts = q.slice(0, -".in-addr.arpa".length).split(".");
    if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) < 256)) return undefined;
    return { ip: Uint8Array.from(parts.reverse().map(Number)) };
  }
  if (q === REVERSE_ZONE) return "zone";
  if (!q.endsWith(`.${REVERSE_ZONE}`)) return undefined;
  const nibbles = q.slice(0, -".ip6.arpa".length).split(".");
  if (!nibbles.every((n) => n.length === 1 && HEX.includes(n))) return undefined;
  if (nibbles.length < 32) return "zone";
  if (nibbles.length > 32) return undefined;
  const ip = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const lo = HEX.indexOf(nibbles[30 - 2 * i] as string);
    const hi = HEX.indexOf(nibbles[31 - 2 * i] as string);
    ip[i] = (hi << 4) | lo;
  }
  return { ip };
}
