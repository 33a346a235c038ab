/**
 * Running smolmesh's Windows build under Wine (Debian's wine64): the
 * executable is cross-compiled once per run, a private Wine prefix is made
 * in a temporary folder, and the bcryptprimitives.dll stand-in from
 * native/wine/ is built into it (Wine 8 lacks that DLL; Windows has it).
 * Beside the executable go the test doubles of wintun.dll and of the IP
 * Helper calls (Wine's iphlpapi.dll lacks them), which smolmesh loads
 * through SMOLMESH_IPHLPAPI_DLL. Wine's bcrypt.dll does AES (the Windows
 * node's modern links) through the system's GnuTLS, libgnutls30, which
 * npm test installs.
 */
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./binary.ts";

export const WINE = "/usr/lib/wine/wine64";
export const MINGW = "x86_64-w64-mingw32-gcc";
export const wineAvailable = existsSync(WINE) && Bun.which(MINGW) !== null;

export interface WineEnv {
  exe: string;
  env: Record<string, string>;
  /** The folder of the executable (and of the wintun.dll test double). */
  dir: string;
}

let ready: Promise<WineEnv> | undefined;

async function run(cmd: string[], env?: Record<string, string>): Promise<void> {
  const p = Bun.spawn(cmd, { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  const [code, err] = await Promise.all([p.exited, new Response(p.stderr).text()]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} failed (${code}): ${err.slice(-2000)}`);
}

export function wineEnv(): Promise<WineEnv> {
  ready ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "smolmesh-wine-"));
    const exe = join(dir, "smolmesh.exe");
    await run([
      process.execPath,
      "build",
      "--compile",
      "--target=bun-windows-x64",
      join(ROOT, "src/cli/main.ts"),
      "--outfile",
      exe,
    ]);
    const env: Record<string, string> = {
      WINEPREFIX: join(dir, "prefix"),
      WINEDEBUG: "-all",
      WINEDLLOVERRIDES: "mscoree,mshtml=",
    };
    // the prefix is created by the first run; a trivial command does it
    await run([WINE, "cmd", "/c", "exit"], env).catch(() => {});
    const system32 = join(dir, "prefix/drive_c/windows/system32");
    mkdirSync(system32, { recursive: true });
    await run([
      MINGW,
      "-shared",
      "-O2",
      "-o",
      join(system32, "bcryptprimitives.dll"),
      join(ROOT, "native/wine/bcryptprimitives.c"),
      "-ladvapi32",
    ]);
    // the Wintun test double, where smolmesh looks for wintun.dll by default: beside the executable
    await run([
      MINGW,
      "-shared",
      "-O2",
      "-o",
      join(dir, "wintun.dll"),
      join(ROOT, "native/wine/wintun-double.c"),
      "-lws2_32",
    ]);
    await run([
      MINGW,
      "-shared",
      "-O2",
      "-o",
      join(dir, "iphlpapi-double.dll"),
      join(ROOT, "native/wine/iphlpapi-double.c"),
      "-lws2_32",
    ]);
    env.SMOLMESH_IPHLPAPI_DLL = `Z:${join(dir, "iphlpapi-double.dll").replaceAll("/", "\\")}`;
    return { exe, env, dir };
  })();
  return ready;
}

/**
 * `entry` (a path from the repository's root) compiled for Windows into
 * the Wine environment's folder; the path of the executable.
 */
export async function windowsProgram(entry: string): Promise<string> {
  const { dir } = await wineEnv();
  const exe = join(dir, `${entry.replace(/^.*\//, "").replace(/\.ts$/, "")}.exe`);
  await run([process.execPath, "build", "--compile", "--target=bun-windows-x64", join(ROOT, entry), "--outfile", exe]);
  return exe;
}
