/**
 * The modern link session (LINK-PROTOCOL.md) as a state machine: the
 * handshake and key confirmation, frames both ways at every size, streams
 * split at every boundary, rekeying, the close frame, and every way a peer
 * can be wrong: each ends only this session, with its own reason.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { sharedHeap } from "../../src/crypto/heap.ts";
import { speck } from "../../src/crypto/index.ts";
import { DetectingSession } from "../../src/transport/codec/detect-session.ts";
import { LegacySession } from "../../src/transport/codec/legacy-session.ts";
import { BODY_MAX, MAGIC, MSG1_MIN } from "../../src/transport/codec/modern-wire.ts";
import { describeEachGcm } from "../helpers/gcm-engines.ts";
import { modern, pump } from "../helpers/modern.ts";
import { collector, session } from "../helpers/sessions.ts";
import { utf8 } from "../helpers/vectors.ts";

const packet = (n: number, fill = 0) => {
  const p = new Uint8Array(n).fill(fill);
  if (n >= 9) p[8] = 3; // a data command after the timestamp
  return p;
};

/** A connected pair: connector up, listener up after the connector's first frame. */
function connected(keys = ["k1"], connectKey = "k1") {
  const c = modern("connect", [connectKey], { node: "alpha" });
  const l = modern("listen", keys, { node: "beta" });
  const r1 = pump(c, l);
  if (r1.error) throw new Error(`handshake failed: ${r1.error}`);
  expect(c.established).toBe(true);
  expect(l.established).toBe(false); // not before the connector proves the key
  expect(c.send(packet(20, 1), false)).toBe(true);
  const r2 = pump(c, l);
  if (r2.error) throw new Error(`confirmation failed: ${r2.error}`);
  expect(l.established).toBe(true);
  expect(r2.atB.length).toBe(1);
  return { c, l };
}

describe("modern handshake", () => {
  test("both sides learn each other's node name; the listener is up only after the first frame", () => {
    const { c, l } = connected();
    expect(c.peerName).toBe("beta");
    expect(l.peerName).toBe("alpha");
    expect(c.peerSoftware).toBe("smolmesh test");
    c.dispose();
    l.dispose();
  });

  test("the connector's first bytes are the magic, then message 1 of the expected size", () => {
    const c = modern("connect", ["k1"], { node: "n" });
    const out = c.drain();
    expect([...out.subarray(0, 4)]).toEqual([...MAGIC]);
    const len = (out[4] as number) * 256 + (out[5] as number);
    expect(len).toBe(out.length - 6);
    expect(len).toBe(MSG1_MIN + utf8('{"node":"n","software":"smolmesh test"}').length);
    c.dispose();
  });

  test("a listener with several keys finds the connector's, whatever its position", () => {
    for (const [i, key] of ["a", "b", "c"].entries()) {
      const c = modern("connect", [key]);
      const l = modern("listen", ["a", "b", "c"]);
      expect(pump(c, l).error).toBeUndefined();
      expect(l.keyIndex).toBe(i);
      c.dispose();
      l.dispose();
    }
  });

  test("a wrong key is refused on message 1, with nothing sent back", () => {
    const c = modern("connect", ["right"]);
    const l = modern("listen", ["other", "another"]);
    const r = pump(c, l);
    expect(r.error).toBe("wrong-key");
    expect(l.pending).toBe(0);
    c.dispose();
    l.dispose();
  });

  test("a replayed message 1 gets an answer but never an established link", () => {
    const c = modern("connect", ["k1"]);
    const recorded = c.drain();
    const l = modern("listen", ["k1"]);
    const sink = collector();
    expect(l.feed(recorded, sink)).toBeUndefined();
    expect(l.pending).toBeGreaterThan(0); // it answered
    expect(l.established).toBe(false);
    // the replayer cannot make a first frame that opens: anything it sends ends the session
    const forged = new Uint8Array(2 + 40);
    forged[1] = 40;
    expect(l.feed(forged, sink)).toBe("unconfirmed");
    expect(sink.got.length).toBe(0);
    c.dispose();
    l.dispose();
  });

  test("a truncated handshake waits for more and ends nothing", () => {
    const c = modern("connect", ["k1"]);
    const l = modern("listen", ["k1"]);
    const hello = c.drain();
    expect(l.feed(hello.subarray(0, hello.length - 1), collector())).toBeUndefined();
    expect(l.pending).toBe(0);
    expect(l.feed(hello.subarray(hello.length - 1), collector())).toBeUndefined();
    expect(l.pending).toBeGreaterThan(0);
    c.dispose();
    l.dispose();
  });

  test("a magic with another version byte is closed with nothing sent", () => {
    const l = modern("listen", ["k1"]);
    expect(l.feed(Uint8Array.of(0x73, 0x6d, 0x6c, 0x02, 0, 0), collector())).toBe("bad-version");
    expect(l.pending).toBe(0);
    l.dispose();
  });

  test("a legacy connector on a modern-only port is named as such", () => {
    const legacy = session("connect", speck, ["k1"]);
    const l = modern("listen", ["k1"]);
    expect(l.feed(legacy.drain(), collector())).toBe("bad-magic");
    legacy.dispose();
    l.dispose();
  });

  test("handshake messages of the wrong size are refused before any crypto", () => {
    for (const len of [0, 100, MSG1_MIN - 1, 65535]) {
      const l = modern("listen", ["k1"]);
      const m = new Uint8Array(4 + 2);
      m.set(MAGIC);
      m[4] = len >> 8;
      m[5] = len & 0xff;
      expect(l.feed(m, collector())).toBe("bad-handshake");
      l.dispose();
    }
  });

  test("a flipped bit anywhere in message 1 is refused", () => {
    const hello = modern("connect", ["k1"]).drain();
    fc.assert(
      fc.property(fc.integer({ min: 6 * 8, max: hello.length * 8 - 1 }), (bit) => {
        const bad = hello.slice();
        bad[bit >> 3] = (bad[bit >> 3] as number) ^ (1 << (bit & 7));
        const l = modern("listen", ["k1"]);
        const err = l.feed(bad, collector());
        l.dispose();
        // the e public key is not encrypted, but it is authenticated by every later field
        return err === "wrong-key" || err === "bad-handshake";
      }),
      { numRuns: 60 },
    );
  });

  test("a tampered message 2 fails at the connector", () => {
    const c = modern("connect", ["k1"]);
    const l = modern("listen", ["k1"]);
    expect(l.feed(c.drain(), collector())).toBeUndefined();
    const answer = l.drain();
    answer[100] = (answer[100] as number) ^ 1;
    expect(c.feed(answer, collector())).toBe("handshake-auth");
    c.dispose();
    l.dispose();
  });

  test("a payload that is not a JSON object with a node name is refused", () => {
    for (const bad of ["[]", '{"name":"x"}', '{"node":5}', '{"node":""}', "not json", '"node"']) {
      const c = modern("connect", ["k1"], { payload: utf8(bad) });
      const l = modern("listen", ["k1"]);
      expect(pump(c, l).error).toBe("bad-payload");
      c.dispose();
      l.dispose();
    }
  });
});

