/**
 * How the parts of a parallel simulation (sim.ts, one per worker) swap the
 * frames that cross between them, in shared memory.
 *
 * Time advances in windows no longer than the shortest link latency, so a
 * frame sent during a window always arrives after it ends. At the end of a
 * window every part publishes the time of its next event (and of the
 * earliest frame it sent out), then waits at a barrier; then each reads the
 * frames sent to it. Every part sees the same published times, so all of
 * them agree on where the next window starts.
 *
 * Each ordered pair of parts has two boxes, used in alternate windows: a
 * part writes window k+1's frames while a slower one may still be reading
 * window k's, but never window k-1's (that one passed the barrier since).
 */

/** Receives one frame from a box: when it arrives, its key, hash, link and direction, and where its bytes are. */
export type Take = (
  t: number,
  key: number,
  hash: number,
  linkDir: number,
  buf: Uint8Array,
  off: number,
  len: number,
) => void;

/** Frames one part sends another within one window, as records in a byte buffer. */
export class Box {
  private readonly f64: Float64Array;
  private readonly u32: Uint32Array;
  private readonly u8: Uint8Array;

  constructor(readonly buffer: SharedArrayBuffer | ArrayBuffer) {
    this.f64 = new Float64Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.u8 = new Uint8Array(buffer);
    this.clear();
  }

  /** Byte offset of the end of the records (records start at 8). */
  get used(): number {
    return this.u32[0] as number;
  }

  clear(): void {
    this.u32[0] = 8;
  }

  /**
   * One frame: when it arrives, its ordering key (see `Simulation.key`), its
   * hash (NaN: not known), the link and direction (link id * 2, + 1 toward
   * the link's b end), and the bytes.
   */
  write(t: number, key: number, hash: number, linkDir: number, bytes: Uint8Array): void {
    const o = this.u32[0] as number;
    const next = o + 32 + ((bytes.length + 7) & ~7);
    if (next > this.u8.length) {
      const size = this.u8.length >= 1 << 20 ? `${this.u8.length >> 20} MiB` : `${this.u8.length}-byte`;
      throw new Error(
        `sim: more frames crossed between two workers in one window than their ${size} buffer holds; run with fewer --workers`,
      );
    }
    const w = o >> 3;
    this.f64[w] = t;
    this.f64[w + 1] = key;
    this.f64[w + 2] = hash;
    this.u32[(o + 24) >> 2] = linkDir;
    this.u32[(o + 28) >> 2] = bytes.length;
    this.u8.set(bytes, o + 32);
    this.u32[0] = next;
  }

  /** Calls `take` for every record; its bytes are `buf[off, off+len)`, to be copied if kept (the box is reused). */
  read(take: Take): void {
    const end = this.u32[0] as number;
    for (let o = 8; o < end; ) {
      const w = o >> 3;
      const len = this.u32[(o + 28) >> 2] as number;
      take(
        this.f64[w] as number,
        this.f64[w + 1] as number,
        this.f64[w + 2] as number,
        this.u32[(o + 24) >> 2] as number,
        this.u8,
        o + 32,
        len,
      );
      o += 32 + ((len + 7) & ~7);
    }
  }
}

/** The shared memory of one parallel run, made by the main thread and passed to every worker. */
export interface ExchangeSetup {
  parts: number;
  /** Barrier: [arrived, generation, failed]. */
  ctl: SharedArrayBuffer;
  /** Per window parity and part: the time of its next event. */
  meta: SharedArrayBuffer;
  /** boxes[(parity * parts + from) * parts + to] (from === to: unused, empty). */
  boxes: SharedArrayBuffer[];
}

const ARRIVED = 0;
const GEN = 1;
const FAILED = 2;

export function exchangeSetup(parts: number, boxBytes = 64 << 20): ExchangeSetup {
  const boxes: SharedArrayBuffer[] = [];
  for (let i = 0; i < 2 * parts * parts; i++) {
    const from = Math.floor(i / parts) % parts;
    const to = i % parts;
    const b = new SharedArrayBuffer(from === to ? 8 : boxBytes);
    new Box(b); // records start after the header
    boxes.push(b);
  }
  return { parts, ctl: new SharedArrayBuffer(16), meta: new SharedArrayBuffer(2 * parts * 8), boxes };
}

/** One part's end of the exchange. */
export class Exchange {
  readonly parts: number;
  private readonly ctl: Int32Array;
  private readonly meta: Float64Array;
  private readonly boxes: Box[];
  private parity = 0;

  constructor(
    setup: ExchangeSetup,
    readonly part: number,
  ) {
    this.parts = setup.parts;
    this.ctl = new Int32Array(setup.ctl);
    this.meta = new Float64Array(setup.meta);
    this.boxes = setup.boxes.map((b) => new Box(b));
  }

  /** Where this window's frames for part `to` go. */
  out(to: number): Box {
    return this.boxes[(this.parity * this.parts + this.part) * this.parts + to] as Box;
  }

  /**
   * Ends a window: publishes this part's next event time, waits for every
   * part, hands each frame sent to this part to `take`, and returns the
   * earliest next event of all parts.
   */
  sync(next: number, take: Take): number {
    const { parts, part, meta } = this;
    const m = this.parity * parts;
    meta[m + part] = next;
    this.barrier();
    let min = Number.POSITIVE_INFINITY;
    for (let p = 0; p < parts; p++) {
      min = Math.min(min, meta[m + p] as number);
      if (p !== part) (this.boxes[(m + p) * parts + part] as Box).read(take);
    }
    // the other parity's boxes were read by everyone before this barrier
    this.parity ^= 1;
    for (let to = 0; to < parts; to++) this.out(to).clear();
    return min;
  }

  /** Tells the other parts this one failed: they stop waiting and fail too instead of hanging. */
  fail(): void {
    Atomics.store(this.ctl, FAILED, 1);
    Atomics.add(this.ctl, GEN, 1);
    Atomics.notify(this.ctl, GEN);
  }

  /** Windows ended, and wall time spent waiting for the other parts at their ends. */
  windows = 0;
  waitedMs = 0;

  private barrier(): void {
    const t0 = performance.now();
    this.windows++;
    const ctl = this.ctl;
    const gen = Atomics.load(ctl, GEN);
    if (Atomics.load(ctl, FAILED)) throw new Error("sim: another worker failed");
    if (Atomics.add(ctl, ARRIVED, 1) === this.parts - 1) {
      Atomics.store(ctl, ARRIVED, 0);
      Atomics.add(ctl, GEN, 1);
      Atomics.notify(ctl, GEN);
    } else {
      // Parts end a window (a few ms of work) within a ms or two of each
      // other: spin on our own core for up to 15 ms before sleeping. Sleeping
      // after ~0.1 ms (2,000 spins: an Atomics.load costs ~60 ns here) paid a
      // futex wake-up per window; spinning was 1-17% faster in four paired
      // 1,000-node runs. Longer waits (the scenario between commands) sleep.
      const until = t0 + 15;
      for (let spins = 1; Atomics.load(ctl, GEN) === gen && !Atomics.load(ctl, FAILED); spins++) {
        if ((spins & 255) === 0 && performance.now() > until) Atomics.wait(ctl, GEN, gen, 100);
      }
    }
    this.waitedMs += performance.now() - t0;
    if (Atomics.load(ctl, FAILED)) throw new Error("sim: another worker failed");
  }
}
