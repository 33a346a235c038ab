/**
 * A node's mesh IPv6 address, derived from its name exactly as smolmesh2
 * does (IpAddr::from_node_name): SPECK rounds over the name's UTF-8 bytes,
 * then a search until the address starts with fd00. Computed in
 * WebAssembly; the TypeScript twin lives in crypto/speck-ref.ts.
 */
import { speckWasm } from "../crypto/speck-wasm.ts";
import { formatIpv6 } from "./format.ts";

const utf8 = new TextEncoder();

/** The 16 address bytes in network order. */
export function nameToIpv6(name: string): Uint8Array {
  return speckWasm().nameToIpv6(utf8.encode(name));
}

/** The address as smolmesh2 prints it. */
export function nameToIpv6Text(name: string): string {
  return formatIpv6(nameToIpv6(name));
}
