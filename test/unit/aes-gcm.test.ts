/**
 * The in-place AES-GCM engines against each other and against the
 * published AES-GCM test case: OpenSSL's context (what a Linux node
 * installs) must seal exactly as node:crypto does, open what it sealed,
 * refuse any flipped bit without leaving unverified plaintext behind, and
 * work on views into the WebAssembly heap at any offset.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  type GcmEngine,
  GcmNonce,
  gcmDisagreement,
  gcmEngine,
  installGcmEngine,
  nodeGcm,
  TAG_LEN,
} from "../../src/crypto/aes-gcm.ts";
import { WasmHeap } from "../../src/crypto/heap.ts";
import { CipherState } from "../../src/crypto/noise/cipher-state.ts";
import { openSsl } from "../helpers/gcm-engines.ts";
import { hex, toHex } from "../helpers/vectors.ts";

if (typeof openSsl === "string") console.warn(`skipped OpenSSL's AES-GCM tests: ${openSsl}`);

describe.skipIf(typeof openSsl === "string")("OpenSSL's AES-256-GCM in place", () => {
  const engine = openSsl as Exclude<typeof openSsl, string>;

  test("the install check passes, and it names the library", () => {
    expect(gcmDisagreement(engine, nodeGcm)).toBeUndefined();
    expect(engine.name).toMatch(/^OpenSSL 3\.\d+\.\d+.* \(libcrypto\.so\.3\)$/);
  });

  test("McGrew and Viega's AES-256-GCM test case 16 (60 bytes, 20 bytes of associated data)", () => {
    const key = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
    const iv = hex("cafebabefacedbaddecaf888");
    const plain = hex(
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
    );
    const ad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
    const ctx = engine.keyed(key);
    const buf = new Uint8Array(plain.length + TAG_LEN);
    buf.set(plain);
    ctx.sealAt(iv, ad, buf, 0, plain.length);
    expect(toHex(buf)).toBe(
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662" +
        "76fc6ece0f4e1768cddf8853bb2d551b",
    );
    expect(ctx.openAt(iv, ad, buf, 0, plain.length)).toBe(true);
    expect(toHex(buf.subarray(0, plain.length))).toBe(toHex(plain));
    ctx.free();
  });

  test("sealing matches node:crypto and opening reverses it, at any offset of a heap view", () => {
    const heap = new WasmHeap();
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 3000 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.nat(2 ** 40),
        fc.nat(5000),
        (key, plain, ad, n, offset) => {
          const a = engine.keyed(key);
          const b = nodeGcm.keyed(key);
          const nonce = new GcmNonce();
          const at = heap.alloc(offset + plain.length + TAG_LEN) + offset;
          const view = heap.u8();
          view.set(plain, at);
          a.sealAt(nonce.set(n), ad, view, at, plain.length);
          const theirs = new Uint8Array(plain.length + TAG_LEN);
          theirs.set(plain);
          b.sealAt(nonce.set(n), ad, theirs, 0, plain.length);
          expect(toHex(view.subarray(at, at + plain.length + TAG_LEN))).toBe(toHex(theirs));
          expect(a.openAt(nonce.set(n), ad, view, at, plain.length)).toBe(true);
          expect(toHex(view.subarray(at, at + plain.length))).toBe(toHex(plain));
          heap.release(at - offset, offset + plain.length + TAG_LEN);
          a.free();
          b.free();
        },
      ),
      { numRuns: 300 },
    );
  });

  test("a flipped bit anywhere is refused and leaves no plaintext behind", () => {
    const key = new Uint8Array(32).fill(9);
    const ctx = engine.keyed(key);
    const nonce = new GcmNonce();
    const plain = new TextEncoder().encode("a secret that must not show up when the tag is wrong");
    const sealed = new Uint8Array(plain.length + TAG_LEN);
    sealed.set(plain);
    ctx.sealAt(nonce.set(7), new Uint8Array(0), sealed, 0, plain.length);
    for (let bit = 0; bit < sealed.length * 8; bit++) {
      const buf = sealed.slice();
      buf[bit >> 3] = (buf[bit >> 3] as number) ^ (1 << (bit & 7));
      expect(ctx.openAt(nonce.set(7), new Uint8Array(0), buf, 0, plain.length)).toBe(false);
      for (let i = 0; i + 6 <= plain.length; i++) {
        expect(toHex(buf.subarray(i, i + 6))).not.toBe(toHex(plain.subarray(i, i + 6)));
      }
    }
    expect(ctx.openAt(nonce.set(8), new Uint8Array(0), sealed.slice(), 0, plain.length)).toBe(false);
    ctx.free();
    expect(() => ctx.sealAt(nonce.set(9), new Uint8Array(0), sealed, 0, plain.length)).toThrow(/after free/);
  });

  test("nothing is written outside the frame, even into memory the collector freed", () => {
    // the library writes each call's output length through a pointer; if the
    // array behind it were collected, these arrays (made right after a full
    // collection, in the cells it freed) would be overwritten
    const ctx = engine.keyed(new Uint8Array(32));
    Bun.gc(true);
    const sentinels = Array.from({ length: 20000 }, () => new Uint32Array(1).fill(0xdeadbeef));
    const nonce = new GcmNonce();
    const frame = new Uint8Array(1400 + TAG_LEN);
    for (let i = 0; i < 1000; i++) {
      ctx.sealAt(nonce.set(i), new Uint8Array(0), frame, 0, 1 + (i % 1399));
      expect(ctx.openAt(nonce.set(i), new Uint8Array(0), frame, 0, 1 + (i % 1399))).toBe(true);
    }
    ctx.free();
    expect(sentinels.filter((a) => a[0] !== 0xdeadbeef).length).toBe(0);
  });

  test("a CipherState seals its data path with the installed engine and rekeys the same way on both", () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const frames = (engine: GcmEngine) => {
      expect(installGcmEngine(engine)).toBeUndefined();
      const cs = new CipherState();
      cs.initializeKey(key);
      const out: string[] = [];
      for (let i = 0; i < 5; i++) {
        const buf = new Uint8Array(100 + TAG_LEN).fill(i);
        expect(cs.encryptAt(new Uint8Array(0), buf, 0, 100)).toBe(true);
        out.push(toHex(buf));
        cs.rekey();
      }
      out.push(toHex(cs.encryptWithAd(new Uint8Array([1]), new Uint8Array([2, 3]))));
      cs.erase();
      return out;
    };
    try {
      expect(frames(engine)).toEqual(frames(nodeGcm));
    } finally {
      installGcmEngine(nodeGcm);
    }
    expect(gcmEngine()).toBe(nodeGcm);
  });

  test("contexts are released by erase, by rekey, and by the collector when a state is dropped", async () => {
    const key = new Uint8Array(32).fill(3);
    const used = () => {
      const cs = new CipherState();
      cs.initializeKey(key);
      expect(cs.encryptAt(new Uint8Array(0), new Uint8Array(16 + TAG_LEN), 0, 16)).toBe(true);
      return cs;
    };
    expect(installGcmEngine(engine)).toBeUndefined();
    try {
      const base = engine.contexts();
      const states = Array.from({ length: 100 }, used);
      expect(engine.contexts()).toBe(base + 100);
      for (const cs of states.slice(0, 50)) cs.rekey();
      expect(engine.contexts()).toBe(base + 50);
      for (const cs of states.slice(50)) cs.erase();
      expect(engine.contexts()).toBe(base);
      for (let i = 0; i < 100; i++) used();
      expect(engine.contexts()).toBe(base + 100);
      const deadline = Date.now() + 3_000;
      while (engine.contexts() > base && Date.now() < deadline) {
        Bun.gc(true);
        await Bun.sleep(5);
      }
      expect(engine.contexts()).toBe(base);
    } finally {
      installGcmEngine(nodeGcm);
    }
  });

  test("an engine that disagrees with node:crypto is not installed", () => {
    const broken: GcmEngine = {
      name: "broken",
      keyed(key) {
        const ctx = engine.keyed(key);
        return {
          sealAt: (nonce, ad, buf, p, len) => {
            ctx.sealAt(nonce, ad, buf, p, len);
            if (len === 1400) buf[p] = (buf[p] as number) ^ 1;
          },
          openAt: (nonce, ad, buf, p, len) => ctx.openAt(nonce, ad, buf, p, len),
          free: () => ctx.free(),
        };
      },
    };
    expect(installGcmEngine(broken)).toMatch(/broken and node:crypto sealed a 1400-byte frame/);
    expect(gcmEngine()).toBe(nodeGcm);
  });
});

test("an engine that throws while it is checked is reported, not installed, and its contexts are freed", () => {
  const freed: string[] = [];
  const failing = (when: "keyed" | "seal"): GcmEngine => ({
    name: `failing at ${when}`,
    keyed(key) {
      if (when === "keyed") throw new Error("BCryptGenerateSymmetricKey failed (NTSTATUS 0xc0000002)");
      const ctx = nodeGcm.keyed(key);
      return {
        sealAt: (nonce, ad, buf, p, len) => {
          if (len === 64) throw new Error("BCryptEncrypt failed (NTSTATUS 0xc000000d)");
          ctx.sealAt(nonce, ad, buf, p, len);
        },
        openAt: (nonce, ad, buf, p, len) => ctx.openAt(nonce, ad, buf, p, len),
        free: () => freed.push(when),
      };
    },
  });
  expect(installGcmEngine(failing("keyed"))).toBe(
    "failing at keyed failed: BCryptGenerateSymmetricKey failed (NTSTATUS 0xc0000002)",
  );
  expect(installGcmEngine(failing("seal"))).toBe("failing at seal failed: BCryptEncrypt failed (NTSTATUS 0xc000000d)");
  expect(freed).toEqual(["seal"]);
  expect(gcmEngine()).toBe(nodeGcm);
});
