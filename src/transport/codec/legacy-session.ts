/**
 * One legacy_tcp connection as a byte-in/byte-out state machine: the
 * handshake, then frames both ways. No sockets, clocks or random sources:
 * the driver supplies our IV, reads socket bytes into `readTarget()` and
 * writes out `writeSource()`.
 *
 * Both buffers live in the shared WebAssembly heap, so frames are
 * decrypted, verified and sealed in place. Their sizes are fixed (small
 * while the handshake runs), which bounds what one peer can make us hold:
 * a peer that stops reading fills its own send queue and loses its own
 * data packets, nothing else.
 *
 * Handshake (see DESIGN.md): the connector sends iv || H3(key, iv,
 * "keyfinder"); the listener finds the first configured key (and cipher
 * generation) that reproduces it, else the connection is refused, and
 * answers the same way with its own IV; the connector checks the answer.
 * Each direction then runs on its sender's IV.
 */
import type { WasmHeap } from "../../crypto/heap.ts";
import { FRAME_OVERHEAD, type FrameCipher, type LegacySuite, MAX_PAYLOAD } from "../../crypto/suite.ts";
import { RecvBuffer, SendQueue } from "./heap-buffers.ts";
import {
  checkKeyCount,
  DEFAULT_LIMITS,
  type FrameSink,
  feedThrough,
  type LinkSession,
  type Role,
  type SessionError,
  type SessionLimits,
} from "./session.ts";

export { DEFAULT_LIMITS, type FrameSink, type Role, type SessionError, type SessionLimits };

export interface KeyCandidate {
  readonly suite: LegacySuite;
  /** The configured key string's UTF-8 bytes. */
  readonly key: Uint8Array;
}

const HANDSHAKE = 32;
const utf8 = (s: string) => new TextEncoder().encode(s);
const KEYFINDER = utf8("keyfinder");
const ENC_KEY = utf8("enc_key");
const MAC_KEY = utf8("mac_key");
/** Receive buffer once established: two largest frames, so after compaction one always fits. */
const RX_FULL = 2 * (MAX_PAYLOAD + FRAME_OVERHEAD) + 64;
const RX_HANDSHAKE = 4096;
const TX_HANDSHAKE = 64;

function equal16(m: Uint8Array, p: number, want: Uint8Array): boolean {
  let d = 0;
  for (let i = 0; i < 16; i++) d |= (m[p + i] as number) ^ (want[i] as number);
  return d === 0;
}

export class LegacySession implements LinkSession {
  readonly role: Role;
  private readonly heap: WasmHeap;
  private readonly candidates: readonly KeyCandidate[];
  private readonly iv: Uint8Array;
  private readonly limits: SessionLimits;
  /** The matched key, once the handshake is done. */
  chosen: KeyCandidate | undefined;
  private rxCipher: FrameCipher | undefined;
  private txCipher: FrameCipher | undefined;

  private readonly rx: RecvBuffer;
  /** Received bytes are decrypted up to here (the keystream runs ahead of whole frames). */
  private rDec = 0;
  private readonly tx: SendQueue;
  private disposed = false;
  readonly peerName = undefined;
  readonly peerCloseReason = undefined;
  readonly txRekeys = 0;
  readonly rxRekeys = 0;
  readonly ignoredFrames = 0;

  constructor(opts: {
    role: Role;
    candidates: readonly KeyCandidate[];
    iv: Uint8Array;
    heap: WasmHeap;
    limits?: SessionLimits;
  }) {
    if (opts.iv.length !== 16) throw new RangeError(`"iv" expected 16 bytes, got ${opts.iv.length}`);
    checkKeyCount(opts.role, opts.candidates.length, "candidates");
    this.role = opts.role;
    this.candidates = opts.candidates;
    this.iv = opts.iv.slice();
    this.heap = opts.heap;
    this.limits = opts.limits ?? DEFAULT_LIMITS;
    this.rx = new RecvBuffer(this.heap, RX_HANDSHAKE);
    this.tx = new SendQueue(this.heap, TX_HANDSHAKE);
    if (this.role === "connect") this.queueHello(this.candidates[0] as KeyCandidate);
  }

  /** The generation ("speck" or "gimli") once the handshake matched a key. */
  get protocol(): string | undefined {
    return this.chosen?.suite.name;
  }

  get established(): boolean {
    return this.txCipher !== undefined && this.rxCipher !== undefined;
  }

  /** Bytes waiting to be written to the socket. */
  get pending(): number {
    return this.tx.pending;
  }

  private queueHello(c: KeyCandidate): void {
    const keyfinder = c.suite.hash3(c.key, this.iv, KEYFINDER);
    this.tx.append(this.iv);
    this.tx.append(keyfinder);
  }

