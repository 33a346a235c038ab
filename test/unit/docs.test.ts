/**
 * The documents keep their promises: every relative link and #anchor in
 * README.md, docs/*.md and CHANGELOG.md resolves to a file or heading that
 * exists; README.md stays short (depth belongs in docs/); no passage dates
 * or attributes a finding by how the work was organised; and
 * `smolmesh --version` is the newest release in CHANGELOG.md.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type CliIo, runCli, VERSION } from "../../src/cli/app.ts";
import { ROOT } from "../helpers/binary.ts";
import { anchorsOf, checkLinks, diaryPassages, linksOf } from "../helpers/doc-check.ts";

const DOCS = readdirSync(join(ROOT, "docs"))
  .filter((f) => f.endsWith(".md"))
  .sort()
  .map((f) => `docs/${f}`);
const LINKED = ["README.md", ...DOCS, "CHANGELOG.md"];
const README_MAX_LINES = 300;

const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

describe("the link checker itself", () => {
  test("finds links in text and tables, not in code; anchors as GitHub makes them", () => {
    const md = [
      "# Running `smolmesh status`",
      "## Config: accept_ipv4 & more",
      "## Config: accept_ipv4 & more",
      "See [a](a.md#x), `[b](code.md)` and",
      "",
      "    [c](indented.md)",
      "",
      "| x |",
      "| - |",
      "| [d](d.md) |",
    ].join("\n");
    expect(linksOf(md)).toEqual(["a.md#x", "d.md"]);
    expect([...anchorsOf(md)]).toEqual([
      "running-smolmesh-status",
      "config-accept_ipv4--more",
      "config-accept_ipv4--more-1",
    ]);
  });

  test("reports a missing file and a missing heading", () => {
    const report = checkLinks(ROOT, ["test/fixtures/broken-links.md"]);
    expect(report.broken).toEqual([
      "test/fixtures/broken-links.md: ../../docs/no-such-file.md: no file docs/no-such-file.md",
      "test/fixtures/broken-links.md: ../../README.md#no-such-heading: no heading with anchor #no-such-heading in README.md",
      "test/fixtures/broken-links.md: #nor-this-one: no heading with anchor #nor-this-one in test/fixtures/broken-links.md",
    ]);
    expect(report.checked).toBe(4);
  });
});

describe("README.md and docs/", () => {
  test("every relative link and anchor resolves", () => {
    const report = checkLinks(ROOT, LINKED);
    expect(report.broken).toEqual([]);
    // a parser that found nothing would pass the line above
    expect(report.checked).toBeGreaterThan(50);
  });

  test("docs/ holds one file per subject, each linked from the README", () => {
    for (const doc of ["operations", "security", "protocol", "link-protocol", "performance", "simulator", "windows"]) {
      expect(DOCS).toContain(`docs/${doc}.md`);
    }
    const fromReadme = new Set(linksOf(read("README.md")).map((l) => l.split("#")[0]));
    expect(DOCS.filter((d) => !fromReadme.has(d))).toEqual([]);
  });

  test(`README.md has at most ${README_MAX_LINES} lines`, () => {
    const lines = read("README.md").split("\n").length;
    expect(lines).toBeLessThanOrEqual(README_MAX_LINES);
  });

  test("no passage of README.md, docs/ or CHANGELOG.md reads like a work diary", () => {
    expect(LINKED.flatMap((path) => diaryPassages(path, read(path)))).toEqual([]);
  });

  test("the diary check catches its words across line breaks", () => {
    expect(diaryPassages("x", "Measured\ntoday on the VM")).toHaveLength(1);
    expect(diaryPassages("x", "the code of the day before took 105 s; this\nsession's changes")).toHaveLength(2);
    expect(diaryPassages("x", "measured 2026-12-06 on the VM; a second Wintun session is refused")).toEqual([]);
  });
});

describe("CHANGELOG.md", () => {
  const releases = [...read("CHANGELOG.md").matchAll(/^## \[(\d+)\.(\d+)\.(\d+)\] - (\d{4}-\d{2}-\d{2})$/gm)].map(
    (m) => ({
      version: `${m[1]}.${m[2]}.${m[3]}`,
      rank: Number(m[1]) * 1e6 + Number(m[2]) * 1e3 + Number(m[3]),
      date: m[4] as string,
    }),
  );

  test("releases run newest first, in keep-a-changelog form", () => {
    expect(read("CHANGELOG.md")).toMatch(/^# Changelog\n[\s\S]*\n## \[Unreleased\]\n/);
    expect(releases.length).toBeGreaterThanOrEqual(2);
    const ranks = releases.map((r) => r.rank);
    expect(ranks).toEqual([...new Set(ranks)].sort((a, b) => b - a));
    const dates = releases.map((r) => r.date);
    expect(dates).toEqual([...dates].sort().reverse());
  });

  test("smolmesh --version prints the newest release", async () => {
    const out: string[] = [];
    const io: CliIo = { out: (t) => out.push(t), err: () => {}, color: false };
    expect(await runCli(["--version"], io)).toBe(0);
    expect(out.join("")).toBe(`smolmesh ${releases[0]?.version}\n`);
    expect(VERSION).toBe(releases[0]?.version as string);
  });
});
