/**
 * SPECK generation of the legacy protocol: every vector of the original,
 * through the WebAssembly path and the plain TypeScript path, plus random
 * cross-checks between the two.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { speck, speckRef, speckWasm } from "../../src/crypto/index.ts";
import * as ref from "../../src/crypto/speck-ref.ts";
import type { LegacySuite } from "../../src/crypto/suite.ts";
import { expectOpenedTranscripts, expectSealedTranscripts } from "../helpers/transcripts.ts";
import { type FramesFile, hex, loadVectors, toHex, utf8 } from "../helpers/vectors.ts";

interface RoundVector {
  x: string;
  y: string;
  k: string;
  ernd: [string, string];
  drnd: [string, string];
}
interface ScheduleVector {
  key_hex: string;
  rounds: number;
  round_keys: string[];
}
const speckFile = loadVectors<{ round_functions: RoundVector[]; key_schedule: ScheduleVector[] }>("speck.json");
const multiFile = loadVectors<{
  vectors: { x_hex: string; y_hex: string; z_hex: string; multispeck2_xy: string; multispeck3_xyz: string }[];
}>("multispeck.json");
const ksFile = loadVectors<{ vectors: { key_hex: string; round_keys: string[]; keystream_1000_hex: string }[] }>(
  "keystream_speck.json",
);
const framesFile = loadVectors<FramesFile>("frames_speck.json");

/** The primitives both implementations expose beyond the suite interface. */
interface Primitives {
  ernd(x: bigint, y: bigint, k: bigint): [bigint, bigint];
  drnd(x: bigint, y: bigint, k: bigint): [bigint, bigint];
  keySchedule(key: Uint8Array, rounds: number): bigint[];
  encryptBlock(rk: readonly bigint[], x: bigint, y: bigint): [bigint, bigint];
}

const wasmPrims: Primitives = {
  ernd: (x, y, k) => speckWasm().ernd(x, y, k),
  drnd: (x, y, k) => speckWasm().drnd(x, y, k),
  keySchedule: (key, rounds) => speckWasm().keySchedule(key, rounds),
  encryptBlock: (rk, x, y) => speckWasm().encryptBlock(rk, x, y),
};

const impls: [string, LegacySuite, Primitives][] = [
  ["wasm", speck, wasmPrims],
  ["ts", speckRef, ref],
];

describe.each(impls)("SPECK (%s)", (_name, suite, prims) => {
  test("round function and its inverse match all vectors", () => {
    for (const v of speckFile.round_functions) {
      const [x, y, k] = [BigInt(v.x), BigInt(v.y), BigInt(v.k)];
      expect(prims.ernd(x, y, k).map(String)).toEqual(v.ernd);
      expect(prims.drnd(x, y, k).map(String)).toEqual(v.drnd);
    }
  });

  test("key schedule matches all vectors", () => {
    for (const v of speckFile.key_schedule) {
      expect(prims.keySchedule(hex(v.key_hex), v.rounds).map(String)).toEqual(v.round_keys);
    }
  });

  test("key schedule refuses keys the original cannot take", () => {
    expect(() => prims.keySchedule(new Uint8Array(8), 4)).toThrow(/multiple of 8 bytes, at least 16/);
    expect(() => prims.keySchedule(new Uint8Array(20), 4)).toThrow(/got length=20/);
  });

  test("published Speck128/128 vector", () => {
    const rk = prims.keySchedule(hex("000102030405060708090a0b0c0d0e0f"), 32);
    const [x, y] = prims.encryptBlock(rk, 0x6c61766975716520n, 0x7469206564616d20n);
    expect(x.toString(16)).toBe("a65d985179783265");
    expect(y.toString(16)).toBe("7860fedf5c570d18");
  });

  test("multispeck2 and multispeck3 match all vectors", () => {
    for (const v of multiFile.vectors) {
      const [x, y, z] = [hex(v.x_hex), hex(v.y_hex), hex(v.z_hex)];
      expect(toHex(suite.hash2(x, y))).toBe(v.multispeck2_xy);
      expect(toHex(suite.hash3(x, y, z))).toBe(v.multispeck3_xyz);
    }
  });

  test("keystream matches all vectors, whole and in uneven pieces", () => {
    const zeroMac = new Uint8Array(16);
    for (const v of ksFile.vectors) {
      const key = hex(v.key_hex);
      expect(prims.keySchedule(key, 32).map(String)).toEqual(v.round_keys);
      const whole = new Uint8Array(1000);
      const c1 = suite.direction(key, zeroMac);
      c1.xor(whole);
      expect(toHex(whole)).toBe(v.keystream_1000_hex);
      c1.dispose();
      // pieces of 1, 2, ..., so every block boundary is crossed at a new offset
      const pieces = new Uint8Array(1000);
      const c2 = suite.direction(key, zeroMac);
      for (let off = 0, n = 1; off < 1000; off += n, n++) c2.xor(pieces.subarray(off, off + n));
      expect(toHex(pieces)).toBe(v.keystream_1000_hex);
      c2.dispose();
    }
  });

  test("session keys, frames and whole transcripts match every session", () => {
    expectSealedTranscripts(suite, framesFile);
  });

  test("transcripts decrypt and every MAC verifies; a flipped bit does not", () => {
    expectOpenedTranscripts(suite, framesFile);
  });

  test("the listener picks the first configured key whose keyfinder matches", () => {
    const sel = framesFile.listener_key_selection;
    const iv = hex(sel.client_iv_hex);
    const found = sel.listener_keys.findIndex(
      (k) => toHex(suite.hash3(utf8(k), iv, utf8("keyfinder"))) === sel.client_keyfinder_hex,
    );
    expect(found).toBe(sel.picked_index);
    expect(toHex(suite.hash3(utf8(sel.client_key), iv, utf8("keyfinder")))).toBe(sel.client_keyfinder_hex);
  });

  test("sealing refuses empty and oversized payloads", () => {
    const c = suite.direction(new Uint8Array(16), new Uint8Array(16));
    expect(() => c.seal(new Uint8Array(0))).toThrow(/1\.\.65535 bytes/);
    expect(() => c.seal(new Uint8Array(65536))).toThrow(/got length=65536/);
    expect(() => suite.direction(new Uint8Array(15), new Uint8Array(16))).toThrow(/length 16/);
    c.dispose();
  });
});

