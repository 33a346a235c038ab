/**
 * Checks on the repository's Markdown documents, for test/unit/docs.test.ts.
 *
 * Markdown is parsed by Bun's own CommonMark/GFM parser (Bun.markdown), so
 * links inside code spans and code blocks are not links, and tables,
 * autolinks and reference links are. Heading anchors are computed as
 * GitHub computes them (github-slugger's rule: lowercase, drop every
 * character that is not a letter, mark, number, underscore, hyphen or
 * space, spaces become hyphens, repeats get -1, -2...), since that is
 * where readers follow them; Bun's own ids drop underscores.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", apos: "'" };

function decode(html: string): string {
  return html.replace(/&(amp|lt|gt|quot|#39|apos);/g, (_, e: string) => ENTITIES[e] as string);
}

function render(markdown: string): string {
  return Bun.markdown.html(markdown);
}

/** The href of every link in `markdown`, in order. */
export function linksOf(markdown: string): string[] {
  return [...render(markdown).matchAll(/<a\s[^>]*?href="([^"]*)"/g)].map((m) => decode(m[1] as string));
}

/** GitHub's anchor for a heading's text. */
export function slug(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
    .replace(/ /g, "-");
}

/** The anchors of every heading in `markdown`, as GitHub makes them. */
export function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const m of render(markdown).matchAll(/<h[1-6][^>]*>([\s\S]*?)<\/h[1-6]>/g)) {
    const base = slug(decode((m[1] as string).replace(/<[^>]*>/g, "")));
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** A link with a scheme (https:, mailto:) points outside the repository and is not checked. */
const EXTERNAL = /^[a-z][a-z0-9+.-]*:/i;

export interface LinkReport {
  /** Relative links and anchors checked. */
  checked: number;
  /** One line per link that does not resolve: "FILE: TARGET: why". */
  broken: string[];
}

/**
 * Every relative link and #anchor in the files `paths` (relative to
 * `root`): each must name a file or folder that exists, and an anchor a
 * heading of the Markdown file it points into.
 */
export function checkLinks(root: string, paths: readonly string[]): LinkReport {
  const report: LinkReport = { checked: 0, broken: [] };
  const anchors = new Map<string, Set<string>>();
  const anchorsAt = (file: string) => {
    let a = anchors.get(file);
    if (!a) {
      a = anchorsOf(readFileSync(file, "utf8"));
      anchors.set(file, a);
    }
    return a;
  };
  for (const path of paths) {
    const file = join(root, path);
    for (const href of linksOf(readFileSync(file, "utf8"))) {
      if (EXTERNAL.test(href)) continue;
      report.checked++;
      const hash = href.indexOf("#");
      const target = hash < 0 ? href : href.slice(0, hash);
      const anchor = hash < 0 ? undefined : decodeURIComponent(href.slice(hash + 1));
      const to = target === "" ? file : join(dirname(file), decodeURIComponent(target));
      const shown = relative(root, to) || ".";
      if (!existsSync(to)) {
        report.broken.push(`${path}: ${href}: no file ${shown}`);
        continue;
      }
      if (anchor === undefined) continue;
      if (statSync(to).isDirectory() || !to.endsWith(".md")) {
        report.broken.push(`${path}: ${href}: an anchor into ${shown}, which is not a Markdown file`);
      } else if (!anchorsAt(to).has(anchor)) {
        report.broken.push(`${path}: ${href}: no heading with anchor #${anchor} in ${shown}`);
      }
    }
  }
  return report;
}

/**
 * Words that date or attribute a passage by how the work was organised
 * (who did what in which sitting) instead of stating a fact about
 * smolmesh with the day a figure was measured. Kept small on purpose:
 * each is a phrase with no honest use in these documents.
 */
export const DIARY_WORDS: readonly RegExp[] = [
  /\b(this|that|last|previous|next|first|second|third|same) session\b/i,
  /\btoday('s)?\b/i,
  /\byesterday\b/i,
  /\b(this|that) day\b/i,
  /\bthe day before\b/i,
  /\bthis change\b/i, // not "this changes": a verb, and fine
  /\bwe (tried|found|measured|changed|decided)\b/i,
];

/** "FILE: «passage»" for every diary phrase in `text` (whitespace, line breaks included, folded to one space). */
export function diaryPassages(name: string, text: string): string[] {
  const flat = text.replace(/\s+/g, " ");
  const found: string[] = [];
  for (const word of DIARY_WORDS) {
    for (const m of flat.matchAll(new RegExp(word.source, "gi"))) {
      const at = m.index ?? 0;
      found.push(`${name}: «${flat.slice(Math.max(0, at - 40), at + m[0].length + 40)}»`);
    }
  }
  return found;
}
