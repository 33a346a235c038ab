/**
 * The sans-I/O rule of DESIGN.md, checked on the source: protocol code
 * (mesh/, crypto/, config/, transport/codec/, dns/, and every file they import,
 * wherever it lives) reaches no socket, file, process, DNS, clock, timer
 * or random source. It takes `now`, random bytes and packets as inputs.
 *
 * Each file is read as Bun runs it (comments and type-only imports gone),
 * so a word in a comment does not count and an `import type` costs nothing
 * at run time. Imports are allowed by list, not forbidden by list: a new
 * module of Node or Bun is refused until someone decides it is pure.
 */
import { expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = join(import.meta.dir, "..", "..", "src");
const PURE = ["mesh", "crypto", "config", "transport/codec", "dns"];

/**
 * Modules protocol code may import besides its own files. node:crypto is
 * for the modern primitives (X25519, AES-GCM, HMAC, SHA-256, scrypt): its
 * random functions are refused below, one by one. @noble/post-quantum's
 * ML-KEM draws randomness only when keygen or encapsulate is called
 * without it; crypto/ml-kem.ts always passes the caller's (checked below).
 * dns-packet reads and writes DNS messages from and to Buffers (node:buffer)
 * and nothing else.
 */
const ALLOWED_PACKAGES = new Set([
  "node:crypto",
  "node:buffer",
  "ipaddr.js",
  "zod",
  "@noble/post-quantum/ml-kem.js",
  "dns-packet",
]);

/** Functions of node:crypto that draw random numbers (or keys from them). */
const NODE_CRYPTO_RANDOM = [
  "randomBytes",
  "randomFill",
  "randomFillSync",
  "randomInt",
  "randomUUID",
  "getRandomValues",
  "generateKey",
  "generateKeySync",
  "generateKeyPair",
  "generateKeyPairSync",
  "generatePrime",
  "generatePrimeSync",
  "encapsulate",
  "webcrypto",
];

/** Ways to reach a clock, a timer, a random source or the outside world without an import. */
const FORBIDDEN: [RegExp, string][] = [
  [/\bDate\.now\b/, "Date.now (the clock)"],
  [/\bnew\s+Date\s*(\(\s*\)|(?!\s*\())/, "new Date() (the clock)"],
  [/(?<!new\s+)\bDate\s*\(/, "Date() (the clock, as text)"],
  [/\bperformance\b/, "performance (a clock)"],
  [/\b(setTimeout|setInterval|setImmediate|clearTimeout|clearInterval)\b/, "a timer"],
  [/\bAtomics\.wait(Async)?\b/, "Atomics.wait (blocks on the clock)"],
  [/\bMath\.random\b/, "Math.random"],
  [/\bcrypto\.(getRandomValues|randomUUID|subtle)\b/, "Web Crypto's random source"],
  [/\b(getRandomValues|randomUUID)\b/, "a random source"],
  [/\bBun\b/, "Bun's API (connect, listen, spawn, file, write, sleep, nanoseconds, dns ...)"],
  // process.platform is a constant of the build (which OS it runs on), not input or a clock
  [/\bprocess\b(?!\.platform\b)/, "process (env, hrtime, stdio, argv, exit ...)"],
  [/\bconsole\b/, "console (writes to stdout/stderr)"],
  [
    /\b(fetch|WebSocket|XMLHttpRequest|EventSource|Worker|SharedWorker|BroadcastChannel|navigator)\b/,
    "the network or threads",
  ],
  [/\brequire\b/, "require (an import that escapes the list)"],
  [/\bimport\.meta\b/, "import.meta (file paths, import.meta.require)"],
  [/\bglobalThis\b/, "globalThis (reaches any of the above by name)"],
  [/\beval\b|\bnew\s+Function\b/, "eval"],
];

/**
 * Uses of node:fs that stay, and why. The cipher modules read their own
 * WebAssembly code, which `bun build --compile` embeds in the executable
 * (`import ... with { type: "file" }`): the same bytes on every run, part of
 * the program rather than input, read once on first use. Any other use of
 * node:fs in those files is still an offence.
 */
const FS_EXCEPTIONS: Record<string, string> = {
  "crypto/speck-wasm.ts": "readFileSync(wasmPath)",
  "crypto/gimli-wasm.ts": "readFileSync(wasmPath)",
};

const transpiler = new Bun.Transpiler({ loader: "ts" });

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => join(e.parentPath, e.name));
}

/** The offences of one file, and the files of src/ it imports. */
function check(file: string, text: string): { offences: string[]; imports: string[] } {
  const name = relative(SRC, file);
  const offences: string[] = [];
  const imports: string[] = [];
  const code = transpiler.transformSync(text);
  for (const imp of transpiler.scanImports(text)) {
    const spec = imp.path;
    if (imp.kind !== "import-statement") {
      offences.push(`${name}: ${imp.kind} of ${spec}`);
    } else if (spec.startsWith(".")) {
      const target = resolve(dirname(file), spec);
      if (/\/src\/(platform|reactor|node|cli)\//.test(target)) offences.push(`${name}: imports ${spec} (an I/O layer)`);
      if (target.endsWith(".ts")) imports.push(target);
      else if (!/\/wasm\/[\w-]+\.wasm$/.test(target)) offences.push(`${name}: imports ${spec}`);
    } else if (spec === "node:fs" && FS_EXCEPTIONS[name]) {
      const allowed = FS_EXCEPTIONS[name] as string;
      const uses = code.match(/\breadFileSync\([^)]*\)/g) ?? [];
      if (!/import \{ readFileSync \} from "node:fs"/.test(code) || uses.some((u) => u !== allowed) || !uses.length) {
        offences.push(`${name}: node:fs beyond ${allowed}`);
      }
      if (!/import wasmPath from "\.\.\/\.\.\/wasm\/[\w-]+\.wasm"/.test(code)) {
        offences.push(`${name}: wasmPath is not the module's own .wasm`);
      }
    } else if (!ALLOWED_PACKAGES.has(spec)) {
      offences.push(`${name}: imports ${spec}`);
    }
  }
  // node:crypto's random functions, imported by name or used through the module object
  for (const m of code.matchAll(/import\s+([^;]*?)\s+from\s+"node:crypto"/g)) {
    const clause = m[1] as string;
    const named = clause.match(/\{([^}]*)\}/)?.[1] ?? "";
    for (const part of named.split(",")) {
      const imported = part.trim().split(/\s+as\s+/)[0] ?? "";
      if (NODE_CRYPTO_RANDOM.includes(imported)) offences.push(`${name}: node:crypto ${imported} (a random source)`);
    }
    const whole = clause.replace(/\{[^}]*\}/, "").match(/(?:\*\s+as\s+)?([A-Za-z_$][\w$]*)/)?.[1];
    if (whole) {
      const use = new RegExp(`\\b${whole}\\.(${NODE_CRYPTO_RANDOM.join("|")})\\b`);
      if (use.test(code)) offences.push(`${name}: ${whole}.${code.match(use)?.[1]} (a random source)`);
    }
  }
  for (const [re, what] of FORBIDDEN) {
    if (re.test(code)) offences.push(`${name}: ${what}`);
  }
  return { offences, imports };
}

