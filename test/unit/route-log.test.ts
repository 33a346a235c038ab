/** Route events in the log: itemised up to a few per window, then summarised per link; all at debug. */
import { expect, test } from "bun:test";
import { Logger } from "../../src/node/log.ts";
import { RouteLog } from "../../src/node/route-log.ts";

function setup(level: "info" | "debug") {
  let now = 1_000_000;
  const lines: string[] = [];
  const timers: { at: number; fn: () => void }[] = [];
  const log = new Logger({
    level,
    sink: { write: (l) => lines.push(l.trim().replace(/^\S+ \S+\s+/, "")) },
    clock: () => now,
  });
  const rl = new RouteLog(
    log,
    () => now,
    (ms, fn) => timers.push({ at: now + ms, fn }),
    { windowMs: 10_000, itemised: 3 },
  );
  const advance = (ms: number) => {
    now += ms;
    for (const t of timers.splice(0).sort((a, b) => a.at - b.at)) {
      if (t.at <= now) t.fn();
      else timers.push(t);
    }
  };
  return { rl, lines, advance };
}

test("312 routes from one link: 3 itemised, the rest in one summary when the window ends", () => {
  const { rl, lines, advance } = setup("info");
  for (let i = 0; i < 312; i++) rl.event("added", `route added: n-${i} via link 4`, "via link 4 (10.0.0.2:4040)");
  rl.event("removed", "route removed: old (no flood for 3 minutes)", "(no flood for 3 minutes)");
  expect(lines).toEqual(["route added: n-0 via link 4", "route added: n-1 via link 4", "route added: n-2 via link 4"]);
  advance(10_000);
  expect(lines.slice(3)).toEqual([
    "309 more routes added via link 4 (10.0.0.2:4040) in the last 10 s (log_level debug lists each)",
    "1 more route removed (no flood for 3 minutes) in the last 10 s (log_level debug lists each)",
  ]);
  // a quiet window later: itemised again
  advance(5_000);
  rl.event("added", "route added: late via link 5", "via link 5");
  expect(lines.at(-1)).toBe("route added: late via link 5");
});

test("at debug level every route is itemised", () => {
  const { rl, lines, advance } = setup("debug");
  for (let i = 0; i < 50; i++) rl.event("added", `route added: n-${i}`, "via link 1");
  advance(20_000);
  expect(lines.length).toBe(50);
});
