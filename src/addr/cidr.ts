/**
 * Address ranges in CIDR notation from operators ("10.0.0.0/8",
 * "fd00::/8"), parsed with ipaddr.js. Strict in the same way as parse.ts:
 * an IPv4 address must be a plain dotted quad, a zone ("%eth0") is not an
 * address, and bits set past the prefix length are a mistake to report
 * ("10.1.0.0/8" is not the range the operator meant, whichever it was).
 * A bare address is the range of that one address (/32, /128).
 */
import ipaddr from "ipaddr.js";

export interface Cidr {
  /** The network address, 4 or 16 bytes, no bits set past `prefix`. */
  readonly ip: Uint8Array;
  readonly prefix: number;
}

/** What an IPv4 or IPv6 range must look like (the start of config error messages). */
export const CIDR_EXPECTED = {
  4: 'an IPv4 range like "10.0.0.0/8" (a dotted quad, "/", a prefix length from 0 to 32)',
  6: 'an IPv6 range like "fd00::/8" (an IPv6 address, "/", a prefix length from 0 to 128)',
} as const;

/** The range `text` names, or a message saying what was expected. */
export function parseCidr(text: string, family: 4 | 6): Cidr | string {
  const slash = text.indexOf("/");
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const bits = family === 4 ? 32 : 128;
  const lenText = slash < 0 ? String(bits) : text.slice(slash + 1);
  if (!/^(0|[1-9]\d{0,2})$/.test(lenText) || Number(lenText) > bits) return CIDR_EXPECTED[family];
  const prefix = Number(lenText);
  let ip: Uint8Array;
  if (family === 4) {
    if (!ipaddr.IPv4.isValidFourPartDecimal(addrText)) {
      return ipaddr.IPv6.isValid(addrText)
        ? `an IPv4 range like "10.0.0.0/8", not an IPv6 one (those go in accept_ipv6)`
        : CIDR_EXPECTED[4];
    }
    ip = Uint8Array.from(ipaddr.IPv4.parse(addrText).toByteArray());
  } else {
    if (addrText.includes("%") || !ipaddr.IPv6.isValid(addrText)) {
      return ipaddr.IPv4.isValid(addrText)
        ? `an IPv6 range like "fd00::/8", not an IPv4 one (those go in accept_ipv4)`
        : CIDR_EXPECTED[6];
    }
    ip = Uint8Array.from(ipaddr.IPv6.parse(addrText).toByteArray());
  }
  const network = masked(ip, prefix);
  if (!network.every((b, i) => b === ip[i])) {
    const meant = formatCidr({ ip: network, prefix });
    return `a range with no address bits set past its prefix length (the range that contains ${addrText} is ${meant})`;
  }
  return { ip, prefix };
}

/** `ip` with every bit past the first `prefix` cleared (a copy). */
export function masked(ip: Uint8Array, prefix: number): Uint8Array {
  const out = ip.slice();
  for (let i = 0; i < out.length; i++) {
    const keep = Math.min(8, Math.max(0, prefix - 8 * i));
    out[i] = (out[i] as number) & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

/** Whether the address at b[off, off + c.ip.length) lies in `c`. */
export function cidrContains(c: Cidr, b: Uint8Array, off: number): boolean {
  const full = c.prefix >> 3;
  for (let i = 0; i < full; i++) if (b[off + i] !== c.ip[i]) return false;
  const rest = c.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((b[off + full] as number) & mask) === c.ip[full];
}

/** Whether every address of `inner` lies in `outer` (same family). */
export function cidrCovers(outer: Cidr, inner: Cidr): boolean {
  return outer.ip.length === inner.ip.length && outer.prefix <= inner.prefix && cidrContains(outer, inner.ip, 0);
}

/** "10.0.0.0/8", "fd00::/8": IPv6 compressed (RFC 5952), as operators write ranges. */
export function formatCidr(c: Cidr): string {
  const addr = ipaddr.fromByteArray([...c.ip]);
  return `${addr.kind() === "ipv6" ? (addr as ipaddr.IPv6).toRFC5952String() : addr.toString()}/${c.prefix}`;
}
