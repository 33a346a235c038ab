/**
 * Turns config text into a typed Config, or into messages that name the
 * JSON path, what was expected and what was found. Unknown fields are
 * warnings (a newer config on an older node still runs); anything wrong is
 * an error, reported all at once before the node starts anything.
 */
import type { z } from "zod";
import { acceptWarnings } from "./accept-ranges.ts";
import { type Config, configSchema, TRANSPORT_TYPES } from "./schema.ts";

export type ConfigResult =
  | { ok: true; config: Config; warnings: string[] }
  | { ok: false; errors: string[]; warnings: string[] };

function pathText(path: readonly PropertyKey[]): string {
  let s = "";
  for (const p of path) s += typeof p === "number" ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s || "(top level)";
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function shown(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function describe(issue: z.core.$ZodIssue, root: unknown): string {
  const at = pathText(issue.path);
  if (issue.code === "invalid_union" && "discriminator" in issue) {
    const types = TRANSPORT_TYPES.map((t) => `"${t}"`).join(", ");
    return `${at}: expected one of ${types}, got ${shown(valueAt(root, issue.path))}`;
  }
  const found = valueAt(root, issue.path);
  const expected = issue.message.startsWith("Invalid input")
    ? issue.message.replace(/^Invalid input: /, "")
    : `expected ${issue.message}`;
  return `${at}: ${expected}, got ${shown(found)}`;
}

export function parseConfig(text: string): ConfigResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, errors: [`not valid JSON: ${(e as Error).message}`], warnings: [] };
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return { ok: false, errors: [`expected a JSON object at the top level, got ${shown(raw)}`], warnings: [] };
  }
  raw = dropComments(raw);
  const strict = configSchema.safeParse(raw);
  if (strict.success) return { ok: true, config: strict.data, warnings: acceptWarnings(strict.data) };
  const warnings: string[] = [];
  const errors: string[] = [];
  for (const issue of strict.error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const k of issue.keys) warnings.push(`${pathText([...issue.path, k])}: unknown field, ignored`);
    } else {
      errors.push(describe(issue, raw));
    }
  }
  if (errors.length) return { ok: false, errors, warnings };
  // only unknown fields: drop them and parse again
  const cleaned = strip(raw, strict.error.issues);
  const again = configSchema.safeParse(cleaned);
  if (!again.success) return { ok: false, errors: again.error.issues.map((i) => describe(i, cleaned)), warnings };
  return { ok: true, config: again.data, warnings: [...warnings, ...acceptWarnings(again.data)] };
}

function strip(raw: unknown, issues: readonly z.core.$ZodIssue[]): unknown {
  const copy = structuredClone(raw);
  for (const issue of issues) {
    if (issue.code !== "unrecognized_keys") continue;
    const obj = valueAt(copy, issue.path) as Record<string, unknown>;
    for (const k of issue.keys) delete obj[k];
  }
  return copy;
}

/** Keys starting with "//" are comments (config.example.json uses them); they are dropped at every level. */
function dropComments(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropComments);
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(
    Object.entries(v as Record<string, unknown>)
      .filter(([k]) => !k.startsWith("//"))
      .map(([k, x]) => [k, dropComments(x)]),
  );
}
