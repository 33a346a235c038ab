/**
 * The simulator's event queue, ordered by (time, insertion order). Events
 * are plain records drawn from a free list, not closures: a 1,000-node run
 * handles tens of millions of them.
 *
 * It is a ring of 1 ms buckets, each a small binary heap, with a heap for
 * events beyond the ring: one big heap of a million pending events cost a
 * cache miss per level on every push and pop (an eighth of the run), while
 * a bucket holds the few hundred events of one millisecond.
 */
export const CALL = 0;
export const DELIVER = 1;

export class SimEvent {
  t = 0;
  seq = 0;
  kind = CALL;
  fn: (() => void) | null = null;
  /** DELIVER: the link, the receiving node and its local link id, the bytes. */
  link: unknown = null;
  node = 0;
  local = 0;
  bytes: Uint8Array | null = null;
}

const RING = 4096; // ms ahead kept in buckets (a power of two)

const before = (a: SimEvent, b: SimEvent) => a.t < b.t || (a.t === b.t && a.seq < b.seq);

function heapPush(h: SimEvent[], e: SimEvent): void {
  let i = h.length;
  h.push(e);
  while (i > 0) {
    const p = (i - 1) >> 1;
    const pe = h[p] as SimEvent;
    if (before(pe, e)) break;
    h[i] = pe;
    i = p;
  }
  h[i] = e;
}

function heapPop(h: SimEvent[]): SimEvent | undefined {
  const top = h[0];
  const last = h.pop();
  if (!top || !last || h.length === 0) return top;
  let i = 0;
  const n = h.length;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    let c = l;
    let ce = h[l] as SimEvent;
    if (l + 1 < n) {
      const re = h[l + 1] as SimEvent;
      if (before(re, ce)) {
        c = l + 1;
        ce = re;
      }
    }
    if (before(last, ce)) break;
    h[i] = ce;
    i = c;
  }
  h[i] = last;
  return top;
}

export class EventQueue {
  private readonly buckets: SimEvent[][] = Array.from({ length: RING }, () => []);
  /** Events at or beyond `base + RING` ms. */
  private readonly far: SimEvent[] = [];
  /** The millisecond of the current bucket; no event is earlier. */
  private base = 0;
  /** Events in the buckets. */
  private inRing = 0;
  private readonly free: SimEvent[] = [];
  private seq = 0;

  get size(): number {
    return this.inRing + this.far.length;
  }

  /** A blank event to fill in and `push`. */
  take(): SimEvent {
    return this.free.pop() ?? new SimEvent();
  }

  /** Returns an event that has run to the free list. */
  recycle(e: SimEvent): void {
    e.fn = null;
    e.link = null;
    e.bytes = null;
    this.free.push(e);
  }

  push(e: SimEvent): void {
    e.seq = this.seq++;
    // an event earlier than the current bucket (the queue looked ahead past
    // empty buckets) sorts first in it: those before it are all empty
    const ms = Math.max(this.base, Math.floor(e.t));
    if (ms - this.base >= RING) {
      heapPush(this.far, e);
      return;
    }
    heapPush(this.buckets[ms & (RING - 1)] as SimEvent[], e);
    this.inRing++;
  }

  /** The current bucket, moved on to the first with an event (undefined: the queue is empty). */
  private current(): SimEvent[] | undefined {
    for (;;) {
      if (this.inRing === 0) {
        const next = this.far[0];
        if (!next) return undefined;
        this.base = Math.max(this.base, Math.floor(next.t));
        this.pullFar();
      }
      const b = this.buckets[this.base & (RING - 1)] as SimEvent[];
      if (b.length > 0) return b;
      this.base++;
      this.pullFar();
    }
  }

  /** Moves events from `far` whose millisecond entered the ring. */
  private pullFar(): void {
    const far = this.far;
    const end = this.base + RING;
    while (far.length > 0 && Math.floor((far[0] as SimEvent).t) < end) {
      const e = heapPop(far) as SimEvent;
      heapPush(this.buckets[Math.max(this.base, Math.floor(e.t)) & (RING - 1)] as SimEvent[], e);
      this.inRing++;
    }
  }

  peekTime(): number {
    return this.current()?.[0]?.t ?? Number.POSITIVE_INFINITY;
  }

  pop(): SimEvent | undefined {
    const b = this.current();
    if (!b) return undefined;
    this.inRing--;
    return heapPop(b);
  }
}
