/**
 * The helpers' own promise: a test whose node logged "internal error" (a
 * reactor handler threw and the node carried on) fails. A stand-in process
 * prints what MeshNode's onError prints.
 */
import { expect, test } from "bun:test";
import { checkNodeLogs, NodeProc } from "../helpers/node-proc.ts";
import { nodeSuite } from "../helpers/suites.ts";

nodeSuite("loopback", "node helpers", () => {
  test("a node's 'internal error' line fails the check, naming the node, once", async () => {
    const line = "2026-12-05T10:00:00.000Z ERROR internal error: TypeError: boom";
    // NodeProc appends "meshnode CONFIG": sh takes them as $0 and $1
    const n = new NodeProc("faulty", { node_name: "faulty" }, [], {
      command: ["sh", "-c", `echo '${line}' >&2; exec sleep 30`],
    });
    await n.waitLog(/internal error/);
    expect(() => checkNodeLogs()).toThrow(`a node logged an internal error (a handler threw):\nfaulty:\n${line}`);
    expect(() => checkNodeLogs()).not.toThrow(); // each line is reported once
    await n.stop("SIGKILL");
  });
});
