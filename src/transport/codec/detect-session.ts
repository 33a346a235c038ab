/**
 * A listener's session on a port that serves modern and legacy connectors
 * (`tcp_listen` with `legacy: true`). It reads the first 4 bytes: "sml"
 * means the modern protocol (its version byte is checked there), anything
 * else is a legacy connector's IV. Then it hands those bytes to the right
 * session and passes every call through to it.
 *
 * A legacy IV that happens to begin with "sml" (one connection in 2^24)
 * fails its handshake and the connector tries again.
 */
import type { WasmHeap } from "../../crypto/heap.ts";
import { MAGIC } from "./modern-wire.ts";
import type { FrameSink, LinkSession, SessionError } from "./session.ts";

const SNIFF = MAGIC.length;

export class DetectingSession implements LinkSession {
  private inner: LinkSession | undefined;
  private sniffAt: number;
  private sniffed = 0;

  constructor(
    private readonly heap: WasmHeap,
    private readonly modern: () => LinkSession,
    private readonly legacy: () => LinkSession,
  ) {
    this.sniffAt = heap.alloc(SNIFF);
  }

  get established(): boolean {
    return this.inner?.established ?? false;
  }
  get pending(): number {
    return this.inner?.pending ?? 0;
  }
  get protocol(): string | undefined {
    return this.inner?.protocol;
  }
  get peerName(): string | undefined {
    return this.inner?.peerName;
  }
  get peerCloseReason(): string | undefined {
    return this.inner?.peerCloseReason;
  }
  get txRekeys(): number {
    return this.inner?.txRekeys ?? 0;
  }
  get rxRekeys(): number {
    return this.inner?.rxRekeys ?? 0;
  }
  get ignoredFrames(): number {
    return this.inner?.ignoredFrames ?? 0;
  }

  readTarget(): { at: number; room: number } {
    return this.inner ? this.inner.readTarget() : { at: this.sniffAt + this.sniffed, room: SNIFF - this.sniffed };
  }

  received(n: number, sink: FrameSink): SessionError | undefined {
    if (this.inner) return this.inner.received(n, sink);
    this.sniffed += n;
    if (this.sniffed < SNIFF) return undefined;
    const m = this.heap.u8();
    const first = m.slice(this.sniffAt, this.sniffAt + SNIFF);
    const modern = first[0] === MAGIC[0] && first[1] === MAGIC[1] && first[2] === MAGIC[2];
    this.heap.release(this.sniffAt, SNIFF);
    this.sniffAt = 0;
    this.inner = modern ? this.modern() : this.legacy();
    return this.inner.feed(first, sink);
  }

  feed(bytes: Uint8Array, sink: FrameSink): SessionError | undefined {
    let off = 0;
    while (!this.inner && off < bytes.length) {
      const { at, room } = this.readTarget();
      const n = Math.min(room, bytes.length - off);
      this.heap.u8().set(bytes.subarray(off, off + n), at);
      off += n;
      const err = this.received(n, sink);
      if (err) return err;
    }
    return this.inner && off < bytes.length ? this.inner.feed(bytes.subarray(off), sink) : undefined;
  }

  reserve(len: number, data: boolean): number {
    return this.inner ? this.inner.reserve(len, data) : 0;
  }
  commit(len: number): void {
    this.inner?.commit(len);
  }
  writeSource(): { at: number; length: number } {
    return this.inner ? this.inner.writeSource() : { at: 0, length: 0 };
  }
  wrote(n: number): void {
    this.inner?.wrote(n);
  }
  rekey(): boolean {
    return this.inner ? this.inner.rekey() : false;
  }
  sayGoodbye(reason: string): void {
    this.inner?.sayGoodbye(reason);
  }

  dispose(): void {
    if (this.sniffAt) this.heap.release(this.sniffAt, SNIFF);
    this.sniffAt = 0;
    this.inner?.dispose();
  }
}
