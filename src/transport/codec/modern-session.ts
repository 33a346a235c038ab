/**
 * One modern link (LINK-PROTOCOL.md, version 1) as a byte-in/byte-out
 * state machine: the magic, the Noise_NNhfs+psk0 handshake, then AES-GCM
 * transport messages both ways. No sockets, clocks or random sources: the
 * driver supplies randomness and calls `rekey()` on its timer.
 *
 * Buffers live in the shared WebAssembly heap, as the legacy session's
 * do: a frame is read into it, opened in place and handed to the router
 * at its heap address; a frame is written into it by the router and
 * sealed in place. They stay small until the handshake has succeeded.
 *
 * Phases. Connector: it sends magic and message 1 at once, reads message
 * 2, and is established. Listener: magic, then message 1 (each configured
 * key's PSK is tried; the one whose `e1` authenticates is the link's),
 * then it answers with message 2 and waits for the connector's first
 * transport message, which proves the connector holds the key (message 1
 * alone may be a recording): only then is the link established.
 */
import { TAG_LEN } from "../../crypto/aes-gcm.ts";
import type { WasmHeap } from "../../crypto/heap.ts";
import type { CipherState } from "../../crypto/noise/cipher-state.ts";
import { HandshakeState } from "../../crypto/noise/handshake-state.ts";
import { RecvBuffer, SendQueue } from "./heap-buffers.ts";
import {
  BODY_MAX,
  CLOSE_REASON_MAX,
  decodePayload,
  FRAME_MAX,
  FRAME_MIN,
  FRAME_OVERHEAD,
  LEN_BYTES,
  MAGIC,
  MSG1_MAX,
  MSG1_MIN,
  MSG2_MAX,
  MSG2_MIN,
  PATTERN,
  printable,
  REKEY_BYTES,
  TYPE_CLOSE,
  TYPE_DATA,
  TYPE_REKEY,
} from "./modern-wire.ts";
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

export interface ModernOptions {
  role: Role;
  /** 32-byte PSKs (linkPsk of each configured key); a connector has exactly one. */
  psks: readonly Uint8Array[];
  /** This node's handshake payload (encodePayload). */
  payload: Uint8Array;
  /** `n` bytes from a CSPRNG. */
  random: (n: number) => Uint8Array;
  heap: WasmHeap;
  limits?: SessionLimits;
  /** Bytes sent under one key before a rekey (LINK-PROTOCOL.md: 2^30). */
  rekeyBytes?: number;
}

type Phase = "magic" | "msg1" | "msg2" | "confirm" | "open" | "failed";

const EMPTY = new Uint8Array(0);
const RX_HANDSHAKE = 4096;
const TX_HANDSHAKE = 4096;
/** Two largest frames, so after compaction one always fits. */
const RX_FULL = 2 * (LEN_BYTES + FRAME_MAX) + 64;
const utf8 = new TextEncoder();
const lossyUtf8 = new TextDecoder();

export class ModernSession implements LinkSession {
  readonly role: Role;
  readonly protocol = "modern";
  peerName: string | undefined;
  peerSoftware: string | undefined;
  peerCloseReason: string | undefined;
  /** Index in `psks` of the key the peer used (listener), once known. */
  keyIndex: number | undefined;
  txRekeys = 0;
  rxRekeys = 0;
  ignoredFrames = 0;

  private readonly heap: WasmHeap;
  private readonly psks: readonly Uint8Array[];
  private readonly payload: Uint8Array;
  private readonly random: (n: number) => Uint8Array;
  private readonly limits: SessionLimits;
  private readonly rekeyBytes: number;
  private phase: Phase;
  private hs: HandshakeState | undefined;
  private tx: CipherState | undefined;
  private rx: CipherState | undefined;
  private sentSinceRekey = 0;

  private readonly rxBuf: RecvBuffer;
  private readonly txBuf: SendQueue;
  private disposed = false;

  constructor(o: ModernOptions) {
    checkKeyCount(o.role, o.psks.length, "psks");
    this.role = o.role;
    this.heap = o.heap;
    this.psks = o.psks;
    this.payload = o.payload;
    this.random = o.random;
    this.limits = o.limits ?? DEFAULT_LIMITS;
    this.rekeyBytes = o.rekeyBytes ?? REKEY_BYTES;
    this.rxBuf = new RecvBuffer(this.heap, RX_HANDSHAKE);
    this.txBuf = new SendQueue(this.heap, TX_HANDSHAKE);
    if (o.role === "listen") {
      this.phase = "magic";
    } else {
      this.phase = "msg2";
      this.hs = this.handshake(o.psks[0] as Uint8Array);
      this.txBuf.append(MAGIC);
      this.queueMessage(this.hs.writeMessage(this.payload) as Uint8Array); // message 1 reads nothing from the peer
    }
  }