describeEachGcm("modern frames", () => {
  test("bodies from 1 byte to the largest cross both ways, byte for byte", () => {
    const { c, l } = connected();
    expect(c.reserve(0, false)).toBe(0); // a mesh packet is never empty
    for (const n of [1, 9, 100, 1400, 65000, BODY_MAX]) {
      const p = crypto.getRandomValues(new Uint8Array(n));
      expect(c.send(p, false)).toBe(true);
      expect(l.send(p, false)).toBe(true);
      const r = pump(c, l);
      expect(r.error).toBeUndefined();
      expect(r.atB.map((x) => Buffer.from(x).toString("hex"))).toEqual([Buffer.from(p).toString("hex")]);
      expect(r.atA.map((x) => Buffer.from(x).toString("hex"))).toEqual([Buffer.from(p).toString("hex")]);
    }
    expect(c.reserve(BODY_MAX + 1, false)).toBe(0); // does not fit a transport message: the caller counts the drop
    c.dispose();
    l.dispose();
  });

  test("a stream split at arbitrary points delivers the same packets", () => {
    const { c, l } = connected();
    const packets = [packet(9), packet(1400, 7), packet(60000, 9), packet(33, 3)];
    for (const p of packets) c.send(p, false);
    c.rekey();
    c.send(packet(500, 5), false);
    const wire = c.drain();
    // one listener state per run: replay the confirmed state by building a fresh pair each time
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: wire.length - 1 }), { maxLength: 30 }), (cuts) => {
        const { c: c2, l: l2 } = connected();
        for (const p of packets) c2.send(p, false);
        c2.rekey();
        c2.send(packet(500, 5), false);
        const w = c2.drain();
        const sink = collector();
        let last = 0;
        for (const at of [...cuts].sort((a, b) => a - b)) {
          if (l2.feed(w.subarray(last, at), sink)) return false;
          last = at;
        }
        if (l2.feed(w.subarray(last), sink)) return false;
        c2.dispose();
        l2.dispose();
        return sink.got.length === 5 && sink.got[2]?.length === 60000 && l2.rxRekeys === 1;
      }),
      { numRuns: 25 },
    );
    c.dispose();
    l.dispose();
  });

  test("a flipped bit in a frame closes with bad-mac", () => {
    const { c, l } = connected();
    c.send(packet(100), false);
    const w = c.drain();
    w[50] = (w[50] as number) ^ 0x10;
    expect(l.feed(w, collector())).toBe("bad-mac");
    c.dispose();
    l.dispose();
  });

  test("a frame length below 17 closes with bad-length", () => {
    const { c, l } = connected();
    expect(l.feed(Uint8Array.of(0, 16), collector())).toBe("bad-length");
    c.dispose();
    l.dispose();
  });

  test("rekeying by bytes: hundreds of rekeys both ways and no packet lost", () => {
    const c = modern("connect", ["k1"], { rekeyBytes: 3000 });
    const l = modern("listen", ["k1"], { rekeyBytes: 5000 });
    expect(pump(c, l).error).toBeUndefined();
    let sentC = 0;
    let sentL = 0;
    let gotC = 0;
    let gotL = 0;
    for (let round = 0; round < 300; round++) {
      for (let i = 0; i < 3; i++) {
        if (c.send(packet(700 + round, round & 0xff), true)) sentC++;
        if (l.established && l.send(packet(900, 1), true)) sentL++;
      }
      const r = pump(c, l);
      expect(r.error).toBeUndefined();
      gotL += r.atB.length;
      gotC += r.atA.length;
    }
    expect(gotL).toBe(sentC);
    expect(gotC).toBe(sentL);
    expect(c.txRekeys).toBeGreaterThan(200);
    expect(l.rxRekeys).toBe(c.txRekeys);
    expect(l.txRekeys).toBeGreaterThan(100);
    expect(c.rxRekeys).toBe(l.txRekeys);
    c.dispose();
    l.dispose();
  });

  test("a close frame ends the session with the peer's reason, made printable", () => {
    const { c, l } = connected();
    c.sayGoodbye("shutting down\nnow\u0007");
    const r = pump(c, l);
    expect(r.error).toBe("peer-closed");
    expect(l.peerCloseReason).toBe("shutting down?now?");
    c.dispose();
    l.dispose();
  });

  test("frames of an unknown type are skipped and counted", () => {
    const { c, l } = connected();
    const seal = c as unknown as { room(len: number, data: boolean): number; seal(type: number, len: number): void };
    expect(seal.room(3, false)).toBeGreaterThan(0);
    seal.seal(9, 3);
    c.send(packet(40, 4), false);
    const r = pump(c, l);
    expect(r.error).toBeUndefined();
    expect(l.ignoredFrames).toBe(1);
    expect(r.atB.length).toBe(1);
    c.dispose();
    l.dispose();
  });

  test("a peer that stops reading fills its own queue: data is refused, the heap does not grow", () => {
    const { c, l } = connected();
    const before = sharedHeap().used;
    let accepted = 0;
    for (let i = 0; i < 1000; i++) if (c.send(packet(1400), true)) accepted++;
    expect(accepted).toBeLessThan(200); // the 256 KiB data limit
    expect(c.rekey()).toBe(true); // control frames still fit above it
    expect(sharedHeap().used).toBe(before);
    c.dispose();
    l.dispose();
  });
});

