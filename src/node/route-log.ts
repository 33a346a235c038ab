/**
 * Route additions and removals in the log, in a form that scales: at info
 * level the first few of each 10 s window are itemised and the rest are
 * counted per link, then summarised when the window ends ("312 routes
 * added via link 4 in the last 10 s"); at debug level every one is
 * itemised. A node joining a big mesh, or a peer announcing thousands of
 * names, costs a few lines instead of one per route.
 */
import type { Logger } from "./log.ts";

export interface RouteLogOptions {
  windowMs: number;
  /** Events itemised at info level per window; the rest are counted. */
  itemised: number;
}

export const DEFAULT_ROUTE_LOG: RouteLogOptions = { windowMs: 10_000, itemised: 20 };

type Kind = "added" | "removed";

export class RouteLog {
  private windowEnd = 0;
  private shown = 0;
  /** Held-back counts for this window: "added|via link 4 (10.0.0.2:4040)" -> n. */
  private held = new Map<string, number>();
  private flushArmed = false;

  constructor(
    private readonly log: Logger,
    private readonly clock: () => number,
    /** Runs `fn` after `ms` (the node's reactor timer). */
    private readonly after: (ms: number, fn: () => void) => void,
    private readonly opts: RouteLogOptions = DEFAULT_ROUTE_LOG,
  ) {}

  /**
   * One route event: `line` is its itemised text, `group` what it is
   * counted under ("via link 4 (10.0.0.2:4040)", "no flood for 3 minutes").
   */
  event(kind: Kind, line: string, group: string): void {
    if (this.log.enabled("debug")) {
      this.log.info(line);
      return;
    }
    if (!this.log.enabled("info")) return;
    const now = this.clock();
    if (now >= this.windowEnd) {
      this.flush();
      this.windowEnd = now + this.opts.windowMs;
      this.shown = 0;
    }
    if (this.shown < this.opts.itemised) {
      this.shown++;
      this.log.info(line);
      return;
    }
    const key = `${kind}|${group}`;
    this.held.set(key, (this.held.get(key) ?? 0) + 1);
    if (!this.flushArmed) {
      this.flushArmed = true;
      this.after(Math.max(0, this.windowEnd - now), () => {
        this.flushArmed = false;
        this.flush();
      });
    }
  }

  /** Prints what the window held back. */
  flush(): void {
    if (this.held.size === 0) return;
    const secs = Math.round(this.opts.windowMs / 1000);
    for (const [key, n] of this.held) {
      const [kind, group] = key.split("|") as [Kind, string];
      this.log.info(
        `${n} more route${n === 1 ? "" : "s"} ${kind} ${group} in the last ${secs} s (log_level debug lists each)`,
      );
    }
    this.held = new Map();
  }
}