  get established(): boolean {
    return this.phase === "open";
  }

  get pending(): number {
    return this.txBuf.pending;
  }

  private handshake(psk: Uint8Array): HandshakeState {
    return new HandshakeState({
      pattern: PATTERN,
      initiator: this.role === "connect",
      prologue: MAGIC,
      psk,
      random: this.random,
    });
  }

  // ---- receiving ---------------------------------------------------------

  readTarget(): { at: number; room: number } {
    return this.rxBuf.target();
  }

  feed(bytes: Uint8Array, sink: FrameSink): SessionError | undefined {
    return feedThrough(this, () => this.heap.u8(), bytes, sink);
  }

  received(n: number, sink: FrameSink): SessionError | undefined {
    if (this.disposed || this.phase === "failed") return undefined;
    this.rxBuf.end += n;
    const err = this.consume(sink);
    if (err) {
      this.phase = "failed";
      this.hs?.erase();
      return err;
    }
    if (!this.disposed) this.rxBuf.compact(LEN_BYTES + FRAME_MAX);
    return undefined;
  }

  private consume(sink: FrameSink): SessionError | undefined {
    for (;;) {
      if (this.disposed) return undefined;
      const rx = this.rxBuf;
      const avail = rx.avail;
      const m = this.heap.u8();
      const p = rx.at + rx.start;
      if (this.phase === "magic") {
        if (avail < MAGIC.length) return undefined;
        if (m[p] !== MAGIC[0] || m[p + 1] !== MAGIC[1] || m[p + 2] !== MAGIC[2]) return "bad-magic";
        if (m[p + 3] !== MAGIC[3]) return "bad-version";
        rx.start += MAGIC.length;
        this.phase = "msg1";
        continue;
      }
      if (avail < LEN_BYTES) return undefined;
      const len = ((m[p] as number) << 8) | (m[p + 1] as number);
      if (this.phase === "msg1" || this.phase === "msg2") {
        const [min, max] = this.phase === "msg1" ? [MSG1_MIN, MSG1_MAX] : [MSG2_MIN, MSG2_MAX];
        if (len < min || len > max) return "bad-handshake";
        if (avail < LEN_BYTES + len) return undefined;
        const msg = m.slice(p + LEN_BYTES, p + LEN_BYTES + len);
        rx.start += LEN_BYTES + len;
        const err = this.phase === "msg1" ? this.onMessage1(msg) : this.onMessage2(msg);
        if (err) return err;
        continue;
      }
      // confirm / open: transport messages
      if (len < FRAME_MIN) return "bad-length";
      if (avail < LEN_BYTES + len) return undefined;
      const body = p + LEN_BYTES;
      if (!(this.rx as CipherState).decryptAt(EMPTY, m, body, len - TAG_LEN)) {
        return this.phase === "confirm" ? "unconfirmed" : "bad-mac";
      }
      rx.start += LEN_BYTES + len;
      if (this.phase === "confirm") {
        this.txBuf.grow(this.limits.sendBufferBytes); // may grow the heap: views after this are fetched anew
        this.phase = "open";
      }
      const v = this.heap.u8();
      const type = v[body] as number;
      const size = len - FRAME_MIN;
      if (type === TYPE_DATA) {
        sink.packet(body + 1, size);
      } else if (type === TYPE_REKEY) {
        (this.rx as CipherState).rekey();
        this.rxRekeys++;
      } else if (type === TYPE_CLOSE) {
        const text = lossyUtf8.decode(v.subarray(body + 1, body + 1 + Math.min(size, CLOSE_REASON_MAX)));
        this.peerCloseReason = printable(text);
        return "peer-closed";
      } else {
        this.ignoredFrames++;
      }
    }
  }

  /** Listener: find the key, answer, and wait for the connector's first frame. */
  private onMessage1(msg: Uint8Array): SessionError | undefined {
    let hs: HandshakeState | undefined;
    let peer: Uint8Array | undefined;
    for (let i = 0; i < this.psks.length; i++) {
      const tryHs = this.handshake(this.psks[i] as Uint8Array);
      const r = tryHs.readMessage(msg);
      if (r instanceof Uint8Array) {
        [hs, peer, this.keyIndex] = [tryHs, r, i];
        break;
      }
      tryHs.erase();
      if (r !== "auth") return "bad-handshake";
    }
    if (!hs || !peer) return "wrong-key";
    this.hs = hs;
    if (!this.takePayload(peer)) return "bad-payload";
    const answer = hs.writeMessage(this.payload);
    if (!(answer instanceof Uint8Array)) return "bad-handshake";
    this.queueMessage(answer);
    [this.rx, this.tx] = hs.split();
    this.hs = undefined;
    this.rxBuf.grow(RX_FULL); // room for a whole transport frame; the send queue grows once confirmed
    this.phase = "confirm";
    return undefined;
  }

