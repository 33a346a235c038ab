/**
 * "HOST:PORT" as a config value for a local listening address: an IPv4
 * literal ("127.0.0.1:9464") or a bracketed IPv6 literal ("[::1]:9464").
 */
import ipaddr from "ipaddr.js";

export interface HostPort {
  host: string;
  port: number;
}

export function parseHostPort(text: string): HostPort | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const host = (m[1] ?? m[2]) as string;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  if (m[1] !== undefined ? !ipaddr.IPv6.isValid(host) : !ipaddr.IPv4.isValidFourPartDecimal(host)) return undefined;
  return { host, port };
}