describe("WebAssembly and TypeScript agree on random input", () => {
  const bytes = (max: number) => fc.uint8Array({ minLength: 0, maxLength: max });
  const key16 = fc.uint8Array({ minLength: 16, maxLength: 16 });

  test("hashes", () => {
    fc.assert(
      fc.property(bytes(300), bytes(40), bytes(40), (x, y, z) => {
        expect(toHex(speck.hash2(x, y))).toBe(toHex(speckRef.hash2(x, y)));
        expect(toHex(speck.hash3(x, y, z))).toBe(toHex(speckRef.hash3(x, y, z)));
      }),
    );
  });

  test("frames of a stream, any sizes", () => {
    fc.assert(
      fc.property(
        key16,
        key16,
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 2000 }), { maxLength: 8 }),
        (e, m, ps) => {
          const a = speck.direction(e, m);
          const b = speckRef.direction(e, m);
          for (const p of ps) expect(toHex(a.seal(p))).toBe(toHex(b.seal(p)));
          a.dispose();
        },
      ),
      { numRuns: 50 },
    );
  });

  test("node names", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (name) => {
        const n = utf8(name);
        expect(toHex(speckWasm().nameToIpv6(n))).toBe(toHex(ref.nameToIpv6(n)));
      }),
      { numRuns: 50 },
    );
  });
});

describe("wasm heap", () => {
  test("a disposed cipher's memory is reused, so churn does not grow memory", () => {
    const w = speckWasm();
    speck.direction(new Uint8Array(16), new Uint8Array(16)).dispose();
    const before = w.heap.used;
    for (let i = 0; i < 10_000; i++) speck.direction(new Uint8Array(16), new Uint8Array(16)).dispose();
    expect(w.heap.used).toBe(before);
  });

  test("a disposed cipher refuses use", () => {
    const c = speck.direction(new Uint8Array(16), new Uint8Array(16));
    c.dispose();
    expect(() => c.seal(new Uint8Array(1))).toThrow(/after dispose/);
  });
});

describe("keystream prefetch while verifying (the receive path)", () => {
  test("a prefetching direction opens any stream exactly like a plain one, whatever the read sizes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 20_000 }), { minLength: 1, maxLength: 20 }),
        (sizes, reads) => {
          const key = crypto.getRandomValues(new Uint8Array(16));
          const tx = speck.direction(key, key);
          const frames = sizes.map((n) => tx.seal(crypto.getRandomValues(new Uint8Array(Math.min(n, 65535)))));
          const wire = new Uint8Array(frames.reduce((s, f) => s + f.length, 0));
          let o = 0;
          for (const f of frames) {
            wire.set(f, o);
            o += f.length;
          }
          const plain = speck.direction(key, key);
          const ahead = speck.direction(key, key);
          ahead.prefetch();
          // decrypt in the given read sizes, verifying each frame once complete, as a session does
          const open = (c: typeof plain) => {
            const buf = wire.slice();
            let dec = 0;
            let frame = 0;
            let ri = 0;
            const ok: boolean[] = [];
            while (dec < buf.length) {
              const n = Math.min(reads[ri++ % reads.length] as number, buf.length - dec);
              c.xor(buf.subarray(dec, dec + n));
              dec += n;
              for (;;) {
                if (dec - frame < 2) break;
                const len = (buf[frame] as number) | ((buf[frame + 1] as number) << 8);
                if (dec - frame < len + 18) break;
                ok.push(
                  c.verify(buf.subarray(frame + 2, frame + 2 + len), buf.subarray(frame + 2 + len, frame + 18 + len)),
                );
                frame += len + 18;
              }
            }
            return { buf, ok };
          };
          const a = open(plain);
          const b = open(ahead);
          expect(b.ok).toEqual(a.ok);
          expect(a.ok.every(Boolean)).toBe(true);
          expect(Buffer.from(b.buf).equals(Buffer.from(a.buf))).toBe(true);
          for (const c of [tx, plain, ahead]) c.dispose();
        },
      ),
      { numRuns: 25 },
    );
  });

  test("a prefetching direction refuses to seal", () => {
    const c = speck.direction(new Uint8Array(16), new Uint8Array(16));
    c.prefetch();
    expect(() => c.seal(new Uint8Array(1))).toThrow(/only opens/);
    c.dispose();
  });
});
