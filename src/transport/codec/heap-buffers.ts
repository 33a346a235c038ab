/**
 * A session's two byte buffers, each a block of the shared wasm heap: what
 * the socket delivered and the session has not consumed yet, and what the
 * session queued for the socket. Both sessions (legacy and modern) keep
 * their frames here, so a frame is read, opened, routed and sealed for the
 * next hop where it lies.
 *
 * Addresses into the heap are absolute; a heap address is never 0, so 0
 * means "no room". Growing the heap detaches views: fetch `heap.u8()`
 * after any call that may allocate (`grow`).
 */
import type { WasmHeap } from "../../crypto/heap.ts";

/** A block of the heap whose bytes [start, end) are live, oldest first. */
abstract class HeapSpan {
  at: number;
  start = 0;
  end = 0;

  constructor(
    protected readonly heap: WasmHeap,
    public cap: number,
  ) {
    this.at = heap.alloc(cap);
  }

  /** Moves the live bytes to the front of the block. */
  protected toFront(): void {
    this.heap.u8().copyWithin(this.at, this.at + this.start, this.at + this.end);
    this.end -= this.start;
    this.start = 0;
  }

  /** A new block of `cap` bytes holding the live bytes at its front. Returns how far they moved. */
  grow(cap: number): number {
    const shift = this.start;
    if (cap === this.cap) {
      this.toFront();
      return shift;
    }
    const at = this.heap.alloc(cap); // may grow the heap: view after
    this.heap.u8().copyWithin(at, this.at + this.start, this.at + this.end);
    this.heap.release(this.at, this.cap);
    this.at = at;
    this.cap = cap;
    this.end -= this.start;
    this.start = 0;
    return shift;
  }

  release(): void {
    this.heap.release(this.at, this.cap);
  }
}

/** Bytes received: [start, end) waits to be consumed; reads land at `end`. */
export class RecvBuffer extends HeapSpan {
  get avail(): number {
    return this.end - this.start;
  }

  /** Where the next socket read should land: heap address and room. */
  target(): { at: number; room: number } {
    return { at: this.at + this.end, room: this.cap - this.end };
  }

  /**
   * Makes room after consuming: empties when everything is consumed, else
   * moves the rest to the front once fewer than `frameMax` bytes are left
   * behind it or it is past the middle. Returns how far the bytes moved.
   */
  compact(frameMax: number): number {
    const shift = this.start;
    if (this.start === this.end) {
      this.start = this.end = 0;
    } else if (this.cap - this.start < frameMax || this.start > this.cap / 2) {
      this.toFront();
    } else {
      return 0;
    }
    return shift;
  }
}

/** Bytes queued for the socket: [start, end) goes out next; frames are written at `end`. */
export class SendQueue extends HeapSpan {
  get pending(): number {
    return this.end - this.start;
  }

  /**
   * The heap address to write a frame of `need` bytes at (then `push(need)`),
   * or 0 when the queue would then hold more than `limit` bytes or the
   * buffer has no room even after moving its contents to the front.
   */
  reserve(need: number, limit: number): number {
    if (this.pending + need > limit) return 0;
    if (this.end + need > this.cap) {
      if (this.pending + need > this.cap) return 0;
      this.toFront();
    }
    return this.at + this.end;
  }

  /** `n` bytes were written at the address `reserve` gave. */
  push(n: number): void {
    this.end += n;
  }

  /** Queues bytes from JS memory (handshake messages); the caller made sure they fit. */
  append(bytes: Uint8Array): void {
    this.heap.u8().set(bytes, this.at + this.end);
    this.end += bytes.length;
  }

  /** What to write to the socket next: heap address and length. */
  source(): { at: number; length: number } {
    return { at: this.at + this.start, length: this.end - this.start };
  }

  /** `n` bytes of `source()` were written. */
  wrote(n: number): void {
    this.start += n;
    if (this.start === this.end) this.start = this.end = 0;
  }

  /** Takes everything queued (tests and non-socket transports). */
  drain(): Uint8Array {
    const out = this.heap.u8().slice(this.at + this.start, this.at + this.end);
    this.start = this.end = 0;
    return out;
  }
}
