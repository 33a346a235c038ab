/**
 * The modern link protocol's wire constants and handshake payload, in one
 * place beside LINK-PROTOCOL.md (version 1):
 *
 *   connector -> listener   magic "sml" 0x01
 *   connector -> listener   len u16 BE || message 1   (e, e1, payload)
 *   listener  -> connector  len u16 BE || message 2   (e, ekem1, payload)
 *   both ways, afterwards   len u16 BE || AES-256-GCM(type u8 || body)
 */
import { TAG_LEN } from "../../crypto/aes-gcm.ts";
import { MLKEM768 } from "../../crypto/ml-kem.ts";
import { NN_HFS_PSK0 } from "../../crypto/noise/handshake-state.ts";
import { X25519_LEN } from "../../crypto/x25519.ts";

export const PATTERN = NN_HFS_PSK0;
export const VERSION = 1;
/** "sml" and the version byte. */
export const MAGIC = Uint8Array.of(0x73, 0x6d, 0x6c, VERSION);
export const LEN_BYTES = 2;

/** Handshake payloads: UTF-8 JSON, at most this many bytes. */
export const PAYLOAD_MAX = 1024;
export const MSG1_MIN = X25519_LEN + MLKEM768.publicKeyLen + TAG_LEN + TAG_LEN;
export const MSG1_MAX = MSG1_MIN + PAYLOAD_MAX;
export const MSG2_MIN = X25519_LEN + MLKEM768.ciphertextLen + TAG_LEN + TAG_LEN;
export const MSG2_MAX = MSG2_MIN + PAYLOAD_MAX;

/** A transport message on the wire: type (1) + tag (16) at least, a u16 at most. */
export const FRAME_MIN = 1 + TAG_LEN;
export const FRAME_MAX = 65535;
/** The largest body, so the largest mesh packet a modern link carries. */
export const BODY_MAX = FRAME_MAX - FRAME_MIN;
/** Bytes a frame adds to its body on the wire: length, type, tag. */
export const FRAME_OVERHEAD = LEN_BYTES + 1 + TAG_LEN;

export const TYPE_DATA = 0;
export const TYPE_REKEY = 1;
export const TYPE_CLOSE = 2;
export const CLOSE_REASON_MAX = 200;

/** Each direction gets a new key at least this often (ms) and after this many bytes. */
export const REKEY_MS = 120_000;
export const REKEY_BYTES = 2 ** 30;

export interface HandshakePayload {
  node: string;
  software?: string;
}

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export function encodePayload(p: HandshakePayload): Uint8Array {
  const bytes = utf8.encode(JSON.stringify(p));
  if (bytes.length > PAYLOAD_MAX) {
    throw new RangeError(`handshake payload of ${bytes.length} bytes (at most ${PAYLOAD_MAX}): node name too long`);
  }
  return bytes;
}

/** The peer's payload, or undefined when it is not a UTF-8 JSON object with a non-empty string `node`. */
export function decodePayload(bytes: Uint8Array): HandshakePayload | undefined {
  if (bytes.length > PAYLOAD_MAX) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(strictUtf8.decode(bytes));
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
  const { node, software } = v as Record<string, unknown>;
  if (typeof node !== "string" || node.length === 0) return undefined;
  return typeof software === "string" ? { node, software } : { node };
}

/** Text from a peer made safe for one log line: no control characters, at most `max` characters. */
export function printable(text: string, max = CLOSE_REASON_MAX): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, "?");
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
