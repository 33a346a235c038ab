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
import { flipEveryBit, sealTestCase16, strayWrites, TEST_CASE_16 } from "../helpers/gcm-checks.ts";
import { openSsl } from "../helpers/gcm-engines.ts";
import { toHex } from "../helpers/vectors.ts";

if (typeof openSsl === "string") console.warn(`skipped OpenSSL's AES-GCM tests: ${openSsl}`);

describe.skipIf(typeof openSsl === "string")("OpenSSL's AES-256-GCM in place", () => {
  const engine = openSsl as Exclude<typeof openSsl, string>;

  test("the install check passes, and it names the library", () => {
    expect(gcmDisagreement(engine, nodeGcm)).toBeUndefined();
    expect(engine.name).toMatch(/^OpenSSL 3\.\d+\.\d+.* \(libcrypto\.so\.3\)$/);
  });

  test("McGrew and Viega's AES-256-GCM test case 16 (60 bytes, 20 bytes of associated data)", () => {
    expect(sealTestCase16(engine)).toEqual({ sealed: TEST_CASE_16.sealedHex, opens: true });
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
    const ctx = engine.keyed(new Uint8Array(32).fill(9));
    const { tried, opened, leaked, sealed, secret } = flipEveryBit(ctx);
    expect({ tried, opened, leaked }).toEqual({ tried: sealed.length * 8, opened: 0, leaked: 0 });
    const nonce = new GcmNonce();
    expect(ctx.openAt(nonce.set(8), new Uint8Array(0), sealed.slice(), 0, secret.length)).toBe(false);
    ctx.free();
    expect(() => ctx.sealAt(nonce.set(9), new Uint8Array(0), sealed, 0, secret.length)).toThrow(/after free/);
  });

  test("nothing is written outside the frame, even into memory the collector freed", () => {
    // the library writes each call's output length through a pointer; if the
    // array behind it were collected, arrays made right after a full
    // collection, in the cells it freed, would be overwritten
    expect(strayWrites(engine)).toEqual({ stray: 0, failedOpens: 0 });
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
