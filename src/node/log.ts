/**
 * One line per event: time, level, message. Levels filter; repeated
 * warnings with the same key (say, one peer failing the same way every few
 * seconds) are rate-limited, with the number suppressed reported when the
 * key speaks again. Colour only on a terminal.
 */
export type Level = "error" | "warn" | "info" | "debug";
const RANK: Record<Level, number> = { error: 0, warn: 1, info: 2, debug: 3 };
const COLOUR: Record<Level, string> = { error: "31", warn: "33", info: "32", debug: "90" };

export interface LogSink {
  write(line: string): void;
}

const stderrSink: LogSink = { write: (l) => process.stderr.write(l) };

export class Logger {
  level: Level;
  private readonly sink: LogSink;
  private readonly colour: boolean;
  private readonly clock: () => number;
  private readonly limited = new Map<string, { until: number; suppressed: number }>();

  constructor(opts: { level?: Level; sink?: LogSink; colour?: boolean; clock?: () => number } = {}) {
    this.level = opts.level ?? "info";
    this.sink = opts.sink ?? stderrSink;
    this.colour = opts.colour ?? (Boolean(process.stderr.isTTY) && !process.env.NO_COLOR);
    this.clock = opts.clock ?? Date.now;
  }

  enabled(level: Level): boolean {
    return RANK[level] <= RANK[this.level];
  }

  log(level: Level, msg: string): void {
    if (!this.enabled(level)) return;
    const time = new Date(this.clock()).toISOString();
    const tag = level.toUpperCase().padEnd(5);
    const shownTag = this.colour ? `\x1b[${COLOUR[level]}m${tag}\x1b[0m` : tag;
    this.sink.write(`${time} ${shownTag} ${msg}\n`);
  }

  error(msg: string): void {
    this.log("error", msg);
  }
  warn(msg: string): void {
    this.log("warn", msg);
  }
  info(msg: string): void {
    this.log("info", msg);
  }
  debug(msg: string): void {
    this.log("debug", msg);
  }

  /**
   * Logs at most once per `everyMs` for `key`; later lines say how many were
   * held back. `msg` may be a function, called only when the line is printed
   * (a warning hit thousands of times a second builds its text once a minute).
   */
  limit(key: string, level: Level, msg: string | (() => string), everyMs = 60_000): void {
    if (!this.enabled(level)) return;
    const now = this.clock();
    const state = this.limited.get(key);
    if (state && now < state.until) {
      state.suppressed++;
      return;
    }
    const extra = state?.suppressed ? ` (${state.suppressed} similar messages suppressed)` : "";
    if (this.limited.size > 10_000) this.limited.clear();
    this.limited.set(key, { until: now + everyMs, suppressed: 0 });
    this.log(level, (typeof msg === "string" ? msg : msg()) + extra);
  }
}
