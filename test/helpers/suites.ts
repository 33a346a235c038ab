/**
 * The scaffolding every integration file shares: what a suite needs from
 * the machine (root and iproute2 for namespaces; Wine and mingw-w64 for the
 * Windows build), a skip that says what was missing, and the same teardown
 * after each test and after the suite: no node may have logged "internal
 * error" (a handler threw and the node carried on), every node is stopped,
 * and every namespace this run made is gone.
 *
 * `.ci/run` fails when it runs as root with the packages installed and a
 * suite was skipped anyway, so a skip here is only ever for a machine that
 * cannot run the suite.
 */
import { afterAll, afterEach, describe, expect } from "bun:test";
import { existsSync } from "node:fs";
import { cleanup, isRoot, leftovers } from "./netns.ts";
import { checkNodeLogs, stopAll } from "./node-proc.ts";
import { MINGW, WINE } from "./wine.ts";

/** What a suite needs besides Bun: "loopback" is any machine, as any user. */
export type Needs = "loopback" | "netns" | "wine";

const have = (cmd: string) => Bun.which(cmd) !== null;

/** Why a suite that needs `needs` cannot run here, or undefined when it can. */
export function missing(needs: Needs): string | undefined {
  if (needs === "netns") {
    const lacking = [!isRoot && "root", ...["ip", "ping", "setpriv"].filter((c) => !have(c))].filter(Boolean);
    return lacking.length ? lacking.join(", ") : undefined;
  }
  if (needs === "wine") {
    const lacking = [!existsSync(WINE) && WINE, !have(MINGW) && MINGW].filter(Boolean);
    return lacking.length ? lacking.join(", ") : undefined;
  }
  return undefined;
}

/**
 * A describe block for tests that run real nodes: skipped (saying why) when
 * the machine lacks what `needs` names, and torn down the same way always.
 */
export function nodeSuite(needs: Needs, title: string, body: () => void): void {
  const lacking = missing(needs);
  if (lacking) console.warn(`skipped "${title}": needs ${lacking}`);
  describe.skipIf(lacking !== undefined)(title, () => {
    afterEach(() => {
      checkNodeLogs();
    });
    // time for stopAll's SIGTERM, its 5 s grace and a SIGKILL
    afterAll(async () => {
      await stopAll();
      checkNodeLogs();
      if (needs === "netns") {
        cleanup();
        expect(leftovers()).toEqual([]);
      }
    }, 30_000);
    body();
  });
}
