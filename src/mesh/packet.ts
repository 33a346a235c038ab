/**
 * Mesh packets, the payload of every legacy frame:
 * `ts:u64 LE (unix ms) || cmd:u8 || body`.
 *
 *   cmd 0  node name, UTF-8     "I am NAME" (routes name-to-ipv6(NAME))
 *   cmd 1  16-byte IPv6         "I handle this IPv6 address"
 *   cmd 2  4-byte IPv4          "I handle this IPv4 address"
 *   cmd 3  raw IPv4/IPv6 packet data, routed by its destination
 */

export const CMD_NAME = 0;
export const CMD_IPV6 = 1;
export const CMD_IPV4 = 2;
export const CMD_DATA = 3;
/** Bytes before the body: timestamp and command. */
export const HEADER = 9;
/** Packets further than this from our clock are dropped (3 minutes). */
export const VALIDITY_MS = 180_000;

/** The timestamp of the packet at `off` (caller checked the length). */
export function readTs(b: Uint8Array, off: number): number {
  const lo =
    (b[off] as number) |
    ((b[off + 1] as number) << 8) |
    ((b[off + 2] as number) << 16) |
    ((b[off + 3] as number) << 24);
  const hi =
    (b[off + 4] as number) |
    ((b[off + 5] as number) << 8) |
    ((b[off + 6] as number) << 16) |
    ((b[off + 7] as number) << 24);
  // u64 milliseconds: exact below 2^53, far beyond any real clock
  return (hi >>> 0) * 0x1_0000_0000 + (lo >>> 0);
}

/** Writes ts and cmd at `off`. */
export function writeHeader(b: Uint8Array, off: number, ts: number, cmd: number): void {
  const lo = ts % 0x1_0000_0000;
  const hi = Math.floor(ts / 0x1_0000_0000);
  for (let i = 0; i < 4; i++) {
    b[off + i] = (lo >>> (8 * i)) & 0xff;
    b[off + 4 + i] = (hi >>> (8 * i)) & 0xff;
  }
  b[off + 8] = cmd;
}

/** A whole packet: header then body. */
export function buildPacket(ts: number, cmd: number, body: Uint8Array): Uint8Array {
  const p = new Uint8Array(HEADER + body.length);
  writeHeader(p, 0, ts, cmd);
  p.set(body, HEADER);
  return p;
}
