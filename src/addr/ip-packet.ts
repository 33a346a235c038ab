/**
 * Where a raw IP packet is going. Bytes from the network never throw: the
 * result is the destination's offset and length inside the packet, or a
 * drop reason the caller counts. (smolmesh2 indexes the header without a
 * length check and panics on a short data packet; we drop it.)
 */

export type DestDrop = "empty" | "bad-version" | "short-ipv4" | "short-ipv6";

export type Destination =
  | { readonly ok: true; readonly version: 4 | 6; readonly offset: number; readonly length: 4 | 16 }
  | { readonly ok: false; readonly reason: DestDrop };

const V4: Destination = { ok: true, version: 4, offset: 16, length: 4 };
const V6: Destination = { ok: true, version: 6, offset: 24, length: 16 };
const V4_SRC: Destination = { ok: true, version: 4, offset: 12, length: 4 };
const V6_SRC: Destination = { ok: true, version: 6, offset: 8, length: 16 };

const EMPTY: Destination = { ok: false, reason: "empty" };
const SHORT4: Destination = { ok: false, reason: "short-ipv4" };
const SHORT6: Destination = { ok: false, reason: "short-ipv6" };
const BAD: Destination = { ok: false, reason: "bad-version" };

/** The destination address field of `packet` (an IPv4 or IPv6 header). */
export function destinationOf(packet: Uint8Array): Destination {
  return destinationAt(packet, 0, packet.length);
}

/** `destinationOf` for the packet at b[off, off+len), without a view: the data path allocates nothing. */
export function destinationAt(b: Uint8Array, off: number, len: number): Destination {
  if (len <= 0) return EMPTY;
  const version = (b[off] as number) >> 4;
  if (version === 4) return len >= 20 ? V4 : SHORT4;
  if (version === 6) return len >= 40 ? V6 : SHORT6;
  return BAD;
}

/** The source address field, same rules as `destinationOf`. */
export function sourceOf(packet: Uint8Array): Destination {
  const d = destinationOf(packet);
  if (!d.ok) return d;
  return d.version === 4 ? V4_SRC : V6_SRC;
}
