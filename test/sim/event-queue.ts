/** A binary min-heap of simulator events by (time, insertion order). */
export interface SimEvent {
  t: number;
  seq: number;
  run(): void;
}

export class EventQueue {
  private readonly heap: SimEvent[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(t: number, run: () => void): void {
    const h = this.heap;
    const e: SimEvent = { t, seq: this.seq++, run };
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
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const le = h[l] as SimEvent;
      const re = h[r];
      const c = re && (re.t < le.t || (re.t === le.t && re.seq < le.seq)) ? r : l;
      const ce = h[c] as SimEvent;
      if (last.t < ce.t || (last.t === ce.t && last.seq < ce.seq)) break;
      h[i] = ce;
      i = c;
    }
    h[i] = last;
    return top;
  }
}
