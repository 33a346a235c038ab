/**
 * X25519 (RFC 7748) from node:crypto, on raw 32-byte keys as Noise uses
 * them. node:crypto takes keys as DER; the fixed prefixes below wrap a raw
 * key into PKCS#8 (private) and SubjectPublicKeyInfo (public) for the
 * X25519 OID 1.3.101.110.
 */
import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from "node:crypto";

export const X25519_LEN = 32;

const PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");

function check(what: string, key: Uint8Array): void {
  if (key.length !== X25519_LEN) {
    throw new RangeError(`"${what}" expected Uint8Array of length 32, got length=${key.length}`);
  }
}

/** An X25519 key pair made from 32 secret bytes (the caller's random source). */
export class X25519KeyPair {
  readonly publicKey: Uint8Array;
  private readonly key: KeyObject;

  constructor(secret: Uint8Array) {
    check("secret", secret);
    this.key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secret]), format: "der", type: "pkcs8" });
    const spki = createPublicKey(this.key).export({ format: "der", type: "spki" });
    this.publicKey = new Uint8Array(spki.subarray(spki.length - X25519_LEN));
  }

  /**
   * DH(this, peer): the 32-byte shared secret, or undefined when the peer's
   * key is a low-order point (the output would be all zeros, which the
   * native code refuses). Bytes from the network never throw.
   */
  dh(peer: Uint8Array): Uint8Array | undefined {
    check("peer public key", peer);
    try {
      const pub = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, peer]), format: "der", type: "spki" });
      return new Uint8Array(diffieHellman({ privateKey: this.key, publicKey: pub }));
    } catch {
      return undefined;
    }
  }
}
