/**
 * The driver of one link: moves bytes between its socket and its session
 * (legacy or modern, see codec/session.ts) on the reactor, enforces the
 * deadlines, rekeys modern links on a timer, and keeps the link's counters. Reads land directly in the session's buffer in the
 * shared wasm heap; all frames queued during one reactor turn leave in one
 * write.
 *
 * Deadlines: the handshake must complete within `handshakeMs`; an
 * established link with nothing received for `idleMs` is dead (every node
 * floods every 5-10 s, so a live peer always has something to say). A
 * modern link's sending key is replaced every `rekeyMs` (and by the
 * session itself after 2^30 bytes).
 */
import type { WasmHeap } from "../crypto/heap.ts";
import type { NetApi, SocketAddress } from "../reactor/net-api.ts";
import { ERROR, READ, type Reactor, type Registration, type Timer, WRITE } from "../reactor/reactor.ts";
import type { LinkSession, SessionError } from "./codec/session.ts";

export type Direction = "out" | "in";
export type LinkState = "handshake" | "up" | "closed";

export interface LinkEvents {
  established(link: Link): void;
  /** A verified payload at heap[p, p+len), valid during the call only. */
  packet(link: Link, p: number, len: number): void;
  closed(link: Link, reason: string, wasUp: boolean): void;
}

export interface LinkStats {
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsOut: number;
  dataDropped: number;
  controlDropped: number;
}

export const SESSION_ERRORS: Record<SessionError, string> = {
  "wrong-key": "wrong key: the peer's handshake matches none of our keys",
  "bad-mac": "bad MAC on a frame (wrong key or corrupted stream)",
  "bad-length": "frame with an impossible length",
  "bad-magic":
    "not a modern link: the peer's first bytes are not the magic (a legacy connector on a port without legacy: true?)",
  "bad-version": "the peer speaks another version of the modern link protocol",
  "bad-handshake": "malformed handshake message (wrong size or a bad key inside)",
  "handshake-auth": "the listener's handshake answer did not authenticate (tampered with on the way?)",
  "bad-payload": "the handshake payload is not a JSON object with a node name",
  unconfirmed:
    "the connector's first frame did not authenticate: it never proved it holds the key (a replayed handshake?)",
  "peer-closed": "the peer closed the link",
};

export interface LinkTiming {
  handshakeMs: number;
  idleMs: number;
  /** A modern link's sending key is replaced at least this often. */
  rekeyMs: number;
}

const READS_PER_TURN = 8;

export class Link {
  state: LinkState = "handshake";
  readonly stats: LinkStats = {
    bytesIn: 0,
    bytesOut: 0,
    packetsIn: 0,
    packetsOut: 0,
    dataDropped: 0,
    controlDropped: 0,
  };
  readonly createdAt: number;
  establishedAt = 0;
  lastReceived: number;
  private readonly reg: Registration;
  private deadline: Timer | undefined;
  private flushQueued = false;
  private readonly sink = { packet: (p: number, len: number) => this.onPacket(p, len) };
  private rekeyTimer: Timer | undefined;
  /** When the current sending / receiving keys were made (modern links). */
  txKeyAt = 0;
  rxKeyAt = 0;
  private txRekeysSeen = 0;
  private rxRekeysSeen = 0;

  constructor(
    readonly id: number,
    readonly direction: Direction,
    readonly peer: SocketAddress,
    readonly peerText: string,
    private readonly fd: number,
    private readonly session: LinkSession,
    private readonly reactor: Reactor,
    private readonly net: NetApi,
    private readonly heap: WasmHeap,
    private readonly events: LinkEvents,
    private readonly timing: LinkTiming,
  ) {
    this.createdAt = this.lastReceived = reactor.now();
    this.reg = reactor.add(fd, READ, (ready) => this.onReady(ready));
    this.deadline = reactor.after(timing.handshakeMs, () =>
      this.close(`handshake not completed within ${timing.handshakeMs / 1000} s`),
    );
    if (session.pending) this.scheduleFlush();
  }

  /** "modern", "speck" or "gimli", once the handshake tells. */
  get protocol(): string | undefined {
    return this.session.protocol;
  }

  /** The peer's node name from the handshake (modern links). */
  get peerName(): string | undefined {
    return this.session.peerName;
  }

  get modern(): boolean {
    return this.session.protocol === "modern";
  }

  /** Rekeys done so far each way and frames of unknown type skipped. */
  get keyStats(): { txRekeys: number; rxRekeys: number; ignoredFrames: number } {
    const s = this.session;
    return { txRekeys: s.txRekeys, rxRekeys: s.rxRekeys, ignoredFrames: s.ignoredFrames };
  }

  get queuedBytes(): number {
    return this.session.pending;
  }

  private onReady(ready: number): void {
    if (ready & (READ | ERROR)) this.readSome();
    if (this.state !== "closed" && ready & WRITE) this.flush();
  }

