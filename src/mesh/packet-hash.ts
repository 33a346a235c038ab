/**
 * The duplicate filter's packet hash: xxhash64 from xxhash-wasm. Loading
 * it is asynchronous, so the node awaits `loadPacketHash()` once at start
 * and hands the function to the router.
 */
import xxhash from "xxhash-wasm";
import type { PacketHash } from "./dup-filter.ts";

let loaded: Promise<PacketHash> | undefined;

export function loadPacketHash(): Promise<PacketHash> {
  loaded ??= xxhash().then(
    (api) => (b: Uint8Array, off: number, len: number) => api.h64Raw(b.subarray(off, off + len)),
  );
  return loaded;
}
