/**
 * Transcripts of the full modern handshake and a few frames with fixed
 * ephemeral keys, for test/vectors/modern_link.json. `bun
 * test/helpers/modern-transcript.ts` prints the file anew (only needed if
 * the protocol version changes: the test compares against the committed
 * copy, so any change to the bytes on the wire fails it).
 */
import { sharedHeap } from "../../src/crypto/heap.ts";
import { ModernSession } from "../../src/transport/codec/modern-session.ts";
import { drain, psk } from "./modern.ts";
import { collector } from "./sessions.ts";
import { hex, toHex, utf8 } from "./vectors.ts";

export interface TranscriptInputs {
  key: string;
  connector_random_hex: string;
  listener_random_hex: string;
  connector_payload: string;
  listener_payload: string;
  connector_packets_hex: string[];
  listener_packets_hex: string[];
  close_reason: string;
}

export interface Transcript extends TranscriptInputs {
  psk_hex: string;
  message1_hex: string;
  message2_hex: string;
  connector_frames_hex: string;
  listener_frames_hex: string;
}

/** A random source that hands out these bytes in order, and fails when they run out. */
export function fixedRandom(bytes: Uint8Array): (n: number) => Uint8Array {
  let off = 0;
  return (n) => {
    if (off + n > bytes.length) throw new Error(`fixed randomness used up: ${n} more bytes asked for`);
    off += n;
    return bytes.slice(off - n, off);
  };
}

export function makeTranscript(i: TranscriptInputs): Transcript {
  const make = (role: "connect" | "listen", random: string, payload: string) =>
    new ModernSession({
      role,
      psks: [psk(i.key)],
      payload: utf8(payload),
      random: fixedRandom(hex(random)),
      heap: sharedHeap(),
    });
  const c = make("connect", i.connector_random_hex, i.connector_payload);
  const l = make("listen", i.listener_random_hex, i.listener_payload);
  const message1 = drain(c);
  if (l.feed(message1, collector())) throw new Error("listener refused message 1");
  const message2 = drain(l);
  if (c.feed(message2, collector())) throw new Error("connector refused message 2");
  // the connector speaks first (its first frame confirms the key), then the listener
  const [first, ...rest] = i.connector_packets_hex;
  c.send(hex(first as string), false);
  c.rekey();
  for (const p of rest) c.send(hex(p), false);
  c.sayGoodbye(i.close_reason);
  const connectorFrames = drain(c);
  if (l.feed(connectorFrames.subarray(0, 2 + 17 + (first as string).length / 2), collector())) {
    throw new Error("listener refused the first frame");
  }
  for (const p of i.listener_packets_hex) l.send(hex(p), false);
  l.rekey();
  const listenerFrames = drain(l);
  c.dispose();
  l.dispose();
  return {
    ...i,
    psk_hex: toHex(psk(i.key)),
    message1_hex: toHex(message1),
    message2_hex: toHex(message2),
    connector_frames_hex: toHex(connectorFrames),
    listener_frames_hex: toHex(listenerFrames),
  };
}

const seq = (n: number, start: number) => toHex(Uint8Array.from({ length: n }, (_, k) => (start + k * 7) & 0xff));

export const TRANSCRIPT_INPUTS: TranscriptInputs[] = [
  {
    key: "correct horse battery staple",
    connector_random_hex: seq(32 + 64, 1),
    listener_random_hex: seq(32 + 32, 101),
    connector_payload: '{"node":"laptop","software":"smolmesh 0.2.0"}',
    listener_payload: '{"node":"relay","software":"smolmesh 0.2.0"}',
    connector_packets_hex: [seq(9 + 6, 3), seq(200, 5)],
    listener_packets_hex: [seq(9 + 5, 7), seq(1400, 11)],
    close_reason: "shutting down",
  },
  {
    key: "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5",
    connector_random_hex: seq(32 + 64, 200),
    listener_random_hex: seq(32 + 32, 50),
    connector_payload: '{"node":"n\\u00e9ud","extra":[1,2]}',
    listener_payload: '{"node":"x"}',
    connector_packets_hex: [seq(9, 0)],
    listener_packets_hex: [seq(9, 1)],
    close_reason: "key removed",
  },
];

if (import.meta.main) {
  const file = {
    source: "smolmesh's own modern link implementation (test/helpers/modern-transcript.ts), fixed randomness",
    notes:
      "Noise_NNhfs+psk0_25519+MLKEM768_AESGCM_SHA256 as LINK-PROTOCOL.md v1. psk = scrypt(key, 'smolmesh link psk v1', N=32768, r=8, p=1, 32). connector_random = e private key (32) || ML-KEM-768 keygen seed d||z (64); listener_random = e private key (32) || ML-KEM-768 encapsulation m (32). message1 = magic || len u16 BE || msg1; message2 = len u16 BE || msg2. connector_frames: data(packet 0), rekey, data(the rest), close(close_reason). listener_frames: data(each packet), rekey.",
    transcripts: TRANSCRIPT_INPUTS.map(makeTranscript),
  };
  console.log(JSON.stringify(file, null, 1));
}