  private readSome(): void {
    for (let i = 0; i < READS_PER_TURN && this.state !== "closed"; i++) {
      const { at, room } = this.session.readTarget();
      let n: number;
      try {
        n = this.net.read(this.fd, this.heap.u8(), at, room);
      } catch (e) {
        this.close(`read failed: ${(e as Error).message}`);
        return;
      }
      if (n < 0) return;
      if (n === 0) {
        this.close(
          this.state === "handshake"
            ? "the peer closed the connection during the handshake (wrong key, or another protocol?)"
            : "the peer closed the connection",
        );
        return;
      }
      this.stats.bytesIn += n;
      this.lastReceived = this.reactor.now();
      const wasUp = this.state !== "handshake";
      const err = this.session.received(n, this.sink);
      if (err) {
        this.close(this.describe(err));
        return;
      }
      if (this.session.rxRekeys !== this.rxRekeysSeen) {
        this.rxRekeysSeen = this.session.rxRekeys;
        this.rxKeyAt = this.lastReceived;
      }
      if (!wasUp && this.session.established && this.state === "handshake") this.onEstablished();
      if (this.session.pending) this.scheduleFlush(); // a handshake answer, or what the link queued on coming up
      if (n < room) return;
    }
  }

  private describe(err: SessionError): string {
    const reason = this.session.peerCloseReason;
    return err === "peer-closed" && reason ? `${SESSION_ERRORS[err]}: "${reason}"` : SESSION_ERRORS[err];
  }

  private onEstablished(): void {
    this.deadline?.cancel();
    this.state = "up";
    this.establishedAt = this.txKeyAt = this.rxKeyAt = this.reactor.now();
    this.armIdle();
    if (this.modern) this.armRekey(this.timing.rekeyMs);
    this.events.established(this);
  }

  private armRekey(ms: number): void {
    this.rekeyTimer = this.reactor.after(ms, () => {
      if (this.state !== "up") return;
      // no room in the send queue: try again soon, before the old key gets much older
      if (!this.session.rekey()) return this.armRekey(Math.min(1000, this.timing.rekeyMs));
      this.noteTxRekey();
      this.scheduleFlush();
      this.armRekey(this.timing.rekeyMs);
    });
  }

  /** The session made a new sending key (the timer's rekey, or one after 2^30 bytes). */
  private noteTxRekey(): void {
    this.txRekeysSeen = this.session.txRekeys;
    this.txKeyAt = this.reactor.now();
  }

  private armIdle(): void {
    const silentFor = this.reactor.now() - this.lastReceived;
    const left = this.timing.idleMs - silentFor;
    if (left <= 0) {
      this.close(`nothing received for ${Math.round(silentFor / 1000)} s`);
      return;
    }
    this.deadline = this.reactor.after(left + 1, () => this.armIdle());
  }

  private onPacket(p: number, len: number): void {
    // frames can follow the handshake answer in the same read
    if (this.state === "handshake") this.onEstablished();
    this.stats.packetsIn++;
    if (this.state === "up") this.events.packet(this, p, len);
  }

  /** Queues `len` bytes from `b[off]` as one frame. False when dropped (queue full or not up). */
  send(b: Uint8Array, off: number, len: number, data: boolean): boolean {
    if (this.state !== "up") return false;
    const at = this.session.reserve(len, data);
    if (at === 0) {
      if (data) this.stats.dataDropped++;
      else this.stats.controlDropped++;
      return false;
    }
    const m = this.heap.u8();
    if (b.buffer === m.buffer) m.copyWithin(at, off, off + len);
    else m.set(b.subarray(off, off + len), at);
    this.session.commit(len);
    if (this.session.txRekeys !== this.txRekeysSeen) this.noteTxRekey();
    this.stats.packetsOut++;
    this.scheduleFlush();
    return true;
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    this.reactor.soon(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.state !== "closed") {
      const { at, length } = this.session.writeSource();
      if (length === 0) break;
      let n: number;
      try {
        n = this.net.write(this.fd, this.heap.u8(), at, length);
      } catch (e) {
        this.close(`write failed: ${(e as Error).message}`);
        return;
      }
      if (n < 0) break;
      this.stats.bytesOut += n;
      this.session.wrote(n);
    }
    if (this.state !== "closed") this.reg.setInterest(this.session.pending ? READ | WRITE : READ);
  }

  /** How long the link has been (or was, once closed) up; 0 if its handshake never finished. */
  get upMs(): number {
    return this.establishedAt === 0 ? 0 : this.reactor.now() - this.establishedAt;
  }

  /**
   * Closes the socket and frees the session; `reason` goes to the closed
   * event. With `goodbye`, a modern link first tells the peer why in a
   * close frame (one non-blocking write: lost if the peer is not reading).
   */
  close(reason: string, goodbye?: string): void {
    if (this.state === "closed") return;
    if (goodbye !== undefined && this.state === "up") {
      this.session.sayGoodbye(goodbye);
      const { at, length } = this.session.writeSource();
      try {
        if (length) this.net.write(this.fd, this.heap.u8(), at, length);
      } catch {
        // the socket is going away anyway; the reason below is what counts
      }
    }
    const wasUp = this.state === "up";
    this.state = "closed";
    this.deadline?.cancel();
    this.rekeyTimer?.cancel();
    this.reg.remove();
    this.net.close(this.fd);
    this.session.dispose();
    this.events.closed(this, reason, wasUp);
  }
}
