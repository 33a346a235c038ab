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