  // ---- receiving ---------------------------------------------------------

  /** Where the next socket read should land: heap address and room. */
  readTarget(): { at: number; room: number } {
    return this.rx.target();
  }

  /** Copies `bytes` in and processes them (for tests and non-heap sources). */
  feed(bytes: Uint8Array, sink: FrameSink): SessionError | undefined {
    return feedThrough(this, () => this.heap.u8(), bytes, sink);
  }

  /** `n` bytes were read into `readTarget()`: decrypt, verify, deliver. */
  received(n: number, sink: FrameSink): SessionError | undefined {
    if (this.disposed) return undefined;
    const rx = this.rx;
    rx.end += n;
    if (!this.established) {
      if (rx.avail < HANDSHAKE) return undefined;
      const err = this.handshake();
      if (err) return err;
    }
    const rxc = this.rxCipher as FrameCipher;
    if (rx.end > this.rDec) {
      rxc.xorAt(rx.at + this.rDec, rx.end - this.rDec);
      this.rDec = rx.end;
    }
    for (;;) {
      const avail = rx.avail;
      if (avail < 2) break;
      const m = this.heap.u8();
      const p = rx.at + rx.start;
      const len = (m[p] as number) | ((m[p + 1] as number) << 8);
      if (len === 0) return "bad-length";
      if (avail < len + FRAME_OVERHEAD) break;
      if (!rxc.verifyAt(p + 2, len)) return "bad-mac";
      rx.start += len + FRAME_OVERHEAD;
      sink.packet(p + 2, len);
      if (this.disposed) return undefined;
    }
    this.rDec -= rx.compact(MAX_PAYLOAD + FRAME_OVERHEAD);
    return undefined;
  }

  private handshake(): SessionError | undefined {
    const p = this.rx.at + this.rx.start;
    const peerIv = this.heap.u8().slice(p, p + 16);
    let match: KeyCandidate | undefined;
    for (const c of this.candidates) {
      const want = c.suite.hash3(c.key, peerIv, KEYFINDER); // may grow the heap: view after
      if (equal16(this.heap.u8(), p + 16, want)) {
        match = c;
        break;
      }
    }
    if (!match) return "wrong-key";
    this.chosen = match;
    this.rx.start += HANDSHAKE;
    const { suite, key } = match;
    this.rxCipher = suite.direction(suite.hash3(key, peerIv, ENC_KEY), suite.hash3(key, peerIv, MAC_KEY));
    this.rxCipher.prefetch();
    this.txCipher = suite.direction(suite.hash3(key, this.iv, ENC_KEY), suite.hash3(key, this.iv, MAC_KEY));
    // established links get full-size buffers; handshakes stay small
    this.rx.grow(RX_FULL);
    this.rDec = 0;
    this.tx.grow(this.limits.sendBufferBytes);
    if (this.role === "listen") this.queueHello(match);
    return undefined;
  }

  // ---- sending -----------------------------------------------------------

  /**
   * Room for a payload of `len` bytes: returns the heap address to write
   * it at, then call `commit(len)`. Returns 0 when the frame must be
   * dropped: not established yet, or the queue is over its limit (data
   * packets stop at `dataQueueBytes`, control frames at the buffer's end).
   */
  reserve(len: number, data: boolean): number {
    if (!this.txCipher || len <= 0 || len > MAX_PAYLOAD) return 0;
    const at = this.tx.reserve(len + FRAME_OVERHEAD, data ? this.limits.dataQueueBytes : this.tx.cap);
    return at === 0 ? 0 : at + 2;
  }

  /** Seals the payload written at `reserve(len)` and queues it. */
  commit(len: number): void {
    this.tx.push((this.txCipher as FrameCipher).sealAt(this.tx.at + this.tx.end, len));
  }

  /** Queues one payload from JS memory; false when it was dropped. */
  send(payload: Uint8Array, data: boolean): boolean {
    const at = this.reserve(payload.length, data);
    if (at === 0) return false;
    this.heap.u8().set(payload, at);
    this.commit(payload.length);
    return true;
  }

  /** What to write to the socket next: heap address and length. */
  writeSource(): { at: number; length: number } {
    return this.tx.source();
  }

  /** `n` bytes of `writeSource()` were written. */
  wrote(n: number): void {
    this.tx.wrote(n);
  }

  /** Takes everything queued (tests and non-socket transports). */
  drain(): Uint8Array {
    return this.tx.drain();
  }

  /** Legacy keys never change. */
  rekey(): boolean {
    return true;
  }

  /** The legacy protocol has no close frame. */
  sayGoodbye(_reason: string): void {}

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.rxCipher?.dispose();
    this.txCipher?.dispose();
    this.rx.release();
    this.tx.release();
  }
}
