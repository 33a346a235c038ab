/**
 * The legacy_tcp session state machine: the original's transcripts byte for
 * byte, streams split at every boundary, and every way a peer can be wrong.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { gimli, sharedHeap, speck } from "../../src/crypto/index.ts";
import { LegacySession } from "../../src/transport/codec/legacy-session.ts";
import { collector, pair, session } from "../helpers/sessions.ts";
import { type FramesFile, hex, loadVectors, toHex, utf8 } from "../helpers/vectors.ts";

const frames = loadVectors<FramesFile>("frames_speck.json");
const gimliFrames = loadVectors<FramesFile>("frames_gimli.json");

describe.each([
  ["SPECK", speck, frames],
  ["Gimli", gimli, gimliFrames],
] as const)("%s sessions against the original's transcripts", (_gen, suite, file) => {
  test.each(file.sessions.map((s) => [s.label, s] as const))("%s: connector writes the exact transcript", (_l, s) => {
    const client = session("connect", suite, [s.key], hex(s.iv_hex));
    const server = session("listen", suite, [s.key]);
    const hello = client.drain();
    expect(toHex(hello)).toBe(s.iv_hex + s.keyfinder_hex);
    expect(server.feed(hello, collector())).toBeUndefined();
    expect(server.established).toBe(true);
    expect(client.feed(server.drain(), collector())).toBeUndefined();
    expect(client.established).toBe(true);
    for (const f of s.frames) if (!f.skipped) expect(client.send(hex(f.payload_hex), false)).toBe(true);
    expect(toHex(hello) + toHex(client.drain())).toBe(s.transcript_hex);
    client.dispose();
    server.dispose();
  });

  test("a listener holding both generations answers in the client's", () => {
    const s = file.sessions[0];
    if (!s) throw new Error("no session vector");
    const server = new LegacySession({
      role: "listen",
      candidates: [speck, gimli].map((g) => ({ suite: g, key: utf8(s.key) })),
      iv: new Uint8Array(16),
      heap: sharedHeap(),
    });
    const sink = collector();
    expect(server.feed(hex(s.transcript_hex), sink)).toBeUndefined();
    expect(server.chosen?.suite).toBe(suite);
    expect(sink.got.map(toHex)).toEqual(s.frames.filter((f) => !f.skipped).map((f) => f.payload_hex));
    server.dispose();
  });
});

describe("legacy session details", () => {
  test("a listener reads a transcript split at arbitrary points", () => {
    const s = frames.sessions[0];
    if (!s) throw new Error("no session vector");
    const wire = hex(s.transcript_hex);
    const want = s.frames.filter((f) => !f.skipped).map((f) => f.payload_hex);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: wire.length - 1 }), { maxLength: 40 }), (cuts) => {
        const server = session("listen", speck, [s.key]);
        const sink = collector();
        const points = [0, ...cuts.sort((a, b) => a - b), wire.length];
        for (let i = 1; i < points.length; i++) {
          expect(server.feed(wire.subarray(points[i - 1], points[i]), sink)).toBeUndefined();
        }
        expect(sink.got.map(toHex)).toEqual(want);
        server.dispose();
      }),
      { numRuns: 60 },
    );
  });

  test("every single split point of a small-frame transcript", () => {
    const s = frames.sessions[3];
    if (!s) throw new Error("no session vector");
    const wire = hex(s.transcript_hex);
    const want = s.frames.map((f) => f.payload_hex);
    for (let cut = 1; cut < wire.length; cut++) {
      const server = session("listen", speck, [s.key]);
      const sink = collector();
      expect(server.feed(wire.subarray(0, cut), sink)).toBeUndefined();
      expect(server.feed(wire.subarray(cut), sink)).toBeUndefined();
      expect(sink.got.map(toHex)).toEqual(want);
      server.dispose();
    }
  });

  test("the listener uses the first configured key that matches", () => {
    const sel = frames.listener_key_selection;
    const server = session("listen", speck, sel.listener_keys);
    expect(server.feed(hex(sel.client_iv_hex + sel.client_keyfinder_hex), collector())).toBeUndefined();
    expect(server.chosen?.key).toEqual(new TextEncoder().encode(sel.listener_keys[sel.picked_index]));
    server.dispose();
  });
});

describe("a wrong peer closes only its own session", () => {
  test("no matching key on the listener", () => {
    const client = session("connect", speck, ["right"]);
    const server = session("listen", speck, ["other", "another"]);
    expect(server.feed(client.drain(), collector())).toBe("wrong-key");
  });

  test("a listener answering with another key", () => {
    const client = session("connect", speck, ["right"]);
    const impostor = session("connect", speck, ["wrong"]);
    client.drain();
    expect(client.feed(impostor.drain(), collector())).toBe("wrong-key");
  });

  test("garbage instead of a handshake", () => {
    const server = session("listen", speck, ["k"]);
    expect(server.feed(crypto.getRandomValues(new Uint8Array(32)), collector())).toBe("wrong-key");
  });

  test("a flipped bit in a frame fails its MAC", () => {
    const client = session("connect", speck, ["k"]);
    const server = session("listen", speck, ["k"]);
    pair(client, server);
    client.send(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), false);
    const wire = client.drain();
    wire[5] = (wire[5] as number) ^ 0x40;
    expect(server.feed(wire, collector())).toBe("bad-mac");
  });

  test("a frame claiming length 0", () => {
    const client = session("connect", speck, ["k"]);
    const server = session("listen", speck, ["k"]);
    pair(client, server);
    client.send(Uint8Array.from([7, 7, 7]), false);
    const wire = client.drain();
    // ciphertext xor plaintext length (3) = keystream; keystream alone decrypts to 0
    wire[0] = (wire[0] as number) ^ 3;
    expect(server.feed(wire, collector())).toBe("bad-length");
  });
});

describe("send queue bounds", () => {
  const limits = { dataQueueBytes: 4000, sendBufferBytes: 8000 };

  test("data stops at its limit, control frames go on to the buffer's end, all counted by the caller", () => {
    const a = session("connect", speck, ["k"], undefined, limits);
    const b = session("listen", speck, ["k"], undefined, limits);
    pair(a, b);
    const p = new Uint8Array(982); // 1000 bytes on the wire
    let data = 0;
    while (a.send(p, true)) data++;
    expect(data).toBe(4);
    let control = 0;
    while (a.send(p, false)) control++;
    expect(control).toBe(4);
    expect(a.pending).toBe(8000);
    // the peer reads it all, in order, and the queue is usable again
    const sink = collector();
    expect(b.feed(a.drain(), sink)).toBeUndefined();
    expect(sink.got.length).toBe(8);
    expect(a.send(p, true)).toBe(true);
  });

  test("nothing is sent before the handshake completes", () => {
    const a = session("connect", speck, ["k"]);
    expect(a.send(Uint8Array.from([1]), false)).toBe(false);
    expect(a.pending).toBe(32);
  });

  test("random payload sizes round-trip through both directions", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 70_000 }), { maxLength: 10 }), (sizes) => {
        const a = session("connect", speck, ["k"]);
        const b = session("listen", speck, ["k"]);
        pair(a, b);
        const sent: string[] = [];
        const sink = collector();
        for (const n of sizes) {
          const p = crypto.getRandomValues(new Uint8Array(Math.min(n, 65535)));
          if (b.send(p, false)) sent.push(toHex(p));
          expect(a.feed(b.drain(), sink)).toBeUndefined();
        }
        expect(sink.got.map(toHex)).toEqual(sent);
        a.dispose();
        b.dispose();
      }),
      { numRuns: 20 },
    );
  });
});
