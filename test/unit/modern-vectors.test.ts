/**
 * The committed transcripts of the full hybrid handshake
 * (test/vectors/modern_link.json, fixed ephemeral keys) replayed byte for
 * byte, and their first two messages recomputed by a straight-line model
 * written from LINK-PROTOCOL.md and the Noise and HFS specs with no code
 * from src/ (node:crypto and noble's ML-KEM only), so the transcripts are
 * not just the implementation agreeing with itself.
 */
import { expect, test } from "bun:test";
import { createCipheriv, createHash, createHmac, createPrivateKey, createPublicKey, diffieHellman } from "node:crypto";
import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { sharedHeap } from "../../src/crypto/heap.ts";
import { ModernSession } from "../../src/transport/codec/modern-session.ts";
import { describeEachGcm } from "../helpers/gcm-engines.ts";
import { psk as derivePsk } from "../helpers/modern.ts";
import { fixedRandom, makeTranscript, TRANSCRIPT_INPUTS, type Transcript } from "../helpers/modern-transcript.ts";
import { collector } from "../helpers/sessions.ts";
import { hex, loadVectors, toHex, utf8 } from "../helpers/vectors.ts";

const file = loadVectors<{ transcripts: Transcript[] }>("modern_link.json");

describeEachGcm("modern link transcripts", () => {
  test("the implementation reproduces every committed transcript byte for byte", () => {
    expect(file.transcripts.length).toBe(TRANSCRIPT_INPUTS.length);
    for (const [i, input] of TRANSCRIPT_INPUTS.entries()) {
      expect(makeTranscript(input)).toEqual(file.transcripts[i] as Transcript);
    }
  });

  test("fresh sessions read the recorded streams: the same answer, every packet, the rekey, the close", () => {
    for (const t of file.transcripts) {
      const listener = new ModernSession({
        role: "listen",
        psks: [hex(t.psk_hex)],
        payload: utf8(t.listener_payload),
        random: fixedRandom(hex(t.listener_random_hex)),
        heap: sharedHeap(),
      });
      const atListener = collector();
      expect(listener.feed(hex(t.message1_hex), atListener)).toBeUndefined();
      const { at, length } = listener.writeSource();
      expect(
        toHex(
          sharedHeap()
            .u8()
            .slice(at, at + length),
        ),
      ).toBe(t.message2_hex);
      expect(listener.feed(hex(t.connector_frames_hex), atListener)).toBe("peer-closed");
      expect(listener.peerCloseReason).toBe(t.close_reason);
      expect(listener.rxRekeys).toBe(1);
      expect(atListener.got.map(toHex)).toEqual(t.connector_packets_hex);
      listener.dispose();

      const connector = new ModernSession({
        role: "connect",
        psks: [hex(t.psk_hex)],
        payload: utf8(t.connector_payload),
        random: fixedRandom(hex(t.connector_random_hex)),
        heap: sharedHeap(),
      });
      const atConnector = collector();
      expect(connector.feed(hex(t.message2_hex), atConnector)).toBeUndefined();
      expect(connector.peerName).toBe(JSON.parse(t.listener_payload).node);
      expect(connector.feed(hex(t.listener_frames_hex), atConnector)).toBeUndefined();
      expect(atConnector.got.map(toHex)).toEqual(t.listener_packets_hex);
      expect(connector.rxRekeys).toBe(1);
      connector.dispose();
    }
  });

  test("the PSK is scrypt of the key string as specified", () => {
    for (const t of file.transcripts) expect(toHex(derivePsk(t.key))).toBe(t.psk_hex);
  });

  test("an independent model of the handshake computes the same two messages", () => {
    for (const t of file.transcripts) {
      const [m1, m2] = model(t);
      expect(toHex(m1)).toBe(t.message1_hex);
      expect(toHex(m2)).toBe(t.message2_hex);
    }
  });
});

// ---- a straight-line model of LINK-PROTOCOL.md v1's handshake ------------

