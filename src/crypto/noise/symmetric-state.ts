/**
 * Noise's SymmetricState (revision 34, §5.2) with SHA-256: the chaining
 * key `ck`, the handshake hash `h`, and the CipherState the handshake
 * encrypts with. HMAC and SHA-256 come from node:crypto; HKDF is written
 * out as Noise defines it (§4.3), three HMAC calls.
 */
import { createHash, createHmac } from "node:crypto";
import { CipherState } from "./cipher-state.ts";

export const HASHLEN = 32;

const hmac = (key: Uint8Array, ...data: Uint8Array[]): Uint8Array => {
  const m = createHmac("sha256", key);
  for (const d of data) m.update(d);
  return new Uint8Array(m.digest());
};

/** HKDF(chaining_key, input_key_material, num_outputs) of Noise §4.3. */
export function hkdf(ck: Uint8Array, ikm: Uint8Array, outputs: 2 | 3): Uint8Array[] {
  const temp = hmac(ck, ikm);
  const o1 = hmac(temp, Uint8Array.of(1));
  const o2 = hmac(temp, o1, Uint8Array.of(2));
  const out = [o1, o2];
  if (outputs === 3) out.push(hmac(temp, o2, Uint8Array.of(3)));
  temp.fill(0);
  return out;
}

export function sha256(...data: Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const d of data) h.update(d);
  return new Uint8Array(h.digest());
}

export class SymmetricState {
  private ck: Uint8Array;
  private h: Uint8Array;
  readonly cs = new CipherState();

  private constructor(ck: Uint8Array, h: Uint8Array) {
    this.ck = ck;
    this.h = h;
  }

  /** InitializeSymmetric(protocol_name). */
  static initialize(protocolName: string): SymmetricState {
    const name = new TextEncoder().encode(protocolName);
    let h: Uint8Array;
    if (name.length <= HASHLEN) {
      h = new Uint8Array(HASHLEN);
      h.set(name);
    } else {
      h = sha256(name);
    }
    return new SymmetricState(h.slice(), h);
  }

  mixKey(ikm: Uint8Array): void {
    const [ck, tempK] = hkdf(this.ck, ikm, 2) as [Uint8Array, Uint8Array];
    this.ck.fill(0);
    this.ck = ck;
    this.cs.initializeKey(tempK);
    tempK.fill(0);
  }

  mixHash(data: Uint8Array): void {
    this.h = sha256(this.h, data);
  }

  mixKeyAndHash(ikm: Uint8Array): void {
    const [ck, tempH, tempK] = hkdf(this.ck, ikm, 3) as [Uint8Array, Uint8Array, Uint8Array];
    this.ck.fill(0);
    this.ck = ck;
    this.mixHash(tempH);
    this.cs.initializeKey(tempK);
    tempK.fill(0);
  }

  getHandshakeHash(): Uint8Array {
    return this.h.slice();
  }

  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const ct = this.cs.encryptWithAd(this.h, plaintext);
    this.mixHash(ct);
    return ct;
  }

  /** The plaintext, or undefined when it does not authenticate. */
  decryptAndHash(ciphertext: Uint8Array): Uint8Array | undefined {
    const pt = this.cs.decryptWithAd(this.h, ciphertext);
    if (pt) this.mixHash(ciphertext);
    return pt;
  }

  /** Split(): the initiator's sending state, then the responder's. Erases the chaining key. */
  split(): [CipherState, CipherState] {
    const [k1, k2] = hkdf(this.ck, new Uint8Array(0), 2) as [Uint8Array, Uint8Array];
    const c1 = new CipherState();
    const c2 = new CipherState();
    c1.initializeKey(k1);
    c2.initializeKey(k2);
    k1.fill(0);
    k2.fill(0);
    this.erase();
    return [c1, c2];
  }

  erase(): void {
    this.ck.fill(0);
    this.cs.erase();
  }
}
