/**
 * The command line, in process and as the compiled single executable run
 * from a folder with nothing beside it.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { type CliIo, runCli, VERSION } from "../../src/cli/app.ts";
import { run, smolmeshBinary } from "../helpers/binary.ts";
import { freePort, NodeProc } from "../helpers/node-proc.ts";
import { loadVectors } from "../helpers/vectors.ts";

const names = loadVectors<{ vectors: { name: string; name_len_bytes: number; ipv6: string }[] }>("name_to_ipv6.json");

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), color: false };
  const code = await runCli(argv, io);
  return { code, out: out.join(""), err: err.join("") };
}

describe("CLI in process", () => {
  test("help lists every command", async () => {
    for (const argv of [["help"], ["--help"], ["-h"]]) {
      const r = await cli(...argv);
      expect(r.code).toBe(0);
      for (const c of ["name-to-ipv6", "make-random-ipv6", "make-random-ipv4"]) expect(r.out).toContain(c);
      expect(r.out).not.toMatch(/\x1b\[/);
    }
  });

  test("help for one command", async () => {
    const r = await cli("name-to-ipv6", "--help");
    expect(r.code).toBe(0);
    expect(r.out).toContain("USAGE smolmesh name-to-ipv6");
  });

  test("--version", async () => {
    expect(await cli("--version")).toEqual({ code: 0, out: `smolmesh ${VERSION}\n`, err: "" });
  });

  test.each([
    [[], /no command given/],
    [["bogus"], /Unknown command bogus/],
    [["name-to-ipv6"], /Missing required positional argument: NAME/],
    [["name-to-ipv6", "a", "b"], /unexpected argument "b"/],
    [["make-random-ipv4", "x"], /unexpected argument "x"/],
  ] as [string[], RegExp][])("wrong usage %j exits 2 with what was expected", async (argv, msg) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toMatch(msg);
    expect(r.err).toContain("USAGE");
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  test("a name that looks like an option, after --", async () => {
    const r = await cli("name-to-ipv6", "--", "-x");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^fd00(:[0-9a-f]{4}){7}\n$/);
  });
});

describe("compiled executable", () => {
  let bin = "";
  beforeAll(async () => {
    bin = await smolmeshBinary();
  }, 120_000);

  test("name-to-ipv6 prints the vectors: empty, longest, non-ASCII and a sample", async () => {
    const pick = names.vectors.filter(
      (v, i) => v.name_len_bytes === 0 || v.name_len_bytes > 4000 || /[^\x00-\x7f]/.test(v.name) || i % 25 === 0,
    );
    expect(pick.length).toBeGreaterThan(10);
    let slowest = 0;
    for (const v of pick) {
      const r = await run([bin, "name-to-ipv6", "--", v.name]);
      expect(r).toMatchObject({ code: 0, stdout: `${v.ipv6}\n`, stderr: "" });
      slowest = Math.max(slowest, r.ms);
    }
    console.log(`name-to-ipv6: ${pick.length} names, slowest run ${slowest.toFixed(0)} ms`);
  });

  test("random addresses and version", async () => {
    expect((await run([bin, "make-random-ipv6"])).stdout).toMatch(/^fd00(:[0-9a-f]{4}){7}\n$/);
    expect((await run([bin, "make-random-ipv4"])).stdout).toMatch(/^10\.\d+\.\d+\.\d+\n$/);
    expect((await run([bin, "--version"])).stdout).toBe(`smolmesh ${VERSION}\n`);
  });

  test("a relay from the compiled executable serves /metrics beside its reactor", async () => {
    const port = await freePort();
    const node = new NodeProc(
      "compiled-metrics",
      { node_name: "compiled-metrics", dns: false, metrics_listen: `127.0.0.1:${port}` },
      [],
      { command: [bin] },
    );
    let code: number;
    try {
      await node.waitLog(/metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/);
      const r = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(r.status).toBe(200);
      expect(await r.text()).toMatch(
        /^smolmesh_info\{node="compiled-metrics",version="[^"]+",aes_gcm="node:crypto"\} 1$/m,
      );
    } finally {
      code = await node.stop(); // a failed expectation must not leave the relay running
    }
    expect(code).toBe(0);
  });

  test("wrong usage exits 2 without a stack trace", async () => {
    const r = await run([bin, "frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown command frobnicate");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
