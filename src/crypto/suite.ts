/**
 * The legacy_tcp cipher suite interface. One generation of smolmesh2's
 * legacy transport (SPECK now, Gimli later) is a pair of 16-byte hashes and
 * a per-direction frame cipher; the handshake and framing code only ever
 * see this interface, so both generations and both implementations
 * (WebAssembly and plain TypeScript) are interchangeable.
 */

/** Keystream + MAC state of one direction of one link. */
export interface FrameCipher {
  /** XORs the keystream over `data` in place, continuing the stream. */
  xor(data: Uint8Array): void;
  /** The 16-byte frame MAC of `payload` (H2(mac_key, payload)). */
  mac(payload: Uint8Array): Uint8Array;
  /** The wire bytes of one frame: KS xor (len:u16 || payload || mac). */
  seal(payload: Uint8Array): Uint8Array;
  /** Whether `tag` (already decrypted) is the MAC of `payload`. */
  verify(payload: Uint8Array, tag: Uint8Array): boolean;
  /** Frees what the cipher holds; it must not be used afterwards. */
  dispose(): void;
}

export interface LegacySuite {
  readonly name: string;
  /** H2(x, y): 16 bytes. */
  hash2(x: Uint8Array, y: Uint8Array): Uint8Array;
  /** H3(x, y, z): 16 bytes. */
  hash3(x: Uint8Array, y: Uint8Array, z: Uint8Array): Uint8Array;
  /** A direction's cipher from its 16-byte enc and MAC keys. */
  direction(encKey: Uint8Array, macKey: Uint8Array): FrameCipher;
}

/** Frame overhead on the wire: the u16 length and the 16-byte MAC. */
export const FRAME_OVERHEAD = 18;
/** Largest payload a frame can carry (its length is a u16). */
export const MAX_PAYLOAD = 65535;

export function checkKey16(what: string, key: Uint8Array): void {
  if (key.length !== 16) {
    throw new RangeError(`"${what}" expected Uint8Array of length 16, got length=${key.length}`);
  }
}

export function checkPayload(payload: Uint8Array): void {
  if (payload.length === 0 || payload.length > MAX_PAYLOAD) {
    throw new RangeError(`"payload" expected 1..${MAX_PAYLOAD} bytes, got length=${payload.length}`);
  }
}
