/**
 * The duplicate filter's packet hash: xxhash64 from xxhash-wasm, cut to 53
 * bits so it is a plain number. Loading it is asynchronous, so the node
 * awaits `loadPacketHash()` once at start and hands the function to the
 * router.
 */
import xxhash from "xxhash-wasm";
import type { PacketHash } from "./dup-filter.ts";

const MASK53 = (1n << 53n) - 1n;
let loaded: Promise<PacketHash> | undefined;

export function loadPacketHash(): Promise<PacketHash> {
  loaded ??= xxhash().then(
    (api): PacketHash =>
      (b, off, len) =>
        Number(api.h64Raw(b.subarray(off, off + len)) & MASK53),
  );
  return loaded;
}
