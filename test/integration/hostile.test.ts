/**
 * Hostile peers against a relay on loopback (issue: strangers must not
 * lock good peers out; a key holder must not grow the relay without bound).
 *
 *   200 silent connections ──▶ relay ◀── good peers (from ::1, another address)
 *   from 127.0.0.1             (tcp_listen, legacy: true, on "::")
 *
 * A second relay with small destination limits takes a key holder that
 * announces new names in a loop, while two good peers exchange data
 * through it.
 *
 * The relay listens on "::", so connections to 127.0.0.1 arrive from
 * ::ffff:127.0.0.1 and those to ::1 from ::1: two source addresses on one
 * machine.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { LegacyPeer, meshPacket } from "../helpers/legacy-peer.ts";
import { ModernPeer } from "../helpers/modern-peer.ts";
import { freePort, NodeProc, waitFor } from "../helpers/node-proc.ts";
import { nodeSuite } from "../helpers/suites.ts";

let relay: NodeProc;
let port = 0;

nodeSuite("loopback", "hostile peers against a relay", () => {
  beforeAll(async () => {
    port = await freePort();
    relay = new NodeProc("relay", {
      node_name: "hostile-relay",
      transports: [{ type: "tcp_listen", port, keys: ["good-key"], legacy: true }],
    });
    await relay.waitLog(/listening on/);
  });

  describe("a stranger cannot lock good peers out", () => {
    test("200 silent connections from one address hold at most 8 places; good peers from another get in at once", async () => {
      const opened: Socket<{ closedAt: number }>[] = [];
      const t0 = performance.now();
      for (let i = 0; i < 200; i++) {
        opened.push(
          await Bun.connect<{ closedAt: number }>({
            hostname: "127.0.0.1",
            port,
            data: { closedAt: 0 },
            socket: {
              open(s) {
                s.write(Uint8Array.of(0x42)); // one byte, then silence
              },
              data() {},
              close(s) {
                s.data.closedAt = performance.now();
              },
            },
          }),
        );
      }
      await waitFor(() => opened.filter((s) => s.data.closedAt).length >= 192, 10_000, "192 connections to give way");
      const s = await relay.status();
      expect(s.handshakes.pending).toBeLessThanOrEqual(8);
      expect(s.handshakes.displaced).toBeGreaterThanOrEqual(192);
      await relay.waitLog(/link from 127\.0\.0\.1:\d+ refused: gave way to a newer connection from the same address/);

      // while the stranger keeps its 8, good peers from ::1 link in one round trip each
      const modern = await ModernPeer.connect(port, "good-key", "good-modern", 5000, "::1");
      const legacy = await LegacyPeer.connect(port, "good-key", "::1");
      await modern.until(() => modern.received(0, "hostile-relay").length > 0, 12_000, "the relay's flood");
      await relay.waitLog(/link \d+ up: from \[::1\]:\d+ \(node good-modern\), modern/);
      modern.close();
      legacy.close();

      // the stranger's last 8 are closed by the 10 s handshake deadline, not before
      await waitFor(() => opened.every((c) => c.data.closedAt), 15_000, "every silent connection to be closed");
      const survivors = opened
        .map((c) => c.data.closedAt - t0)
        .sort((a, b) => a - b)
        .slice(-8);
      expect(survivors[0]).toBeGreaterThan(9_000);
      await relay.waitLog(/refused: handshake not completed within 10 s/);
    }, 40_000);
  });

  describe("a key holder cannot grow a relay without bound", () => {
    test("names announced in a loop stop at the link's burst and rate and at the cap; good traffic flows; the log stays short", async () => {
      const p2 = await freePort();
      const small = new NodeProc("small", {
        node_name: "limited-relay",
        max_destinations: 1500,
        new_destinations_burst: 500,
        new_destinations_per_second: 100,
        transports: [{ type: "tcp_listen", port: p2, keys: ["k"] }],
      });
      await small.waitLog(/listening on/);
      const flooder = await ModernPeer.connect(p2, "k", "flooder");
      const a = await ModernPeer.connect(p2, "k", "good-a");
      const b = await ModernPeer.connect(p2, "k", "good-b");
      const te = new TextEncoder();
      const t0 = performance.now();
      let sent = 0;
      // 4,000 new names as fast as the link takes them
      while (sent < 4000) flooder.send(meshPacket(0, te.encode(`flood-${sent++}`)));
      await flooder.drained(60_000);
      const elapsedS = (performance.now() - t0) / 1000;
      await small.waitLog(
        /link \d+ \(.*node flooder\): new destinations dropped: it introduces them faster than 100 a second/,
      );
      // data between the good peers crosses the relay while it refuses the flood
      b.announce("good-b");
      await a.until(() => a.received(0, "good-b").length > 0, 10_000, "good-b's flood at good-a");
      const s = await small.status();
      const learned = (s.routes as { name: string | null }[]).filter((r) => r.name?.startsWith("flood-")).length;
      // the burst, plus the rate for the time the flood took (a generous bound), never more than the cap
      expect(learned).toBeGreaterThanOrEqual(500);
      expect(learned).toBeLessThanOrEqual(Math.min(1500, 500 + Math.ceil(100 * (elapsedS + 5))));
      expect(s.router.destinationsRateLimited).toBeGreaterThan(0);
      // hundreds of routes added, a few dozen log lines: the rest summarised
      await small.waitLog(/\d+ more routes added via link \d+ .* in the last 10 s/, 15_000);
      expect(small.log.split("\n").filter((l) => l.includes("route added")).length).toBeLessThan(60);
      for (const p of [flooder, a, b]) p.close();
      await small.stop();
    }, 40_000);
  });
});
