/**
 * Compares the simulator's speed at two commits fairly on a noisy VM: the
 * same run (one worker each) of the commit under test and of the working
 * tree at the same time, so both see the same machine. Runs one after the
 * other are useless here: this VM's speed drifts by a third within an hour.
 *
 *   npm run bench:sim-pair -- --base COMMIT [--nodes 600] [--seconds 15] [--reps 2]
 *
 * The base is checked out in a temporary git worktree (removed afterwards)
 * sharing this checkout's node_modules. Prints each pair's wall times and
 * the ratio new/base; also checks both runs gave the same figures.
 */
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const ROOT = join(import.meta.dir, "../..");

const { values } = parseArgs({
  options: {
    base: { type: "string" },
    nodes: { type: "string", default: "600" },
    seconds: { type: "string", default: "15" },
    reps: { type: "string", default: "2" },
  },
});
if (!values.base) {
  console.error("sim-pair: --base COMMIT is required (the commit to compare the working tree with)");
  process.exit(1);
}

function git(args: string[]): void {
  const r = Bun.spawnSync(["git", ...args], { cwd: ROOT, stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr.toString().trim()}`);
}

/** One simulator run in `dir`; resolves to its JSON report. */
async function run(dir: string): Promise<Record<string, unknown>> {
  const args = ["--nodes", values.nodes as string, "--seconds", values.seconds as string, "--workers", "1", "--json"];
  const p = Bun.spawn([process.execPath, "test/sim/cli.ts", ...args], { cwd: dir, stdout: "pipe", stderr: "ignore" });
  const out = await new Response(p.stdout).text();
  if ((await p.exited) !== 0) throw new Error(`sim in ${dir} failed`);
  return JSON.parse(out.trim().split("\n").at(-1) as string);
}

const figures = (r: Record<string, unknown>) =>
  JSON.stringify({ ...r, wallMs: undefined, memoryPerNodeKiB: undefined });

const dir = mkdtempSync(join(tmpdir(), "sim-pair-"));
const base = join(dir, "base");
let added = false;
try {
  git(["worktree", "add", "--detach", base, values.base]);
  added = true;
  symlinkSync(join(ROOT, "node_modules"), join(base, "node_modules"));
  for (let i = 0; i < Number(values.reps); i++) {
    const [old, now] = await Promise.all([run(base), run(ROOT)]);
    const a = old.wallMs as number;
    const b = now.wallMs as number;
    const same = figures(old) === figures(now) ? "same figures" : "FIGURES DIFFER";
    console.log(
      `base ${(a / 1000).toFixed(1)} s, new ${(b / 1000).toFixed(1)} s, new/base ${(b / a).toFixed(2)} (${same})`,
    );
  }
} catch (e) {
  console.error(`sim-pair: ${(e as Error).message}`);
  process.exitCode = 1;
} finally {
  if (added) git(["worktree", "remove", "--force", base]);
  rmSync(dir, { recursive: true, force: true });
  git(["worktree", "prune"]);
}