  /** Connector: the listener's answer ends the handshake. */
  private onMessage2(msg: Uint8Array): SessionError | undefined {
    const hs = this.hs as HandshakeState;
    const r = hs.readMessage(msg);
    if (!(r instanceof Uint8Array)) return r === "auth" ? "handshake-auth" : "bad-handshake";
    if (!this.takePayload(r)) return "bad-payload";
    [this.tx, this.rx] = hs.split();
    this.hs = undefined;
    this.rxBuf.grow(RX_FULL);
    this.txBuf.grow(this.limits.sendBufferBytes);
    this.phase = "open";
    return undefined;
  }

  private takePayload(bytes: Uint8Array): boolean {
    const p = decodePayload(bytes);
    if (!p) return false;
    this.peerName = printable(p.node, 255);
    this.peerSoftware = p.software === undefined ? undefined : printable(p.software, 100);
    return true;
  }

  // ---- sending -----------------------------------------------------------

  private queueMessage(msg: Uint8Array): void {
    const len = Uint8Array.of(msg.length >> 8, msg.length & 0xff);
    this.txBuf.append(len);
    this.txBuf.append(msg);
  }

  /** Heap address for a body of `len` bytes, or 0 (not open, too long, or over the queue limit). */
  reserve(len: number, data: boolean): number {
    if (this.phase !== "open" || len <= 0 || len > BODY_MAX) return 0;
    return this.room(len, data);
  }

  /** The body's address in a frame of `len` body bytes queued next, or 0 when it does not fit. */
  private room(len: number, data: boolean): number {
    const q = this.txBuf;
    const at = q.reserve(len + FRAME_OVERHEAD, data ? this.limits.dataQueueBytes : q.cap);
    return at === 0 ? 0 : at + LEN_BYTES + 1;
  }

  commit(len: number): void {
    this.seal(TYPE_DATA, len);
    if (this.sentSinceRekey >= this.rekeyBytes) this.rekey();
  }

  /** Queues one data payload from JS memory; false when it was dropped. */
  send(payload: Uint8Array, data: boolean): boolean {
    const at = this.reserve(payload.length, data);
    if (at === 0) return false;
    this.heap.u8().set(payload, at);
    this.commit(payload.length);
    return true;
  }

  /** Seals the frame whose body (len bytes) is already in place after its length and type. */
  private seal(type: number, len: number): void {
    const at = this.txBuf.at + this.txBuf.end;
    const m = this.heap.u8();
    m[at + LEN_BYTES] = type;
    // 2^53 frames: centuries of sending at any rate a link reaches
    if (!(this.tx as CipherState).encryptAt(EMPTY, m, at + LEN_BYTES, 1 + len)) throw new RangeError("nonce exhausted");
    this.heap.dv().setUint16(at, FRAME_MIN + len, false);
    this.txBuf.push(FRAME_OVERHEAD + len);
    this.sentSinceRekey += FRAME_OVERHEAD + len;
  }

  rekey(): boolean {
    if (this.phase !== "open") return false;
    if (this.room(0, false) === 0) return false;
    this.seal(TYPE_REKEY, 0);
    (this.tx as CipherState).rekey();
    this.txRekeys++;
    this.sentSinceRekey = 0;
    return true;
  }

  sayGoodbye(reason: string): void {
    if (!this.tx || (this.phase !== "open" && this.phase !== "confirm")) return;
    const text = utf8.encode(reason).subarray(0, CLOSE_REASON_MAX);
    const at = this.room(CLOSE_REASON_MAX, false);
    if (at === 0) return;
    this.heap.u8().set(text, at);
    this.seal(TYPE_CLOSE, text.length);
  }

  writeSource(): { at: number; length: number } {
    return this.txBuf.source();
  }

  wrote(n: number): void {
    this.txBuf.wrote(n);
  }

  /** Takes everything queued (tests and non-socket transports). */
  drain(): Uint8Array {
    return this.txBuf.drain();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.hs?.erase();
    this.tx?.erase();
    this.rx?.erase();
    this.rxBuf.release();
    this.txBuf.release();
  }
}