/** Checks every protocol file and everything they import, transitively. */
function checkProtocolCode(): { checked: string[]; offences: string[] } {
  const queue = PURE.flatMap((d) => files(join(SRC, d)));
  const seen = new Set<string>();
  const offences: string[] = [];
  while (queue.length) {
    const f = queue.pop() as string;
    if (seen.has(f)) continue;
    seen.add(f);
    const r = check(f, readFileSync(f, "utf8"));
    offences.push(...r.offences);
    queue.push(...r.imports);
  }
  return { checked: [...seen].map((f) => relative(SRC, f)), offences };
}

test("protocol code, and all it imports, does no I/O and reads no clock or random source", () => {
  const { checked, offences } = checkProtocolCode();
  expect(checked).toContain("mesh/router.ts");
  expect(checked).toContain("transport/codec/legacy-session.ts");
  expect(checked).toContain("addr/ip-packet.ts"); // reached through an import, outside the four folders
  expect(offences).toEqual([]);
});

test("the check catches every way in: each of these lines alone is an offence", () => {
  const lines = [
    'import { readFileSync } from "node:fs";\nexport const x = readFileSync("/etc/hosts");',
    'import { lookup } from "node:dns";\nexport const x = lookup;',
    'import { connect } from "node:net";\nexport const x = connect;',
    'import { spawn } from "node:child_process";\nexport const x = spawn;',
    'import { dlopen } from "bun:ffi";\nexport const x = dlopen;',
    'import { Reactor } from "../reactor/reactor.ts";\nexport const x = Reactor;',
    'import { randomBytes } from "node:crypto";\nexport const x = randomBytes(16);',
    'import * as c from "node:crypto";\nexport const x = c.randomInt(5);',
    'export const x = await import("node:fs");',
    "export const x = Bun.connect;",
    "export const x = Bun.spawn;",
    'export const x = Bun.file("x");',
    "export const x = Date.now();",
    "export const x = new Date();",
    "export const x = performance.now();",
    "export const x = setTimeout(() => {}, 1);",
    "export const x = Math.random();",
    "export const x = crypto.getRandomValues(new Uint8Array(4));",
    "export const x = process.hrtime();",
    "export const x = process.env.HOME;",
    "export const x = globalThis.fetch;",
    'export const x = require("node:fs");',
    'console.log("x");',
  ];
  for (const line of lines) {
    expect({ line, offences: check(join(SRC, "mesh/probe.ts"), line).offences.length > 0 }).toEqual({
      line,
      offences: true,
    });
  }
  // and these are fine: time and bytes as inputs, node:crypto's primitives, the build's platform
  const fine = [
    "export const f = (now: number) => now + 1;",
    'import { createHash } from "node:crypto";\nexport const h = createHash("sha256");',
    'import type { Socket } from "node:net";\nexport type S = Socket;',
    "export const iso = (t: number) => new Date(t).toISOString();",
    'export const win = process.platform === "win32";',
    "// Date.now() in a comment\nexport const y = 1;",
  ];
  for (const line of fine)
    expect({ line, offences: check(join(SRC, "mesh/probe.ts"), line).offences }).toEqual({ line, offences: [] });
});

