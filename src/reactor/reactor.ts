/**
 * The event loop every node runs on: file descriptors with read/write
 * interest, a timer heap, and one OS wait per turn (poll(2) on Linux).
 *
 * It shares the thread with Bun's own loop. Each turn drains promise
 * jobs; when the runtime's loop has work (its fds are readable: a signal,
 * a finished DNS look-up) or `maxBlockMs` has passed, it yields a whole
 * macrotask to Bun. When idle it sleeps in the OS wait until the next
 * timer, so a quiet node uses no CPU. Node code sets timers here, not
 * with setTimeout, whose firing this loop cannot see.
 *
 * A handler may add or remove any registration, its own included; readiness
 * gathered before that change is not delivered to a registration that has
 * since been removed or replaced (tinc's generation rule).
 */
import { ERROR, EVENT, type PollBackend, READ, WRITE } from "./backend.ts";
import { type Timer, TimerHeap } from "./timer-heap.ts";

export type { Timer };
export { ERROR, EVENT, READ, WRITE };

/** Called with the READ/WRITE/ERROR bits that are ready. */
export type IoHandler = (ready: number) => void;

export interface Registration {
  readonly fd: number;
  /** Changes what the handler is woken for (READ | WRITE, or 0 for errors only). */
  setInterest(interest: number): void;
  /** Stops watching the fd. The caller still owns (and closes) it. */
  remove(): void;
}

class Reg implements Registration {
  active = true;
  constructor(
    readonly fd: number,
    public interest: number,
    readonly handler: IoHandler,
    private readonly reactor: Reactor,
  ) {}

  setInterest(interest: number): void {
    if (this.active && interest !== this.interest) {
      this.interest = interest;
      this.reactor.markChanged();
    }
  }

  remove(): void {
    if (this.active) {
      this.active = false;
      this.reactor.unregister(this);
    }
  }
}

export interface ReactorOptions {
  /** Longest single OS wait, so runtime timers and promise work still run (ms). */
  maxBlockMs?: number;
  /** Called with an exception a handler or timer threw; the loop carries on. */
  onError?: (err: unknown) => void;
}

export class Reactor {
  private readonly regs = new Map<number, Reg>();
  private readonly timers = new TimerHeap();
  private fds = new Int32Array(64);
  private interest = new Uint8Array(64);
  private ready = new Uint8Array(64);
  private slots: (Reg | undefined)[] = [];
  private count = 0;
  private changed = true;
  private stopping = false;
  private running = false;
  private lastYield = 0;
  private readonly maxBlockMs: number;
  private readonly onError: (err: unknown) => void;
  private readonly runtimeFds: number[];
  private soonList: (() => void)[] = [];
  /** Turns taken; for tests and status. */
  turns = 0;

  constructor(
    private readonly backend: PollBackend,
    opts: ReactorOptions = {},
  ) {
    this.maxBlockMs = opts.maxBlockMs ?? (backend.runtimeFds().length ? 1000 : 50);
    this.onError = opts.onError ?? ((e) => console.error("reactor: handler failed:", e));
    this.runtimeFds = backend.runtimeFds();
  }

  /** Monotonic milliseconds. */
  now(): number {
    return performance.now();
  }

  add(fd: number, interest: number, handler: IoHandler): Registration {
    if (this.regs.has(fd)) throw new Error(`fd ${fd} is already registered`);
    const reg = new Reg(fd, interest, handler, this);
    this.regs.set(fd, reg);
    this.changed = true;
    return reg;
  }

  /** Runs `fn` once after `delayMs`. */
  after(delayMs: number, fn: () => void): Timer {
    return this.timers.add(this.now() + Math.max(0, delayMs), fn);
  }

  /** Runs `fn` every `periodMs` (or every `period()` ms, drawn anew each time) until cancelled. */
  every(period: number | (() => number), fn: () => void): Timer {
    const next = () => (typeof period === "number" ? period : period());
    let current: Timer;
    const tick = () => {
      current = this.after(next(), tick);
      fn();
    };
    current = this.after(next(), tick);
    return { at: current.at, cancel: () => current.cancel() };
  }

