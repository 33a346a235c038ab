/**
 * The simulator's event queue, ordered by (time, insertion order). Events
 * are plain records drawn from a free list, not closures: a 1,000-node run
 * handles tens of millions of them.
 *
 * It is a ring of 1/64 ms buckets with a heap for events beyond the ring
 * (512 ms ahead: link latencies are far shorter; ticks, a second ahead,
 * are few), and a bitmap of the buckets holding events, so that a sparse
 * run finds the next event without looking at every bucket. A bucket is a
 * plain array: pushing appends, and the bucket is sorted once (by
 * insertion: it holds a dozen events of a 1,000-node run; a flood wave's
 * thousand are spread by time slices first) when the clock reaches it,
 * then popped from its end. One
 * big heap cost a cache miss per level on every push and pop, and 1 ms
 * buckets as heaps (hundreds of events each) still spent a third of a
 * microsecond per event sifting.
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
  /** Order among events at the same time (see `EventQueue.push`). */
  seq = 0;
}

/**
 * Buckets per ms (a power of two), and buckets in the ring (a power of two:
 * 512 ms). Every bucket is an array the garbage collector visits: more
 * buckets than events in flight are a cost, not a help.
 */
const PER_MS = 64;
const RING = 512 * PER_MS;
/** Spare events kept for reuse: a cold start's peak of in-flight frames is not kept alive for the rest of the run. */
const SPARE = 1 << 16;
/** Buckets up to this many events are sorted by insertion alone. */
const SMALL = 32;

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

/** Whether event x runs after event y. */
function after(x: SimEvent, y: SimEvent): boolean {
  return x.t > y.t || (x.t === y.t && x.seq > y.seq);
}

/**
 * Puts `e`, taken from `arr[j]`, into its place among `arr[0..j)` (sorted
 * latest first), moving later-due events up: one step of insertion sort.
 */
function sink(arr: SimEvent[], j: number, e: SimEvent): void {
  for (; j > 0; j--) {
    const x = arr[j - 1] as SimEvent;
    if (after(x, e)) break;
    arr[j] = x;
  }
  arr[j] = e;
}

