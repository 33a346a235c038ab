/**
 * ML-KEM-768 (FIPS 203) from @noble/post-quantum, an audited pure-TS
 * implementation. Bun's node:crypto generates ML-KEM keys but has no
 * encapsulate/decapsulate, and its WebCrypto encapsulateBits is async and
 * takes no caller randomness; the handshake is a synchronous state machine
 * whose randomness is an input (so transcripts replay byte for byte), which
 * the deterministic entry points here give: `keygen(d || z)` (FIPS 203
 * Algorithm 16) and `encapsulate(ek, m)` (Algorithm 17).
 */
import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";

export const MLKEM768 = {
  publicKeyLen: 1184,
  ciphertextLen: 1088,
  sharedSecretLen: 32,
  /** Bytes of randomness keygen takes (d || z). */
  seedLen: 64,
  /** Bytes of randomness encapsulate takes (m). */
  messageLen: 32,
} as const;

export interface KemKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export function kemKeygen(seed: Uint8Array): KemKeyPair {
  return ml_kem768.keygen(seed);
}

/**
 * The ciphertext and shared secret for a peer's public key, or undefined
 * when the key fails FIPS 203's modulus check (bytes from the network
 * never throw).
 */
export function kemEncapsulate(
  publicKey: Uint8Array,
  m: Uint8Array,
): { ciphertext: Uint8Array; sharedSecret: Uint8Array } | undefined {
  if (publicKey.length !== MLKEM768.publicKeyLen) return undefined;
  try {
    const r = ml_kem768.encapsulate(publicKey, m);
    return { ciphertext: r.cipherText, sharedSecret: r.sharedSecret };
  } catch {
    return undefined;
  }
}

/** The shared secret (implicit rejection: a bad ciphertext gives an unrelated secret, never an error). */
export function kemDecapsulate(ciphertext: Uint8Array, secretKey: Uint8Array): Uint8Array | undefined {
  if (ciphertext.length !== MLKEM768.ciphertextLen) return undefined;
  return ml_kem768.decapsulate(ciphertext, secretKey);
}
