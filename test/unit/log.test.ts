/**
 * The log's rate limit (README "Logs"): the same warning from one peer is
 * printed at most once a minute, and the next line says how many were held
 * back. Driven by a hand-set clock.
 */
import { expect, test } from "bun:test";
import { Logger } from "../../src/node/log.ts";

function logger() {
  let clock = Date.parse("2026-12-05T10:00:00Z");
  const lines: string[] = [];
  const log = new Logger({ sink: { write: (l) => lines.push(l) }, colour: false, clock: () => clock });
  return { log, lines, advance: (ms: number) => (clock += ms) };
}

test("a repeated warning is printed once a minute, then with the count held back", () => {
  const { log, lines, advance } = logger();
  for (let i = 0; i < 5; i++) {
    log.limit("wrong-key 10.0.0.9", "warn", "link from 10.0.0.9:5000 refused: wrong key");
    advance(10_000); // five tries, 10 s apart: 0 to 40 s
  }
  expect(lines).toEqual(["2026-12-05T10:00:00.000Z WARN  link from 10.0.0.9:5000 refused: wrong key\n"]);
  advance(9_999); // 59.999 s after the first line
  log.limit("wrong-key 10.0.0.9", "warn", "link from 10.0.0.9:5000 refused: wrong key");
  expect(lines).toHaveLength(1);
  advance(1); // a minute after the first line
  log.limit("wrong-key 10.0.0.9", "warn", "link from 10.0.0.9:5000 refused: wrong key");
  expect(lines).toHaveLength(2);
  expect(lines[1]).toBe(
    "2026-12-05T10:01:00.000Z WARN  link from 10.0.0.9:5000 refused: wrong key (5 similar messages suppressed)\n",
  );
  // after a quiet minute the next one is printed with no count
  advance(60_000);
  log.limit("wrong-key 10.0.0.9", "warn", "link from 10.0.0.9:5000 refused: wrong key");
  expect(lines[2]).toBe("2026-12-05T10:02:00.000Z WARN  link from 10.0.0.9:5000 refused: wrong key\n");
});

test("each key has its own minute: another peer's warning is printed at once", () => {
  const { log, lines } = logger();
  log.limit("wrong-key 10.0.0.9", "warn", "from 10.0.0.9: wrong key");
  log.limit("wrong-key 10.0.0.10", "warn", "from 10.0.0.10: wrong key");
  log.limit("wrong-key 10.0.0.9", "warn", "from 10.0.0.9: wrong key");
  expect(lines.map((l) => l.slice(31))).toEqual(["from 10.0.0.9: wrong key\n", "from 10.0.0.10: wrong key\n"]);
});

test("a level that is off neither prints nor counts", () => {
  const { log, lines, advance } = logger();
  log.level = "error";
  log.limit("k", "warn", "hidden");
  log.level = "warn";
  advance(1000);
  log.limit("k", "warn", "shown");
  expect(lines.map((l) => l.slice(31))).toEqual(["shown\n"]);
});
