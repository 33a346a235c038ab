/**
 * The original's session transcripts (frames_*.json), checked the same way
 * for every cipher suite: keys, each frame's wire bytes, the whole
 * transcript, and decryption with every MAC verified (and a flipped bit
 * refused).
 */
import { expect } from "bun:test";
import type { LegacySuite } from "../../src/crypto/suite.ts";
import { type FramesFile, hex, toHex, utf8 } from "./vectors.ts";

export function expectSealedTranscripts(suite: LegacySuite, file: FramesFile): void {
  for (const s of file.sessions) {
    const key = hex(s.key_hex);
    const iv = hex(s.iv_hex);
    expect(toHex(suite.hash3(key, iv, utf8("keyfinder")))).toBe(s.keyfinder_hex);
    const enc = suite.hash3(key, iv, utf8("enc_key"));
    const mac = suite.hash3(key, iv, utf8("mac_key"));
    expect([toHex(enc), toHex(mac)]).toEqual([s.enc_key_hex, s.mac_key_hex]);
    const cipher = suite.direction(enc, mac);
    const parts = [s.iv_hex, s.keyfinder_hex];
    for (const f of s.frames) {
      if (f.skipped) continue;
      const wire = toHex(cipher.seal(hex(f.payload_hex)));
      expect(wire).toBe(f.wire_hex);
      expect(s.transcript_hex.slice(2 * f.stream_offset, 2 * f.stream_offset + wire.length)).toBe(wire);
      parts.push(wire);
    }
    cipher.dispose();
    expect(parts.join("")).toBe(s.transcript_hex);
    expect(s.transcript_hex.length).toBe(2 * s.transcript_len);
  }
}

export function expectOpenedTranscripts(suite: LegacySuite, file: FramesFile): void {
  for (const s of file.sessions) {
    const key = hex(s.key_hex);
    const iv = hex(s.iv_hex);
    const rx = suite.direction(suite.hash3(key, iv, utf8("enc_key")), suite.hash3(key, iv, utf8("mac_key")));
    const stream = hex(s.transcript_hex).subarray(32);
    rx.xor(stream);
    let off = 0;
    for (const f of s.frames) {
      if (f.skipped) continue;
      const len = (stream[off] as number) | ((stream[off + 1] as number) << 8);
      expect(len).toBe(f.payload_len);
      const payload = stream.subarray(off + 2, off + 2 + len);
      const tag = stream.subarray(off + 2 + len, off + 18 + len);
      expect(toHex(payload)).toBe(f.payload_hex);
      expect(rx.verify(payload, tag)).toBe(true);
      const bad = tag.slice();
      bad[off % 16] = (bad[off % 16] as number) ^ 1;
      expect(rx.verify(payload, bad)).toBe(false);
      off += len + 18;
    }
    expect(off).toBe(stream.length);
    rx.dispose();
  }
}