const sha = (...d: Uint8Array[]) => {
  const h = createHash("sha256");
  for (const x of d) h.update(x);
  return new Uint8Array(h.digest());
};
const hmac = (k: Uint8Array, ...d: Uint8Array[]) => {
  const h = createHmac("sha256", k);
  for (const x of d) h.update(x);
  return new Uint8Array(h.digest());
};
const x25519Public = (priv: Uint8Array) =>
  new Uint8Array(
    createPublicKey(
      createPrivateKey({
        key: Buffer.concat([Buffer.from("302e020100300506032b656e04220420", "hex"), priv]),
        format: "der",
        type: "pkcs8",
      }),
    )
      .export({ format: "der", type: "spki" })
      .subarray(12),
  );
const x25519 = (priv: Uint8Array, pub: Uint8Array) =>
  new Uint8Array(
    diffieHellman({
      privateKey: createPrivateKey({
        key: Buffer.concat([Buffer.from("302e020100300506032b656e04220420", "hex"), priv]),
        format: "der",
        type: "pkcs8",
      }),
      publicKey: createPublicKey({
        key: Buffer.concat([Buffer.from("302a300506032b656e032100", "hex"), pub]),
        format: "der",
        type: "spki",
      }),
    }),
  );

function model(t: Transcript): [Uint8Array, Uint8Array] {
  const name = utf8("Noise_NNhfs+psk0_25519+MLKEM768_AESGCM_SHA256"); // 45 bytes > 32: hashed
  let h: Uint8Array = sha(name);
  let ck: Uint8Array = h;
  let k: Uint8Array | undefined;
  let n = 0;
  const magic = Uint8Array.of(0x73, 0x6d, 0x6c, 0x01);
  const mixHash = (d: Uint8Array) => {
    h = sha(h, d);
  };
  const hkdf = (ikm: Uint8Array, count: number) => {
    const tk = hmac(ck, ikm);
    const out = [hmac(tk, Uint8Array.of(1))];
    for (let i = 2; i <= count; i++) out.push(hmac(tk, out[i - 2] as Uint8Array, Uint8Array.of(i)));
    return out;
  };
  const mixKey = (ikm: Uint8Array) => {
    [ck, k] = hkdf(ikm, 2) as [Uint8Array, Uint8Array];
    n = 0;
  };
  const encryptAndHash = (pt: Uint8Array) => {
    const nonce = Buffer.alloc(12);
    nonce.writeBigUInt64BE(BigInt(n++), 4);
    const c = createCipheriv("aes-256-gcm", k as Uint8Array, nonce);
    c.setAAD(h);
    const ct = new Uint8Array(Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]));
    mixHash(ct);
    return ct;
  };
  const withLen = (m: Uint8Array) => new Uint8Array(Buffer.concat([Buffer.of(m.length >> 8, m.length & 0xff), m]));

  mixHash(magic); // prologue
  const cr = hex(t.connector_random_hex);
  const lr = hex(t.listener_random_hex);
  // -> psk, e, e1, payload
  const [ck1, tempH, tempK] = hkdf(hex(t.psk_hex), 3) as [Uint8Array, Uint8Array, Uint8Array];
  ck = ck1;
  mixHash(tempH);
  k = tempK;
  n = 0;
  const eI = cr.subarray(0, 32);
  const eIPub = x25519Public(eI);
  mixHash(eIPub);
  mixKey(eIPub);
  const kem = ml_kem768.keygen(cr.subarray(32, 96));
  const e1 = encryptAndHash(kem.publicKey);
  const p1 = encryptAndHash(utf8(t.connector_payload));
  const m1 = new Uint8Array(Buffer.concat([magic, withLen(new Uint8Array(Buffer.concat([eIPub, e1, p1])))]));
  // <- e, ee, ekem1, payload
  const eR = lr.subarray(0, 32);
  const eRPub = x25519Public(eR);
  mixHash(eRPub);
  mixKey(eRPub);
  mixKey(x25519(eR, eIPub));
  const enc = ml_kem768.encapsulate(kem.publicKey, lr.subarray(32, 64));
  const ekem1 = encryptAndHash(enc.cipherText);
  mixKey(enc.sharedSecret);
  const p2 = encryptAndHash(utf8(t.listener_payload));
  const m2 = withLen(new Uint8Array(Buffer.concat([eRPub, ekem1, p2])));
  return [m1, m2];
}
