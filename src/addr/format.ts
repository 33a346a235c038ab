/**
 * Address text exactly as smolmesh2 prints it: IPv6 as 8 groups of 4
 * lowercase hex digits with no zero compression, IPv4 dotted decimal.
 * Operators compare these strings across mixed meshes, so the format is
 * part of compatibility.
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function formatIpv6(bytes: Uint8Array): string {
  if (bytes.length !== 16) {
    throw new RangeError(`"bytes" expected Uint8Array of length 16, got length=${bytes.length}`);
  }
  let s = "";
  for (let i = 0; i < 16; i += 2) {
    if (i) s += ":";
    s += (HEX[bytes[i] as number] as string) + (HEX[bytes[i + 1] as number] as string);
  }
  return s;
}

export function formatIpv4(bytes: Uint8Array): string {
  if (bytes.length !== 4) {
    throw new RangeError(`"bytes" expected Uint8Array of length 4, got length=${bytes.length}`);
  }
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/** Formats a 4- or 16-byte address. */
export function formatIp(bytes: Uint8Array): string {
  return bytes.length === 4 ? formatIpv4(bytes) : formatIpv6(bytes);
}

/** "1.2.3.4:80" or "[fd00::1]:80": IPv6 compressed here, as operators type endpoints. */
export function formatSocketAddress(a: { readonly ip: Uint8Array; readonly port: number }): string {
  if (a.ip.length === 4) return `${formatIpv4(a.ip)}:${a.port}`;
  const compressed = formatIpv6(a.ip)
    .split(":")
    .map((g) => g.replace(/^0{1,3}/, ""))
    .join(":")
    .replace(/(^|:)0(:0)+(:|$)/, "::");
  return `[${compressed}]:${a.port}`;
}
