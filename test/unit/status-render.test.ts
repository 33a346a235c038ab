/**
 * `smolmesh status`'s table: every cell under the header it belongs to
 * (a modern link's key age under "keys", its bytes under "in" and "out";
 * a legacy link, which has no rekeyed keys, shows "-" there), and the
 * node line naming where modern links' AES-GCM comes from.
 */
import { expect, test } from "bun:test";
import { renderTable } from "../../src/cli/status-render.ts";
import type { LinkStatus } from "../../src/node/status.ts";
import { legacyLink, snapshot } from "../helpers/status-fixture.ts";

/** The rows of the box-drawn table that follows the line `title`, as trimmed cells. */
function tableAfter(text: string, title: RegExp): string[][] {
  const lines = text.split("\n");
  const at = lines.findIndex((l) => title.test(l));
  expect(at).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(at + 1)) {
    if (!/^[│┌├└]/.test(line)) break;
    if (line.startsWith("│"))
      rows.push(
        line
          .split("│")
          .slice(1, -1)
          .map((c) => c.trim()),
      );
  }
  return rows;
}

test("each link's cells sit under their headers, modern and legacy alike", () => {
  const modern: LinkStatus = {
    ...(snapshot.links[0] as LinkStatus),
    keys: { txAgeS: 65, rxAgeS: 12, txRekeys: 2, rxRekeys: 1, ignoredFrames: 0 },
    bytesIn: 3 * 1024,
    bytesOut: 7 * 1024,
  };
  const text = renderTable({ ...snapshot, links: [modern, legacyLink] }, false);
  const [header, ...rows] = tableAfter(text, /^LINKS \(2\)/);
  expect(rows).toHaveLength(2);
  const cell = (row: string[], name: string) => row[(header as string[]).indexOf(name)];
  for (const row of rows) expect(row).toHaveLength((header as string[]).length);
  const [m, l] = rows as [string[], string[]];
  expect(cell(m, "protocol")).toBe("modern");
  expect(cell(m, "keys")).toBe("1m5s old, 3 rekeys");
  expect(cell(m, "in")).toBe("3.0 KiB");
  expect(cell(m, "out")).toBe("7.0 KiB");
  expect(cell(l, "protocol")).toBe("gimli");
  expect(cell(l, "keys")).toBe("-");
  expect(cell(l, "in")).toBe("5.0 MiB");
  expect(cell(l, "last rx")).toMatch(/ago$/);
});

test("the node lines say where modern links' AES-GCM comes from", () => {
  const text = renderTable(
    { ...snapshot, node: { ...snapshot.node, aesGcm: "OpenSSL 3.0.19 (libcrypto.so.3)" } },
    false,
  );
  expect(text).toContain("modern links' AES-GCM: OpenSSL 3.0.19 (libcrypto.so.3)\n");
});

test("every table's rows have as many cells as its header", () => {
  const route = {
    destination: "fd00::2",
    name: "n2",
    dnsName: "n2.mesh",
    kind: "name",
    nextHop: 1,
    nextHopPeer: "10.0.0.2:4041",
    backups: [2],
    floodAgeS: 3,
  };
  const text = renderTable({ ...snapshot, links: [...snapshot.links, legacyLink], routes: [route] }, false);
  const tables = text.split("\n").filter((l) => l.startsWith("┌")).length;
  expect(tables).toBe(2);
  for (const title of [/^LINKS /, /^ROUTES /]) {
    const [header, ...rows] = tableAfter(text, title);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toHaveLength((header as string[]).length);
  }
});
