/**
 * Noise's HandshakeState (revision 34, §5.3) for the one-round-trip
 * patterns smolmesh uses: NN, NNpsk0 (the published vectors) and
 * NNhfs+psk0 (the link protocol, with the `e1` and `ekem1` tokens of
 * "KEM-based Hybrid Forward Secrecy for Noise", revision 1).
 *
 * No random source is read here: ephemeral keys and the KEM's randomness
 * come from the `random(n)` the caller passes, so a handshake with fixed
 * inputs reproduces its transcript byte for byte. Bytes from the network
 * never throw: `readMessage` returns a reason instead.
 */
import { TAG_LEN } from "../aes-gcm.ts";
import { type KemKeyPair, kemDecapsulate, kemEncapsulate, kemKeygen, MLKEM768 } from "../ml-kem.ts";
import { X25519_LEN, X25519KeyPair } from "../x25519.ts";
import type { CipherState } from "./cipher-state.ts";
import { SymmetricState } from "./symmetric-state.ts";

export type Token = "psk" | "e" | "e1" | "ee" | "ekem1";

export interface Pattern {
  /** The pattern's part of the protocol name, with its modifiers ("NNhfs+psk0"). */
  readonly name: string;
  /** Tokens of each message, initiator first. */
  readonly messages: readonly (readonly Token[])[];
}

export const NN: Pattern = { name: "NN", messages: [["e"], ["e", "ee"]] };
export const NN_PSK0: Pattern = {
  name: "NNpsk0",
  messages: [
    ["psk", "e"],
    ["e", "ee"],
  ],
};
export const NN_HFS_PSK0: Pattern = {
  name: "NNhfs+psk0",
  messages: [
    ["psk", "e", "e1"],
    ["e", "ee", "ekem1"],
  ],
};

/** Noise_<pattern>_25519[+MLKEM768]_AESGCM_SHA256 */
export function protocolName(p: Pattern): string {
  const hfs = p.messages.some((m) => m.includes("e1"));
  return `Noise_${p.name}_25519${hfs ? "+MLKEM768" : ""}_AESGCM_SHA256`;
}

/** Why a handshake message was refused. */
export type HandshakeError =
  | "size" // shorter than its tokens, or no message is expected now
  | "auth" // an encrypted field did not authenticate (wrong key, or tampered)
  | "dh" // the peer's ephemeral is a low-order point
  | "kem"; // the peer's KEM public key failed its check

export interface HandshakeOptions {
  pattern: Pattern;
  initiator: boolean;
  prologue: Uint8Array;
  /** The 32-byte pre-shared key, for patterns with a psk token. */
  psk?: Uint8Array;
  /** `n` bytes from a CSPRNG (fixed bytes in test vectors). */
  random: (n: number) => Uint8Array;
}

const usesPsk = (p: Pattern) => p.messages.some((m) => m.includes("psk"));

export class HandshakeState {
  private readonly ss: SymmetricState;
  private readonly pattern: Pattern;
  private readonly initiator: boolean;
  private readonly psk: Uint8Array | undefined;
  private readonly random: (n: number) => Uint8Array;
  private readonly pskMode: boolean;
  private e: X25519KeyPair | undefined;
  private re: Uint8Array | undefined;
  private e1: KemKeyPair | undefined;
  private re1: Uint8Array | undefined;
  private index = 0;

  constructor(o: HandshakeOptions) {
    this.pattern = o.pattern;
    this.initiator = o.initiator;
    this.random = o.random;
    this.pskMode = usesPsk(o.pattern);
    if (this.pskMode && o.psk?.length !== 32) {
      throw new RangeError(`"psk" expected Uint8Array of length 32, got ${o.psk ? `length=${o.psk.length}` : "none"}`);
    }
    this.psk = o.psk;
    this.ss = SymmetricState.initialize(protocolName(o.pattern));
    this.ss.mixHash(o.prologue);
  }

  /** Whether every message has been written or read. */
  get finished(): boolean {
    return this.index >= this.pattern.messages.length;
  }

  /** Whose turn it is: true when this side writes the next message. */
  get writing(): boolean {
    return this.index % 2 === (this.initiator ? 0 : 1);
  }

  get handshakeHash(): Uint8Array {
    return this.ss.getHandshakeHash();
  }

