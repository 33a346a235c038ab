/**
 * The simulator's event queue: a binary min-heap by (time, insertion
 * order). Events are plain records drawn from a free list, not closures:
 * a 1,000-node run handles tens of millions of them.
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

export class EventQueue {
  private readonly heap: SimEvent[] = [];
  private readonly free: SimEvent[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
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
    const h = this.heap;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = h[p] as SimEvent;
      if (pe.t < e.t || (pe.t === e.t && pe.seq < e.seq)) break;
      h[i] = pe;
      i = p;
    }
    h[i] = e;
  }

  peekTime(): number {
    return this.heap[0]?.t ?? Number.POSITIVE_INFINITY;
  }

  pop(): SimEvent | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (!top || !last || h.length === 0) return top;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const le = h[l] as SimEvent;
      let c = l;
      let ce = le;
      if (r < n) {
        const re = h[r] as SimEvent;
        if (re.t < le.t || (re.t === le.t && re.seq < le.seq)) {
          c = r;
          ce = re;
        }
      }
      if (last.t < ce.t || (last.t === ce.t && last.seq < ce.seq)) break;
      h[i] = ce;
      i = c;
    }
    h[i] = last;
    return top;
  }
}
