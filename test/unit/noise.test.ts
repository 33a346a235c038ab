/**
 * The Noise core against the published cacophony vectors (as shipped in
 * snow, copied from ../shared/vectors/noise): NN and NNpsk0 with X25519,
 * AES-256-GCM and SHA-256, every handshake and transport message byte for
 * byte, and the handshake hash.
 */
import { describe, expect, test } from "bun:test";
import { createCipheriv } from "node:crypto";
import { CipherState } from "../../src/crypto/noise/cipher-state.ts";
import { HandshakeState, NN, NN_PSK0, type Pattern, protocolName } from "../../src/crypto/noise/handshake-state.ts";
import { hex, loadVectors, toHex } from "../helpers/vectors.ts";

interface CacophonyVector {
  protocol_name: string;
  init_prologue: string;
  init_psks?: string[];
  init_ephemeral: string;
  resp_prologue: string;
  resp_psks?: string[];
  resp_ephemeral: string;
  handshake_hash: string;
  messages: { payload: string; ciphertext: string }[];
}

const file = loadVectors<{ source: string; vectors: CacophonyVector[] }>("noise/cacophony-nn.json");
const PATTERNS: Pattern[] = [NN, NN_PSK0];

/** A random source that hands out exactly these bytes, once. */
function fixed(...chunks: Uint8Array[]): (n: number) => Uint8Array {
  return (n) => {
    const c = chunks.shift();
    if (!c || c.length !== n) throw new Error(`unexpected request for ${n} random bytes`);
    return c;
  };
}

function seal(cs: CipherState, payload: Uint8Array): Uint8Array {
  return cs.encryptWithAd(new Uint8Array(0), payload);
}

describe("Noise vectors (cacophony)", () => {
  test("the file holds both patterns", () => {
    expect(file.vectors.map((v) => v.protocol_name).sort()).toEqual(PATTERNS.map(protocolName).sort());
  });

  for (const v of file.vectors) {
    test(v.protocol_name, () => {
      const pattern = PATTERNS.find((p) => protocolName(p) === v.protocol_name) as Pattern;
      const psk = (list?: string[]) => (list?.[0] ? hex(list[0]) : undefined);
      const init = new HandshakeState({
        pattern,
        initiator: true,
        prologue: hex(v.init_prologue),
        psk: psk(v.init_psks),
        random: fixed(hex(v.init_ephemeral)),
      });
      const resp = new HandshakeState({
        pattern,
        initiator: false,
        prologue: hex(v.resp_prologue),
        psk: psk(v.resp_psks),
        random: fixed(hex(v.resp_ephemeral)),
      });
      let sending = init;
      let receiving = resp;
      let i = 0;
      for (; !init.finished; i++) {
        const m = v.messages[i] as { payload: string; ciphertext: string };
        const wire = sending.writeMessage(hex(m.payload));
        expect(typeof wire).not.toBe("string");
        expect(toHex(wire as Uint8Array)).toBe(m.ciphertext);
        expect(toHex(receiving.readMessage(wire as Uint8Array) as Uint8Array)).toBe(m.payload);
        [sending, receiving] = [receiving, sending];
      }
      expect(resp.finished).toBe(true);
      expect(toHex(init.handshakeHash)).toBe(v.handshake_hash);
      expect(toHex(resp.handshakeHash)).toBe(v.handshake_hash);
      const [iSend, iRecv] = init.split();
      const [rRecv, rSend] = resp.split();
      // after the handshake the initiator speaks first, then they alternate
      for (; i < v.messages.length; i++) {
        const m = v.messages[i] as { payload: string; ciphertext: string };
        const [tx, rx] = i % 2 === 0 ? [iSend, rRecv] : [rSend, iRecv];
        const wire = seal(tx, hex(m.payload));
        expect(toHex(wire)).toBe(m.ciphertext);
        expect(toHex(rx.decryptWithAd(new Uint8Array(0), wire) as Uint8Array)).toBe(m.payload);
      }
    });
  }

  test("a flipped bit in any handshake message is refused, not thrown", () => {
    const v = file.vectors.find((x) => x.protocol_name.includes("psk0")) as CacophonyVector;
    for (const [index, bit] of [
      [0, 0],
      [0, 40 * 8],
      [1, 5],
      [1, 60 * 8 + 3],
    ] as const) {
      const init = new HandshakeState({
        pattern: NN_PSK0,
        initiator: true,
        prologue: hex(v.init_prologue),
        psk: hex(v.init_psks?.[0] as string),
        random: fixed(hex(v.init_ephemeral)),
      });
      const resp = new HandshakeState({
        pattern: NN_PSK0,
        initiator: false,
        prologue: hex(v.resp_prologue),
        psk: hex(v.resp_psks?.[0] as string),
        random: fixed(hex(v.resp_ephemeral)),
      });
      const m1 = init.writeMessage(hex(v.messages[0]?.payload as string)) as Uint8Array;
      if (index === 0) {
        m1[bit >> 3] = (m1[bit >> 3] as number) ^ (1 << (bit & 7));
        expect(resp.readMessage(m1)).toBe("auth");
        continue;
      }
      expect(resp.readMessage(m1)).toBeInstanceOf(Uint8Array);
      const m2 = resp.writeMessage(hex(v.messages[1]?.payload as string)) as Uint8Array;
      m2[bit >> 3] = (m2[bit >> 3] as number) ^ (1 << (bit & 7));
      expect(init.readMessage(m2)).toBe("auth");
    }
  });

  test("a wrong PSK fails on the first message", () => {
    const v = file.vectors.find((x) => x.protocol_name.includes("psk0")) as CacophonyVector;
    const init = new HandshakeState({
      pattern: NN_PSK0,
      initiator: true,
      prologue: hex(v.init_prologue),
      psk: hex(v.init_psks?.[0] as string),
      random: fixed(hex(v.init_ephemeral)),
    });
    const resp = new HandshakeState({
      pattern: NN_PSK0,
      initiator: false,
      prologue: hex(v.resp_prologue),
      psk: new Uint8Array(32).fill(7),
      random: fixed(hex(v.resp_ephemeral)),
    });
    expect(resp.readMessage(init.writeMessage(new Uint8Array(0)) as Uint8Array)).toBe("auth");
  });
});

