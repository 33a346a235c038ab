/** Destination-unreachable answers: well-formed, checksummed, and never sent where RFCs forbid. */
import { expect, test } from "bun:test";
import { icmpv4Unreachable, icmpv6Unreachable } from "../../src/packet/icmp-unreachable.ts";
import { hex } from "../helpers/vectors.ts";

function sum16(b: Uint8Array, initial = 0): number {
  let s = initial;
  for (let i = 0; i < b.length; i += 2) s += ((b[i] as number) << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

const me4 = Uint8Array.from([10, 0, 0, 1]);
const me6 = hex("fd000000000000000000000000000001");

function udp4(): Uint8Array {
  const p = new Uint8Array(60);
  p[0] = 0x45;
  p[9] = 17;
  p.set([10, 0, 0, 9], 12);
  p.set([10, 0, 0, 77], 16);
  return p;
}

function udp6(): Uint8Array {
  const p = new Uint8Array(100);
  p[0] = 0x60;
  p[6] = 17;
  p.set(hex("fd000000000000000000000000000009"), 8);
  p.set(hex("fd000000000000000000000000000077"), 24);
  return p;
}

test("IPv4: host unreachable to the sender, quoting header + 8 bytes, both checksums valid", () => {
  const a = icmpv4Unreachable(udp4(), me4) as Uint8Array;
  expect(a.length).toBe(20 + 8 + 28);
  expect([...a.subarray(12, 20)]).toEqual([10, 0, 0, 1, 10, 0, 0, 9]);
  expect([a[20], a[21]]).toEqual([3, 1]);
  expect(sum16(a.subarray(0, 20))).toBe(0xffff);
  expect(sum16(a.subarray(20))).toBe(0xffff);
});

test("IPv6: no route to destination, checksum valid over the pseudo-header, at most 1280 bytes", () => {
  const a = icmpv6Unreachable(udp6(), me6) as Uint8Array;
  expect([a[40], a[41]]).toEqual([1, 0]);
  let pseudo = 0;
  for (let i = 8; i < 40; i += 2) pseudo += ((a[i] as number) << 8) | (a[i + 1] as number);
  pseudo += a.length - 40 + 58;
  expect(sum16(a.subarray(40), pseudo)).toBe(0xffff);
  const big = new Uint8Array(9000);
  big.set(udp6());
  expect((icmpv6Unreachable(big, me6) as Uint8Array).length).toBe(1280);
});

test("never about errors, later fragments or multicast", () => {
  const err4 = udp4();
  err4[9] = 1;
  err4[20] = 3;
  expect(icmpv4Unreachable(err4, me4)).toBeUndefined();
  const frag = udp4();
  frag[7] = 10;
  expect(icmpv4Unreachable(frag, me4)).toBeUndefined();
  const mc6 = udp6();
  mc6[24] = 0xff;
  expect(icmpv6Unreachable(mc6, me6)).toBeUndefined();
  const err6 = udp6();
  err6[6] = 58;
  err6[40] = 1;
  expect(icmpv6Unreachable(err6, me6)).toBeUndefined();
  const echo6 = udp6();
  echo6[6] = 58;
  echo6[40] = 128;
  expect(icmpv6Unreachable(echo6, me6)).toBeDefined();
  expect(icmpv4Unreachable(new Uint8Array(10), me4)).toBeUndefined();
});
