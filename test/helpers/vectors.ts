/**
 * Conformance vectors from the original smolmesh2, copied from
 * ../shared/vectors (their provenance is in test/vectors/README.md).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const VECTOR_DIR = join(import.meta.dir, "..", "vectors");

export function loadVectors<T>(name: string): T {
  return JSON.parse(readFileSync(join(VECTOR_DIR, name), "utf8")) as T;
}

export function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, "hex"));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export interface FrameVector {
  payload_len: number;
  payload_hex: string;
  skipped?: boolean;
  stream_offset: number;
  wire_hex: string;
}

export interface SessionVector {
  label: string;
  key: string;
  key_hex: string;
  iv_hex: string;
  keyfinder_hex: string;
  enc_key_hex: string;
  mac_key_hex: string;
  frames: FrameVector[];
  transcript_len: number;
  transcript_hex: string;
}

export interface FramesFile {
  sessions: SessionVector[];
  listener_key_selection: {
    listener_keys: string[];
    client_key: string;
    client_iv_hex: string;
    client_keyfinder_hex: string;
    picked_index: number;
  };
}
