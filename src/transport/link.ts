/**
 * The driver of one legacy_tcp connection: moves bytes between its socket
 * and its LegacySession on the reactor, enforces the deadlines, and keeps
 * the link's counters. Reads land directly in the session's buffer in the
 * shared wasm heap; all frames queued during one reactor turn leave in one
 * write.
 *
 * Deadlines: the handshake must complete within `handshakeMs`; an
 * established link with nothing received for `idleMs` is dead (every node
 * floods every 5-10 s, so a live peer always has something to say).
 */
import type { WasmHeap } from "../crypto/heap.ts";
import type { NetApi, SocketAddress } from "../reactor/net-api.ts";
import { ERROR, READ, type Reactor, type Registration, type Timer, WRITE } from "../reactor/reactor.ts";
import type { LegacySession, SessionError } from "./codec/legacy-session.ts";

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
  "wrong-key": "wrong key: the peer's keyfinder matches none of ours",
  "bad-mac": "bad MAC on a frame (wrong key or corrupted stream)",
  "bad-length": "frame with an impossible length",
};

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

  constructor(
    readonly id: number,
    readonly direction: Direction,
    readonly peer: SocketAddress,
    readonly peerText: string,
    private readonly fd: number,
    private readonly session: LegacySession,
    private readonly reactor: Reactor,
    private readonly net: NetApi,
    private readonly heap: WasmHeap,
    private readonly events: LinkEvents,
    private readonly timing: { handshakeMs: number; idleMs: number },
  ) {
    this.createdAt = this.lastReceived = reactor.now();
    this.reg = reactor.add(fd, READ, (ready) => this.onReady(ready));
    this.deadline = reactor.after(timing.handshakeMs, () =>
      this.close(`handshake not completed within ${timing.handshakeMs / 1000} s`),
    );
    if (session.pending) this.scheduleFlush();
  }

  /** The session's established cipher generation, once up. */
  get suiteName(): string | undefined {
    return this.session.chosen?.suite.name;
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
        this.close("the peer closed the connection");
        return;
      }
      this.stats.bytesIn += n;
      this.lastReceived = this.reactor.now();
      const wasUp = this.state !== "handshake";
      const err = this.session.received(n, this.sink);
      if (err) {
        this.close(SESSION_ERRORS[err]);
        return;
      }
      if (!wasUp && this.session.established && this.state === "handshake") this.onEstablished();
      if (n < room) return;
    }
  }

  private onEstablished(): void {
    this.deadline?.cancel();
    this.state = "up";
    this.establishedAt = this.reactor.now();
    if (this.session.pending) this.scheduleFlush();
    this.armIdle();
    this.events.established(this);
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

  /** Closes the socket and frees the session; `reason` goes to the closed event. */
  close(reason: string): void {
    if (this.state === "closed") return;
    const wasUp = this.state === "up";
    this.state = "closed";
    this.deadline?.cancel();
    this.reg.remove();
    this.net.close(this.fd);
    this.session.dispose();
    this.events.closed(this, reason, wasUp);
  }
}