export class EventQueue {
  private readonly buckets: (SimEvent[] | undefined)[] = new Array(RING);
  /** Events at or beyond bucket `base + RING`. */
  private readonly far = new Heap();
  /** The current bucket (absolute number: time * PER_MS); no event is earlier. */
  private base = 0;
  /** The bucket sorted latest first (the current one, once looked at; -1: none). */
  private sorted = -1;
  /** Events in the buckets. */
  private inRing = 0;
  /** Bit i: bucket i of the ring holds events. */
  private readonly used = new Int32Array(RING >> 5);
  private readonly free: SimEvent[] = [];
  private seq = 0;
  /** Scratch for `spread`: each event's slice, events per slice, the events in their new order. */
  private slice = new Int32Array(0);
  private count = new Int32Array(0);
  private readonly spare: SimEvent[] = [];

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
    if (this.free.length < SPARE) this.free.push(e);
  }

  /**
   * Queues `e`. Events at the same time run in `seq` order: by default the
   * insertion order; the simulator passes keys of its own (unique, below
   * 2^53) that do not depend on how the nodes are split across workers.
   */
  push(e: SimEvent, seq = this.seq++): void {
    e.seq = seq;
    // an event earlier than the current bucket (the queue looked ahead past
    // empty buckets) sorts first in it: those before it are all empty
    const b = Math.max(this.base, Math.floor(e.t * PER_MS));
    if (b - this.base >= RING) this.far.push(e, e.t, seq);
    else this.put(b, e);
  }

  private put(b: number, e: SimEvent): void {
    const i = b & (RING - 1);
    let arr = this.buckets[i];
    if (arr === undefined) {
      arr = [];
      this.buckets[i] = arr;
    }
    arr.push(e);
    // the bucket being drained stays sorted (e is usually due soon: near the end)
    if (b === this.sorted) sink(arr, arr.length - 1, e);
    this.inRing++;
    this.used[i >> 5] = (this.used[i >> 5] as number) | (1 << (i & 31));
  }

  /** Takes the last event of the current bucket `arr` (sorted: the first due). */
  private take1(arr: SimEvent[]): SimEvent {
    this.inRing--;
    const e = arr.pop() as SimEvent;
    if (arr.length === 0) {
      const i = this.base & (RING - 1);
      this.used[i >> 5] = (this.used[i >> 5] as number) & ~(1 << (i & 31));
    }
    return e;
  }

  /** The current bucket, moved on to the first with an event and sorted (undefined: the queue is empty). */
  private current(): SimEvent[] | undefined {
    for (;;) {
      if (this.inRing === 0) {
        if (this.far.length === 0) return undefined;
        this.base = Math.max(this.base, Math.floor((this.far.t[0] as number) * PER_MS));
        this.pullFar();
      }
      const arr = this.buckets[this.base & (RING - 1)];
      if (arr !== undefined && arr.length > 0) {
        if (this.sorted !== this.base) {
          if (arr.length > SMALL) this.spread(arr);
          // insertion sort, latest first: a bucket holds a dozen or two
          // events, and a spread one is nearly in order
          for (let i = 1; i < arr.length; i++) sink(arr, i, arr[i] as SimEvent);
          this.sorted = this.base;
        }
        return arr;
      }
      this.base += this.gap();
      this.pullFar();
    }
  }

  /**
   * Orders a big bucket by finer slices of its time (latest slice first),
   * leaving insertion sort a few steps per event. Flood waves (a cold
   * start, a failover) put a thousand events of a 1,000-node run in one
   * bucket, where insertion sort's n^2/4 steps were a quarter of the run
   * and Array.sort's calls to a comparator a tenth.
   */
  private spread(arr: SimEvent[]): void {
    const n = arr.length;
    // about four events per slice
    const slices = 1 << (32 - Math.clz32(n >> 2));
    if (this.slice.length < n) this.slice = new Int32Array(2 * n);
    if (this.count.length < slices + 1) this.count = new Int32Array(2 * slices + 1);
    const slice = this.slice;
    const count = this.count;
    count.fill(0, 0, slices + 1);
    const scale = PER_MS * slices;
    const start = this.base * slices;
    for (let i = 0; i < n; i++) {
      // latest slice first; an event earlier than the bucket (see push) goes last
      const s = Math.min(slices - 1, Math.max(0, Math.floor((arr[i] as SimEvent).t * scale) - start));
      const k = slices - 1 - s;
      slice[i] = k;
      count[k + 1] = (count[k + 1] as number) + 1;
    }
    for (let k = 1; k <= slices; k++) count[k] = (count[k] as number) + (count[k - 1] as number);
    const out = this.spare;
    out.length = n;
    for (let i = 0; i < n; i++) {
      const k = slice[i] as number;
      const at = count[k] as number;
      count[k] = at + 1;
      out[at] = arr[i] as SimEvent;
    }
    for (let i = 0; i < n; i++) arr[i] = out[i] as SimEvent;
    out.length = 0;
  }

  /** Buckets from the current one (empty) to the next that holds events (some bucket does). */
  private gap(): number {
    const used = this.used;
    const start = this.base & (RING - 1);
    let w = start >> 5;
    // the bits of the current word from the current bucket on
    let bits = (used[w] as number) & (-1 << (start & 31));
    let skipped = -(start & 31);
    while (bits === 0) {
      skipped += 32;
      w = (w + 1) & ((RING >> 5) - 1);
      bits = used[w] as number;
    }
    return skipped + (31 - Math.clz32(bits & -bits));
  }

  /** Moves events from `far` whose bucket entered the ring. */
  private pullFar(): void {
    const far = this.far;
    const end = this.base + RING;
    while (far.length > 0 && Math.floor((far.t[0] as number) * PER_MS) < end) {
      const t = far.t[0] as number;
      const e = far.pop() as SimEvent;
      this.put(Math.max(this.base, Math.floor(t * PER_MS)), e);
    }
  }

  peekTime(): number {
    const arr = this.current();
    return arr ? (arr[arr.length - 1] as SimEvent).t : Number.POSITIVE_INFINITY;
  }

  pop(): SimEvent | undefined {
    const arr = this.current();
    return arr ? this.take1(arr) : undefined;
  }

  /** `pop`, if the first event is due by `until` (one look for the bucket instead of peekTime's and pop's). */
  popDue(until: number): SimEvent | undefined {
    const arr = this.current();
    if (!arr || (arr[arr.length - 1] as SimEvent).t > until) return undefined;
    return this.take1(arr);
  }

  /** `pop`, if the first event is earlier than `end` (a window that ends before `end`). */
  popBefore(end: number): SimEvent | undefined {
    const arr = this.current();
    if (!arr || (arr[arr.length - 1] as SimEvent).t >= end) return undefined;
    return this.take1(arr);
  }
}
