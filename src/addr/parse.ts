/**
 * Address text from operators (config files, command lines), parsed with
 * ipaddr.js. Strict: only a plain dotted quad is an IPv4 address here, so
 * "10.1" or "010.0.0.1" is refused instead of meaning something surprising.
 */
import ipaddr from "ipaddr.js";

/** The 4 bytes of a dotted-quad IPv4 address, or undefined. */
export function parseIpv4(text: string): Uint8Array | undefined {
  if (!ipaddr.IPv4.isValidFourPartDecimal(text)) return undefined;
  return Uint8Array.from(ipaddr.IPv4.parse(text).toByteArray());
}

/** The 16 bytes of an IPv6 address in any standard notation, or undefined. */
export function parseIpv6(text: string): Uint8Array | undefined {
  if (!ipaddr.IPv6.isValid(text)) return undefined;
  return Uint8Array.from(ipaddr.IPv6.parse(text).toByteArray());
}
