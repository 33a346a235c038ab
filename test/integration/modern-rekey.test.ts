/**
 * Rekeying under traffic, over a real loopback TCP connection: two modern
 * links driven by one reactor (the node's own Listener, Connector and Link),
 * a rekey every 5 ms by timer and every 64 KiB by bytes, and numbered
 * packets both ways: every packet arrives, in order, across hundreds of
 * key changes in each direction.
 */
import { expect, test } from "bun:test";
import { sharedHeap } from "../../src/crypto/heap.ts";
import { linuxNet } from "../../src/platform/linux/net.ts";
import { LinuxPoll } from "../../src/platform/linux/poll.ts";
import { Reactor } from "../../src/reactor/reactor.ts";
import { ModernSession } from "../../src/transport/codec/modern-session.ts";
import { encodePayload } from "../../src/transport/codec/modern-wire.ts";
import { Connector } from "../../src/transport/connector.ts";
import { Link, type LinkEvents } from "../../src/transport/link.ts";
import { Listener } from "../../src/transport/listener.ts";
import { osRandom, psk } from "../helpers/modern.ts";

const PACKETS = 12_000;
const SIZE = 1200;
const LOOPBACK = Uint8Array.from([127, 0, 0, 1]);

interface Side {
  link?: Link;
  /** Packets this side sent, and packets it received from the other (each numbered from 0). */
  sent: number;
  got: number;
  outOfOrder: number;
  closed?: string;
}

test("hundreds of rekeys each way under traffic lose and reorder nothing", async () => {
  const reactor = new Reactor(new LinuxPoll());
  const heap = sharedHeap();
  const timing = { handshakeMs: 10_000, idleMs: 30_000, rekeyMs: 5 };
  const session = (role: "connect" | "listen") =>
    new ModernSession({
      role,
      psks: [psk("rekey-test")],
      payload: encodePayload({ node: role }),
      random: osRandom,
      heap,
      rekeyBytes: 64 * 1024,
    });
  const conn: Side = { sent: 0, got: 0, outOfOrder: 0 };
  const lis: Side = { sent: 0, got: 0, outOfOrder: 0 };
  const packet = new Uint8Array(SIZE);
  let finished = false;
  const events = (side: Side): LinkEvents => ({
    established: () => {},
    packet: (_l, p, len) => {
      if (heap.dv().getUint32(p, true) !== side.got || len !== SIZE) side.outOfOrder++;
      side.got++;
    },
    closed: (_l, reason) => {
      if (finished) return;
      side.closed = reason;
      reactor.stop();
    },
  });
  // each side keeps its queue short and sends more as it drains, so no packet is dropped for room
  const pump = () => {
    for (const side of [conn, lis]) {
      const l = side.link;
      if (l?.state !== "up") continue;
      while (side.sent < PACKETS && l.queuedBytes < 64 * 1024) {
        new DataView(packet.buffer).setUint32(0, side.sent, true);
        if (!l.send(packet, 0, SIZE, true)) break;
        side.sent++;
      }
    }
    if (conn.got === PACKETS && lis.got === PACKETS) reactor.stop();
    else reactor.after(1, pump);
  };
  const listener = new Listener({ ip: LOOPBACK, port: 0 }, reactor, linuxNet, {
    accepted: (fd, peer) => {
      lis.link = new Link(1, "in", peer, "in", fd, session("listen"), reactor, linuxNet, heap, events(lis), timing);
    },
    error: (m) => {
      throw new Error(m);
    },
  });
  const connector = new Connector("127.0.0.1", listener.local.port, reactor, linuxNet, {
    connected: (fd, peer) => {
      conn.link = new Link(
        2,
        "out",
        peer,
        "out",
        fd,
        session("connect"),
        reactor,
        linuxNet,
        heap,
        events(conn),
        timing,
      );
    },
    failed: (reason) => {
      throw new Error(reason);
    },
  });
  connector.start();
  pump();
  const guard = reactor.after(60_000, () => reactor.stop());
  await reactor.run();
  guard.cancel();
  const [a, b] = [conn.link as Link, lis.link as Link];
  const [sa, sb] = [a.keyStats, b.keyStats];
  finished = true;
  a.close("test over");
  b.close("test over");
  listener.close();
  connector.stop();

  expect(conn.closed ?? lis.closed ?? "open").toBe("open");
  expect([conn.sent, lis.got, lis.sent, conn.got]).toEqual([PACKETS, PACKETS, PACKETS, PACKETS]);
  expect(conn.outOfOrder + lis.outOfOrder).toBe(0);
  expect(sa.txRekeys).toBeGreaterThan(100);
  expect(sb.txRekeys).toBeGreaterThan(100);
  // rekey frames sent after the last data packet may still be on the way
  expect(sb.rxRekeys).toBeLessThanOrEqual(sa.txRekeys);
  expect(sb.rxRekeys).toBeGreaterThan(sa.txRekeys - 5);
  expect(sa.rxRekeys).toBeLessThanOrEqual(sb.txRekeys);
  expect(sa.rxRekeys).toBeGreaterThan(sb.txRekeys - 5);
  console.log(`rekeys: connector sent ${sa.txRekeys}, listener sent ${sb.txRekeys}`);
}, 90_000);