describe("one port, both protocols", () => {
  const detecting = (keys: string[]) =>
    new DetectingSession(
      sharedHeap(),
      () => modern("listen", keys),
      () =>
        new LegacySession({
          role: "listen",
          candidates: keys.map((k) => ({ suite: speck, key: utf8(k) })),
          iv: new Uint8Array(16).fill(1),
          heap: sharedHeap(),
        }),
    );

  test("a modern connector is recognised by its magic", () => {
    const c = modern("connect", ["k1"]);
    const l = detecting(["k1"]);
    expect(pump(c, l).error).toBeUndefined();
    c.send(packet(30), false);
    const r = pump(c, l);
    expect(r.error).toBeUndefined();
    expect(l.protocol).toBe("modern");
    expect(l.established).toBe(true);
    expect(r.atB.length).toBe(1);
    c.dispose();
    l.dispose();
  });

  test("a legacy connector is recognised by not sending the magic, even a byte at a time", () => {
    const c = session("connect", speck, ["k1"]);
    const l = detecting(["k1"]);
    const hello = c.drain();
    for (let i = 0; i < hello.length; i++) expect(l.feed(hello.subarray(i, i + 1), collector())).toBeUndefined();
    expect(l.protocol).toBe("speck");
    expect(l.established).toBe(true);
    c.dispose();
    l.dispose();
  });
});