  /**
   * WriteMessage(payload): the message bytes, or why it cannot be made
   * from what the peer sent (a low-order ephemeral, a KEM key that fails
   * its check).
   */
  writeMessage(payload: Uint8Array): Uint8Array | HandshakeError {
    const tokens = this.pattern.messages[this.index];
    if (!tokens || !this.writing) throw new Error("writeMessage: not this side's turn");
    const parts: Uint8Array[] = [];
    for (const t of tokens) {
      switch (t) {
        case "psk":
          this.ss.mixKeyAndHash(this.psk as Uint8Array);
          break;
        case "e": {
          this.e = new X25519KeyPair(this.random(X25519_LEN));
          parts.push(this.e.publicKey);
          this.ss.mixHash(this.e.publicKey);
          if (this.pskMode) this.ss.mixKey(this.e.publicKey);
          break;
        }
        case "e1":
          this.e1 = kemKeygen(this.random(MLKEM768.seedLen));
          parts.push(this.ss.encryptAndHash(this.e1.publicKey));
          break;
        case "ee": {
          const dh = this.dhEE();
          if (!dh) return "dh";
          this.ss.mixKey(dh);
          dh.fill(0);
          break;
        }
        case "ekem1": {
          const r = kemEncapsulate(this.re1 as Uint8Array, this.random(MLKEM768.messageLen));
          if (!r) return "kem";
          parts.push(this.ss.encryptAndHash(r.ciphertext));
          this.ss.mixKey(r.sharedSecret);
          r.sharedSecret.fill(0);
          break;
        }
      }
    }
    parts.push(this.ss.encryptAndHash(payload));
    this.index++;
    return concat(parts);
  }

  /** ReadMessage(message): the payload, or why the message is refused. */
  readMessage(message: Uint8Array): Uint8Array | HandshakeError {
    const tokens = this.pattern.messages[this.index];
    if (!tokens || this.writing) return "size";
    let off = 0;
    const take = (n: number): Uint8Array | undefined => {
      if (off + n > message.length) return undefined;
      off += n;
      return message.subarray(off - n, off);
    };
    const tag = () => (this.ss.cs.hasKey() ? TAG_LEN : 0);
    for (const t of tokens) {
      switch (t) {
        case "psk":
          this.ss.mixKeyAndHash(this.psk as Uint8Array);
          break;
        case "e": {
          const re = take(X25519_LEN);
          if (!re) return "size";
          this.re = re.slice();
          this.ss.mixHash(this.re);
          if (this.pskMode) this.ss.mixKey(this.re);
          break;
        }
        case "e1": {
          const field = take(MLKEM768.publicKeyLen + tag());
          if (!field) return "size";
          const pk = this.ss.decryptAndHash(field);
          if (!pk) return "auth";
          this.re1 = pk;
          break;
        }
        case "ee": {
          const dh = this.dhEE();
          if (!dh) return "dh";
          this.ss.mixKey(dh);
          dh.fill(0);
          break;
        }
        case "ekem1": {
          const field = take(MLKEM768.ciphertextLen + tag());
          if (!field) return "size";
          const ct = this.ss.decryptAndHash(field);
          if (!ct) return "auth";
          const secret = kemDecapsulate(ct, (this.e1 as KemKeyPair).secretKey);
          if (!secret) return "kem";
          this.ss.mixKey(secret);
          secret.fill(0);
          break;
        }
      }
    }
    const rest = message.subarray(off);
    if (rest.length < tag()) return "size";
    const payload = this.ss.decryptAndHash(rest);
    if (!payload) return "auth";
    this.index++;
    return payload;
  }

  private dhEE(): Uint8Array | undefined {
    return (this.e as X25519KeyPair).dh(this.re as Uint8Array);
  }

  /** Split(): [initiator -> responder, responder -> initiator]. Erases the handshake's secrets. */
  split(): [CipherState, CipherState] {
    if (!this.finished) throw new Error("split() before the handshake finished");
    this.e = undefined;
    this.e1?.secretKey.fill(0);
    this.e1 = undefined;
    return this.ss.split();
  }

  /** Forgets the handshake's secrets (a failed or abandoned handshake). */
  erase(): void {
    this.e = undefined;
    this.e1?.secretKey.fill(0);
    this.e1 = undefined;
    this.ss.erase();
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