  /**
   * Runs `fn` at the end of this turn, after every handler and timer that
   * is ready now. Links use it to coalesce all frames queued in one turn
   * into one write per socket.
   */
  soon(fn: () => void): void {
    this.soonList.push(fn);
  }

  private runSoon(): void {
    while (this.soonList.length) {
      const list = this.soonList;
      this.soonList = [];
      for (const fn of list) {
        try {
          fn();
        } catch (e) {
          this.onError(e);
        }
      }
    }
  }

  get registrations(): number {
    return this.regs.size;
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  markChanged(): void {
    this.changed = true;
  }

  unregister(reg: Reg): void {
    if (this.regs.get(reg.fd) === reg) this.regs.delete(reg.fd);
    this.changed = true;
  }

  /** Ends `run()` after the current turn. */
  stop(): void {
    this.stopping = true;
  }

  get isRunning(): boolean {
    return this.running;
  }

  private rebuild(): void {
    const n = this.regs.size + this.runtimeFds.length;
    if (n > this.fds.length) {
      const cap = Math.max(n, this.fds.length * 2);
      this.fds = new Int32Array(cap);
      this.interest = new Uint8Array(cap);
      this.ready = new Uint8Array(cap);
    }
    this.slots.length = 0;
    let i = 0;
    for (const fd of this.runtimeFds) {
      this.fds[i] = fd;
      this.interest[i] = READ;
      this.slots.push(undefined);
      i++;
    }
    for (const reg of this.regs.values()) {
      this.fds[i] = reg.fd;
      this.interest[i] = reg.interest;
      this.slots.push(reg);
      i++;
    }
    this.count = i;
  }

  private runTimers(): void {
    const now = this.now();
    for (let fn = this.timers.popDue(now); fn; fn = this.timers.popDue(now)) {
      try {
        fn();
      } catch (e) {
        this.onError(e);
      }
      if (this.stopping) return;
    }
  }

  private timeout(): number {
    if (this.soonList.length) return 0;
    const next = this.timers.peek();
    const wait = next === undefined ? this.maxBlockMs : Math.ceil(next - this.now());
    return Math.max(0, Math.min(wait, this.maxBlockMs));
  }

  /** Runs until `stop()`. */
  async run(): Promise<void> {
    if (this.running) throw new Error("reactor is already running");
    this.running = true;
    this.stopping = false;
    try {
      while (!this.stopping) {
        this.runTimers();
        this.runSoon();
        if (this.stopping) break;
        if (this.changed) this.rebuild();
        const changed = this.changed;
        this.changed = false;
        const n = this.backend.wait(this.fds, this.interest, this.ready, this.count, this.timeout(), changed);
        this.turns++;
        let runtimeWork = false;
        if (n > 0) runtimeWork = this.dispatch();
        this.runSoon();
        const now = this.now();
        if (runtimeWork || n === 0 || now - this.lastYield >= this.maxBlockMs) {
          this.lastYield = now;
          await new Promise<void>((resolve) => setImmediate(resolve));
        } else {
          await undefined; // promise jobs only
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** Delivers readiness; returns whether the runtime's own loop has work. */
  private dispatch(): boolean {
    let runtimeWork = false;
    for (let i = 0; i < this.count; i++) {
      const r = this.ready[i] as number;
      if (r === 0) continue;
      const reg = this.slots[i];
      if (reg === undefined) {
        runtimeWork = true;
        continue;
      }
      if (!reg.active) continue;
      const bits = r & (reg.interest | ERROR);
      if (bits === 0) continue;
      try {
        reg.handler(bits);
      } catch (e) {
        this.onError(e);
      }
      if (this.stopping) break;
    }
    return runtimeWork;
  }
}
