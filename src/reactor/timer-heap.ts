/**
 * A binary min-heap of timers keyed by (due time, insertion order), so
 * timers due at the same moment fire in the order they were set. Cancelled
 * timers are removed at once, not left to rot until due.
 */
export interface Timer {
  readonly at: number;
  cancel(): void;
}

class Entry implements Timer {
  index = -1;
  constructor(
    readonly at: number,
    readonly seq: number,
    readonly fn: () => void,
    private readonly heap: TimerHeap,
  ) {}

  cancel(): void {
    if (this.index >= 0) this.heap.remove(this);
  }
}

export class TimerHeap {
  private readonly items: Entry[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  add(at: number, fn: () => void): Timer {
    const e = new Entry(at, this.seq++, fn, this);
    e.index = this.items.length;
    this.items.push(e);
    this.up(e.index);
    return e;
  }

  /** Due time of the earliest timer, or undefined. */
  peek(): number | undefined {
    return this.items[0]?.at;
  }

  /** Removes and returns the callback of the earliest timer due at or before `now`. */
  popDue(now: number): (() => void) | undefined {
    const top = this.items[0];
    if (!top || top.at > now) return undefined;
    this.remove(top);
    return top.fn;
  }

  remove(e: Entry): void {
    const i = e.index;
    const last = this.items.pop() as Entry;
    e.index = -1;
    if (last === e) return;
    this.items[i] = last;
    last.index = i;
    this.down(i);
    this.up(last.index);
  }

  private less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const a = this.items[i] as Entry;
    const b = this.items[j] as Entry;
    this.items[i] = b;
    this.items[j] = a;
    a.index = j;
    b.index = i;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.items[i] as Entry, this.items[parent] as Entry)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.items.length && this.less(this.items[l] as Entry, this.items[m] as Entry)) m = l;
      if (r < this.items.length && this.less(this.items[r] as Entry, this.items[m] as Entry)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
