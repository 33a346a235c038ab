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
  kind = CALL;
  fn: (() => void) | null = null;
  /** DELIVER: the link, the receiving node and its local link id, the bytes and their hash (NaN: not known). */
  link: unknown = null;
  node = 0;
  local = 0;
  bytes: Uint8Array | null = null;
  hash = Number.NaN;
}

const RING = 4096; // ms ahead kept in buckets (a power of two)

/**
 * A binary heap of events ordered by (time, insertion order). The keys sit
 * in arrays of plain numbers beside the events: sifting compares keys next
 * to each other in memory instead of reading an event object, scattered
 * over a pool of a million, at every level (that was a fifth of the run).
 */
class Heap {
  readonly t: number[] = [];
  readonly seq: number[] = [];
  readonly ev: SimEvent[] = [];

  get length(): number {
    return this.ev.length;
  }

  push(e: SimEvent, t: number, seq: number): void {
    const ts = this.t;
    const seqs = this.seq;
    const evs = this.ev;
    let i = evs.length;
    ts.push(t);
    seqs.push(seq);
    evs.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = ts[p] as number;
      if (pt < t || (pt === t && (seqs[p] as number) < seq)) break;
      ts[i] = pt;
      seqs[i] = seqs[p] as number;
      evs[i] = evs[p] as SimEvent;
      i = p;
    }
    ts[i] = t;
    seqs[i] = seq;
    evs[i] = e;
  }

  /** Removes the first event; its key was `t[0]`, `seq[0]` (the caller reads them first if it needs them). */
  pop(): SimEvent | undefined {
    const ts = this.t;
    const seqs = this.seq;
    const evs = this.ev;
    const top = evs[0];
    const last = evs.pop();
    const lt = ts.pop() as number;
    const ls = seqs.pop() as number;
    const n = evs.length;
    if (!top || !last || n === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      let c = l;
      let ct = ts[l] as number;
      let cs = seqs[l] as number;
      if (l + 1 < n) {
        const rt = ts[l + 1] as number;
        const rs = seqs[l + 1] as number;
        if (rt < ct || (rt === ct && rs < cs)) {
          c = l + 1;
          ct = rt;
          cs = rs;
        }
      }
      if (lt < ct || (lt === ct && ls < cs)) break;
      ts[i] = ct;
      seqs[i] = cs;
      evs[i] = evs[c] as SimEvent;
      i = c;
    }
    ts[i] = lt;
    seqs[i] = ls;
    evs[i] = last;
    return top;
  }
}

export class EventQueue {
  private readonly buckets: Heap[] = Array.from({ length: RING }, () => new Heap());
  /** Events at or beyond `base + RING` ms. */
  private readonly far = new Heap();
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

  /**
   * Queues `e`. Events at the same time run in `seq` order: by default the
   * insertion order; the simulator passes keys of its own (unique, below
   * 2^53) that do not depend on how the nodes are split across workers.
   */
  push(e: SimEvent, seq = this.seq++): void {
    // an event earlier than the current bucket (the queue looked ahead past
    // empty buckets) sorts first in it: those before it are all empty
    const ms = Math.max(this.base, Math.floor(e.t));
    if (ms - this.base >= RING) {
      this.far.push(e, e.t, seq);
      return;
    }
    (this.buckets[ms & (RING - 1)] as Heap).push(e, e.t, seq);
    this.inRing++;
  }

  /** The current bucket, moved on to the first with an event (undefined: the queue is empty). */
  private current(): Heap | undefined {
    for (;;) {
      if (this.inRing === 0) {
        if (this.far.length === 0) return undefined;
        this.base = Math.max(this.base, Math.floor(this.far.t[0] as number));
        this.pullFar();
      }
      const b = this.buckets[this.base & (RING - 1)] as Heap;
      if (b.length > 0) return b;
      this.base++;
      this.pullFar();
    }
  }

  /** Moves events from `far` whose millisecond entered the ring. */
  private pullFar(): void {
    const far = this.far;
    const end = this.base + RING;
    while (far.length > 0 && Math.floor(far.t[0] as number) < end) {
      const t = far.t[0] as number;
      const seq = far.seq[0] as number;
      const e = far.pop() as SimEvent;
      (this.buckets[Math.max(this.base, Math.floor(t)) & (RING - 1)] as Heap).push(e, t, seq);
      this.inRing++;
    }
  }

  /** `pop`, if the first event is earlier than `end` (a window that ends before `end`). */
  popBefore(end: number): SimEvent | undefined {
    const b = this.current();
    if (!b || (b.t[0] as number) >= end) return undefined;
    this.inRing--;
    return b.pop();
  }

  peekTime(): number {
    return this.current()?.t[0] ?? Number.POSITIVE_INFINITY;
  }

  pop(): SimEvent | undefined {
    const b = this.current();
    if (!b) return undefined;
    this.inRing--;
    return b.pop();
  }

  /** `pop`, if the first event is due by `until` (one look for the bucket instead of peekTime's and pop's). */
  popDue(until: number): SimEvent | undefined {
    const b = this.current();
    if (!b || (b.t[0] as number) > until) return undefined;
    this.inRing--;
    return b.pop();
  }
}
