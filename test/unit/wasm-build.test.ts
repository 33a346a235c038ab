/** The committed .wasm files are exactly what their sources build to. */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildWat, WASM_DIR, watSources } from "../../wasm/build.ts";

test("rebuilding every wasm/*.wat gives the committed bytes", async () => {
  const sources = watSources();
  expect(sources).toContain("speck.wat");
  for (const wat of sources) {
    const built = await buildWat(wat);
    const committed = readFileSync(join(WASM_DIR, wat.replace(/\.wat$/, ".wasm")));
    expect(Buffer.from(built).equals(committed)).toBe(true);
  }
});
