/** The duplicate filter's packet hash: a function of the packet's bytes only, an exact integer below 2^53. */
import { expect, test } from "bun:test";
import fc from "fast-check";
import { loadPacketHash } from "../../src/node/packet-hash.ts";

const hash = await loadPacketHash();

test("the same bytes hash alike wherever they lie; a one-bit change gives another hash", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 2000 }), fc.nat(64), fc.nat(), (pkt, at, bit) => {
      const big = new Uint8Array(at + pkt.length + 7);
      big.set(pkt, at);
      const h = hash(pkt, 0, pkt.length);
      expect(Number.isSafeInteger(h) && h >= 0).toBe(true);
      expect(hash(big, at, pkt.length)).toBe(h);
      const flipped = pkt.slice();
      const i = bit % (pkt.length * 8);
      flipped[i >> 3] = (flipped[i >> 3] as number) ^ (1 << (i & 7));
      expect(hash(flipped, 0, flipped.length)).not.toBe(h);
    }),
  );
});

test("a packet and its prefix hash differently: the length is part of what is hashed", () => {
  const pkt = new Uint8Array(100);
  expect(hash(pkt, 0, 100)).not.toBe(hash(pkt, 0, 99));
});
