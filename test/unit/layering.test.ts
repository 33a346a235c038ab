/**
 * The sans-I/O rule of DESIGN.md, checked on the source: protocol folders
 * never import FFI, the platform layer or the reactor, and never read a
 * clock or a random source (they take `now` and bytes as inputs).
 */
import { expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

const SRC = join(import.meta.dir, "..", "..", "src");
const PURE = ["mesh", "crypto", "config", "transport/codec"];
const FORBIDDEN_IMPORTS = [
  /from\s+["']bun:ffi["']/,
  /from\s+["'][./]*\/(platform|reactor)\//,
  /from\s+["']node:(net|dgram)["']/,
];
const FORBIDDEN_CALLS = [
  /\bDate\.now\(/,
  /\bnew Date\(\)/,
  /\bperformance\.now\(/,
  /\bMath\.random\(/,
  /getRandomValues\(/,
];

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => join(e.parentPath, e.name));
}

test("protocol code does no I/O and reads no clock or random source", () => {
  const checked = PURE.flatMap((d) => files(join(SRC, d)));
  expect(checked.length).toBeGreaterThan(0);
  const offences: string[] = [];
  for (const f of checked) {
    const text = readFileSync(f, "utf8");
    for (const re of [...FORBIDDEN_IMPORTS, ...FORBIDDEN_CALLS]) {
      if (re.test(text)) offences.push(`${relative(SRC, f)}: ${re}`);
    }
  }
  expect(offences).toEqual([]);
});

test("FFI types stay inside platform/ and reactor/", () => {
  const offences = files(SRC)
    .filter((f) => !/\/(platform|reactor)\//.test(f))
    .filter((f) => /from\s+["']bun:ffi["']/.test(readFileSync(f, "utf8")))
    .map((f) => relative(SRC, f));
  expect(offences).toEqual([]);
});
