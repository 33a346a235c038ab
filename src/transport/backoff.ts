/**
 * How long a connector waits before its next attempt. The first retry
 * comes about 250 ms after a failure, so two nodes started at the same
 * moment link as soon as the listener is up; each further failure doubles
 * the wait (with jitter, so a crowd of connectors does not retry in step)
 * up to smolmesh2's 5-10 s, where it stays. A link that stayed up for
 * `stableMs` resets it. Sans-I/O: the caller supplies the random draws.
 */
export interface BackoffOptions {
  /** The wait after the first failure (ms), on average. */
  firstMs: number;
  /** Waits reaching this are drawn from [capMs, capMs + capSpreadMs) instead, as smolmesh2's. */
  capMs: number;
  capSpreadMs: number;
  /** A link that stayed up this long resets the backoff (ms). */
  stableMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { firstMs: 250, capMs: 5000, capSpreadMs: 5000, stableMs: 10_000 };

export class Backoff {
  /** Failures since the last reset. */
  failures = 0;

  constructor(
    private readonly random: () => number,
    readonly opts: BackoffOptions = DEFAULT_BACKOFF,
  ) {}

  /** One more failure: the wait before the next attempt (ms). */
  next(): number {
    const base = this.opts.firstMs * 2 ** Math.min(this.failures, 30);
    this.failures++;
    if (base >= this.opts.capMs) return this.opts.capMs + this.random() * this.opts.capSpreadMs;
    return base * (0.75 + 0.5 * this.random());
  }

  /** A link made by this connector closed after being up `upMs`: a stable one starts the count over. */
  linkEnded(upMs: number): void {
    if (upMs >= this.opts.stableMs) this.failures = 0;
  }
}
