/** Which running transports a reload removes, re-keys or keeps, and which fields it names as restart-only. */
import { expect, test } from "bun:test";
import { parseConfig } from "../../src/config/load.ts";
import type { Config } from "../../src/config/schema.ts";
import { planReload } from "../../src/node/reload-plan.ts";

const config = (o: object): Config => {
  const r = parseConfig(JSON.stringify({ node_name: "n", ...o }));
  if (!r.ok) throw new Error(r.errors.join("; "));
  return r.config;
};

test("transports are matched by kind and address; keys may change", () => {
  const before = config({
    transports: [
      { type: "tcp_listen", port: 1, keys: ["a"] },
      { type: "tcp_listen", port: 2, keys: ["b"] },
      { type: "tcp_connect", host: "h", port: 3, key: "c" },
      { type: "legacy_tcp_connect", host: "h", port: 4, key: "d" },
    ],
  });
  const after = config({
    mtu: 1500,
    transports: [
      { type: "tcp_connect", host: "h", port: 3, key: "c" },
      { type: "tcp_listen", port: 1, keys: ["a", "a2"] },
      { type: "legacy_tcp_connect", host: "h", port: 4, key: "d", cipher: "gimli" },
      { type: "tcp_listen", port: 5, keys: ["e"] },
    ],
  });
  const running = before.transports.map((transport, i) => ({ transport, i }));
  const plan = planReload(running, before, after);
  expect(plan.removed.map((r) => r.i)).toEqual([1]);
  expect(plan.changed.map(([r, t]) => [r.i, t.type])).toEqual([
    [0, "tcp_listen"],
    [3, "legacy_tcp_connect"],
  ]);
  expect(plan.added.map((t) => t.type === "tcp_listen" && t.port)).toEqual([5]);
  expect(plan.restart).toEqual(["mtu changed: takes effect at restart"]);
});

test("the same config plans nothing", () => {
  const c = config({ transports: [{ type: "tcp_listen", port: 1, keys: ["a"] }] });
  const plan = planReload(
    c.transports.map((transport) => ({ transport })),
    c,
    c,
  );
  expect(plan).toEqual({ removed: [], changed: [], added: [], restart: [] });
});
