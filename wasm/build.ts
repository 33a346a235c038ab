/**
 * Builds every wasm/*.wat into wasm/*.wasm with wabt (from the npm registry).
 * The output is deterministic: no debug names, canonical LEBs. The built
 * files are committed; test/unit/wasm-build.test.ts rebuilds and compares.
 *
 *   bun wasm/build.ts           write the .wasm files
 *   bun wasm/build.ts --check   exit 1 if a committed .wasm differs
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import wabtInit from "wabt";

export const WASM_DIR = import.meta.dir;

export async function buildWat(name: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const source = readFileSync(join(WASM_DIR, name), "utf8");
  const mod = wabt.parseWat(name, source, { multi_value: true, bulk_memory: true, simd: true });
  try {
    mod.validate();
    return mod.toBinary({ canonicalize_lebs: true, write_debug_names: false }).buffer;
  } finally {
    mod.destroy();
  }
}

export function watSources(): string[] {
  return readdirSync(WASM_DIR)
    .filter((f) => f.endsWith(".wat"))
    .sort();
}

if (import.meta.main) {
  const check = process.argv.includes("--check");
  let stale = 0;
  for (const wat of watSources()) {
    const out = join(WASM_DIR, wat.replace(/\.wat$/, ".wasm"));
    const bytes = await buildWat(wat);
    if (check) {
      let old: Uint8Array | undefined;
      try {
        old = readFileSync(out);
      } catch {
        old = undefined;
      }
      if (!old || Buffer.compare(Buffer.from(old), Buffer.from(bytes)) !== 0) {
        console.error(`${out} is stale: run \`bun wasm/build.ts\``);
        stale++;
      }
    } else {
      writeFileSync(out, bytes);
      console.log(`${out}: ${bytes.length} bytes`);
    }
  }
  process.exit(stale ? 1 : 0);
}