test("a node:fs exception allows only reading the module's own WebAssembly", () => {
  const path = join(SRC, "crypto/speck-wasm.ts");
  const real = readFileSync(path, "utf8");
  expect(check(path, real).offences).toEqual([]);
  const more = `${real}\nexport const peek = () => readFileSync("/etc/passwd");`;
  expect(check(path, more).offences).toEqual(["crypto/speck-wasm.ts: node:fs beyond readFileSync(wasmPath)"]);
});

test("FFI types stay inside platform/ and reactor/", () => {
  const offences = files(SRC)
    .filter((f) => !/\/(platform|reactor)\//.test(f))
    .filter((f) =>
      transpiler.scanImports(readFileSync(f, "utf8").replace(/^#!.*/, "")).some((i) => i.path === "bun:ffi"),
    )
    .map((f) => relative(SRC, f));
  expect(offences).toEqual([]);
});

test("ML-KEM is only ever called with the caller's randomness (noble draws its own without it)", () => {
  const calls = files(SRC).flatMap((f) =>
    [...readFileSync(f, "utf8").matchAll(/ml_kem768\.(keygen|encapsulate)\(([^)]*)\)/g)].map((m) => ({
      where: relative(SRC, f),
      fn: m[1],
      args: (m[2] ?? "").split(",").filter((a) => a.trim()).length,
    })),
  );
  expect(calls.length).toBeGreaterThanOrEqual(2);
  const bad = calls.filter((c) => c.args < (c.fn === "keygen" ? 1 : 2));
  expect(bad).toEqual([]);
});