describe("CipherState", () => {
  const key = Uint8Array.from({ length: 32 }, (_, i) => i);
  const ad = new Uint8Array(0);

  test("Rekey() is ENCRYPT(k, 2^64-1, empty, zeros) cut to 32 bytes, and keeps the nonce", () => {
    const cs = new CipherState();
    cs.initializeKey(key);
    cs.encryptWithAd(ad, new Uint8Array(5));
    cs.rekey();
    expect(cs.n).toBe(1);
    const c = createCipheriv("aes-256-gcm", key, Buffer.from("00000000ffffffffffffffff", "hex"));
    const want = c.update(new Uint8Array(32));
    const fresh = new CipherState();
    fresh.initializeKey(new Uint8Array(want));
    fresh.n = 1;
    expect(toHex(cs.encryptWithAd(ad, Uint8Array.of(1, 2, 3)))).toBe(
      toHex(fresh.encryptWithAd(ad, Uint8Array.of(1, 2, 3))),
    );
  });

  test("after a rekey only the rekeyed side opens what follows", () => {
    const [tx, rxOld, rxNew] = [new CipherState(), new CipherState(), new CipherState()];
    for (const cs of [tx, rxOld, rxNew]) cs.initializeKey(key);
    tx.rekey();
    rxNew.rekey();
    const ct = tx.encryptWithAd(ad, Uint8Array.of(9, 9, 9));
    expect(rxOld.decryptWithAd(ad, ct)).toBeUndefined();
    expect(rxOld.n).toBe(0); // a failed open does not move the nonce
    expect([...(rxNew.decryptWithAd(ad, ct) as Uint8Array)]).toEqual([9, 9, 9]);
  });

  test("in-place sealing matches the copying form and opens in place", () => {
    const a = new CipherState();
    const b = new CipherState();
    a.initializeKey(key);
    b.initializeKey(key);
    const buf = new Uint8Array(64 + 16);
    buf.fill(7, 0, 64);
    expect(a.encryptAt(ad, buf, 0, 64)).toBe(true);
    const copy = b.encryptWithAd(ad, new Uint8Array(64).fill(7));
    expect(toHex(buf)).toBe(toHex(copy));
    const c = new CipherState();
    c.initializeKey(key);
    expect(c.decryptAt(ad, buf, 0, 64)).toBe(true);
    expect(buf.subarray(0, 64).every((x) => x === 7)).toBe(true);
  });
});
