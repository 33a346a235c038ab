/**
 * Gimli generation of the legacy protocol (smolmesh2 since 2025): every
 * vector through the WebAssembly (SIMD) path and the plain TypeScript path.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import * as ref from "../../src/crypto/gimli-ref.ts";
import { gimli, gimliRef, gimliWasm } from "../../src/crypto/index.ts";
import { cryptoSelfTest } from "../../src/crypto/self-test.ts";
import type { LegacySuite } from "../../src/crypto/suite.ts";
import { expectOpenedTranscripts, expectSealedTranscripts } from "../helpers/transcripts.ts";
import { type FramesFile, hex, loadVectors, toHex } from "../helpers/vectors.ts";

const g = loadVectors<{
  permutation: { label: string; in_words: string[]; out_words: string[] }[];
  gimli_hash: { in_hex: string; hash32_hex: string }[];
  multigimli: { x_hex: string; y_hex: string; z_hex: string; multigimli2_xy: string; multigimli3_xyz: string }[];
}>("gimli.json");
const ks = loadVectors<{ vectors: { key_hex: string; keystream_1000_hex: string }[] }>("keystream_gimli.json");
const frames = loadVectors<FramesFile>("frames_gimli.json");

interface Prims {
  permute(w: Uint32Array): Uint32Array;
  hash(b: Uint8Array): Uint8Array;
  keystream(key: Uint8Array, n: number): Uint8Array;
}

const impls: [string, LegacySuite, Prims][] = [
  [
    "wasm",
    gimli,
    {
      permute: (w) => gimliWasm().permuteWords(w),
      hash: (b) => gimliWasm().gimliHash(b),
      keystream: (k, n) => gimliWasm().keystream(k, n),
    },
  ],
  [
    "ts",
    gimliRef,
    {
      permute: (w) => {
        const c = w.slice();
        ref.permuteWords(c);
        return c;
      },
      hash: ref.gimliHash,
      keystream: (k, n) => {
        const out = new Uint8Array(n);
        new ref.GimliKeystream(k).xor(out);
        return out;
      },
    },
  ],
];

const words = (hexWords: string[]) => Uint32Array.from(hexWords.map((w) => Number.parseInt(w, 16)));
const hexWords = (w: Uint32Array) => [...w].map((x) => x.toString(16).padStart(8, "0"));

describe.each(impls)("Gimli (%s)", (_name, suite, prims) => {
  test("the permutation matches every vector, the paper's included", () => {
    expect(g.permutation[0]?.label).toContain("paper");
    for (const v of g.permutation) expect(hexWords(prims.permute(words(v.in_words)))).toEqual(v.out_words);
  });

  test("Gimli-Hash matches every vector", () => {
    for (const v of g.gimli_hash) expect(toHex(prims.hash(hex(v.in_hex)))).toBe(v.hash32_hex);
  });

  test("multigimli2 and multigimli3 match every vector", () => {
    for (const v of g.multigimli) {
      const [x, y, z] = [hex(v.x_hex), hex(v.y_hex), hex(v.z_hex)];
      expect(toHex(suite.hash2(x, y))).toBe(v.multigimli2_xy);
      expect(toHex(suite.hash3(x, y, z))).toBe(v.multigimli3_xyz);
    }
  });

  test("the keystream matches every vector (keys of 0 to 36 bytes)", () => {
    for (const v of ks.vectors) expect(toHex(prims.keystream(hex(v.key_hex), 1000))).toBe(v.keystream_1000_hex);
  });

  test("the keystream through a direction, in uneven pieces", () => {
    for (const v of ks.vectors.filter((x) => x.key_hex.length === 32)) {
      const c = suite.direction(hex(v.key_hex), new Uint8Array(16));
      const buf = new Uint8Array(1000);
      for (let off = 0, n = 1; off < 1000; off += n, n++) c.xor(buf.subarray(off, off + n));
      expect(toHex(buf)).toBe(v.keystream_1000_hex);
      c.dispose();
    }
  });

  test("session keys, frames and whole transcripts match every session", () => {
    expectSealedTranscripts(suite, frames);
  });

  test("transcripts decrypt and every MAC verifies; a flipped bit does not", () => {
    expectOpenedTranscripts(suite, frames);
  });
});

describe("Gimli: WebAssembly and TypeScript agree on random input", () => {
  test("hashes and frames", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 100 }),
        fc.uint8Array({ maxLength: 50 }),
        fc.uint8Array({ minLength: 1, maxLength: 3000 }),
        (x, y, p) => {
          expect(toHex(gimli.hash3(x, y, y))).toBe(toHex(gimliRef.hash3(x, y, y)));
          const k = gimli.hash2(x, y);
          const a = gimli.direction(k, k);
          const b = gimliRef.direction(k, k);
          expect(toHex(a.seal(p))).toBe(toHex(b.seal(p)));
          a.dispose();
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("the start-up self-test", () => {
  test("passes on this build, and names Gimli when its SIMD permutation goes wrong", () => {
    expect(cryptoSelfTest()).toEqual([]);
    const w = gimliWasm();
    const keystream = w.keystream;
    const multigimli3 = w.multigimli3;
    // a permutation that loses one bit in some lane, as a miscompiled SIMD module would
    w.keystream = (key, n) => {
      const out = keystream.call(w, key, n);
      out[n - 1] = (out[n - 1] as number) ^ 1;
      return out;
    };
    w.multigimli3 = (x, y, z) => {
      const out = multigimli3.call(w, x, y, z);
      out[0] = (out[0] as number) ^ 0x80;
      return out;
    };
    try {
      expect(cryptoSelfTest()).toEqual(["Gimli keyfinder vector", "Gimli keystream vector"]);
    } finally {
      w.keystream = keystream;
      w.multigimli3 = multigimli3;
    }
    expect(cryptoSelfTest()).toEqual([]);
  });
});
