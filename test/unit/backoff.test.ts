/**
 * Reconnect backoff: the waits a connector keeps between attempts, as a
 * table, and a Connector driven on a fake clock against a port that
 * refuses, then accepts.
 */
import { describe, expect, test } from "bun:test";
import type { NetApi, SocketAddress } from "../../src/reactor/net-api.ts";
import type { Registration, Timer } from "../../src/reactor/reactor.ts";
import { Backoff } from "../../src/transport/backoff.ts";
import { Connector, type ConnectorReactor } from "../../src/transport/connector.ts";

describe("backoff", () => {
  // below the cap: base x (0.75 + 0.5 draw), base 250 ms doubling; at the cap: 5 s + 5 s x draw, as smolmesh2
  test.each([
    [0, [187.5, 375, 750, 1500, 3000, 5000, 5000]],
    [0.5, [250, 500, 1000, 2000, 4000, 7500, 7500]],
    [0.999, [312.38, 624.75, 1249.5, 2499, 4998, 9995, 9995]],
  ])("with every draw %p the waits are %p ms", (r, want) => {
    const b = new Backoff(() => r);
    expect(want.map(() => Math.round(b.next() * 100) / 100)).toEqual(want);
  });

  test("a link that stayed up 10 s starts over; a short one does not", () => {
    const b = new Backoff(() => 0.5);
    for (let i = 0; i < 6; i++) b.next();
    b.linkEnded(9_999);
    expect(b.next()).toBe(7500);
    b.linkEnded(10_000);
    expect(b.next()).toBe(250);
    expect(b.next()).toBe(500);
  });
});

/** A reactor with a hand-driven clock: timers only, fds never become ready by themselves. */
class FakeClock implements ConnectorReactor {
  now = 0;
  private timers: { at: number; fn: () => void; dead: boolean }[] = [];
  readonly handlers = new Map<number, (ready: number) => void>();

  after(ms: number, fn: () => void): Timer {
    const t = { at: this.now + ms, fn, dead: false };
    this.timers.push(t);
    return {
      at: t.at,
      cancel: () => {
        t.dead = true;
      },
    } as Timer;
  }

  add(fd: number, _interest: number, h: (ready: number) => void): Registration {
    this.handlers.set(fd, h);
    return { fd, setInterest() {}, remove: () => this.handlers.delete(fd) };
  }

  /** Runs timers due by `now + ms` in order; returns when the clock has moved. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const due = this.timers.filter((t) => !t.dead && t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.dead = true;
      this.now = due.at;
      due.fn();
    }
    this.now = end;
  }
}

test("a connector retries a refusing port at 250 ms, 500 ms, 1 s ... and links once the port answers", async () => {
  const clock = new FakeClock();
  let refuse = true;
  let nextFd = 100;
  const net = {
    connect: () => nextFd++,
    connectError: () => (refuse ? 111 : 0),
    describeError: () => "ECONNREFUSED (Connection refused)",
    close() {},
  } as unknown as NetApi;
  const attempts: number[] = [];
  const failures: [string, number][] = [];
  let connected: SocketAddress | undefined;
  const c = new Connector(
    "127.0.0.1",
    4040,
    clock,
    {
      ...net,
      connect: (a: SocketAddress) => {
        attempts.push(clock.now);
        return net.connect(a);
      },
    } as NetApi,
    {
      connected: (_fd, peer) => {
        connected = peer;
      },
      failed: (reason, retryMs) => failures.push([reason, retryMs]),
    },
    () => 0.5,
  );
  // the connect attempt runs once the (already resolved) address comes back; its socket becomes writable
  const settle = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
    for (const [, h] of clock.handlers) h(2);
  };
  c.start();
  await settle();
  for (const step of [250, 500, 1000]) {
    clock.advance(step);
    await settle();
  }
  expect(attempts).toEqual([0, 250, 750, 1750]);
  expect(failures.map(([, ms]) => ms)).toEqual([250, 500, 1000, 2000]);
  expect(failures[0]?.[0]).toBe("ECONNREFUSED (Connection refused)");
  refuse = false;
  clock.advance(2000);
  await settle();
  expect(attempts.at(-1)).toBe(3750);
  expect(connected?.port).toBe(4040);
  // the link then held 10 s: the next disconnect is retried after 250 ms again
  expect(c.linkClosed(10_000)).toBe(250);
  c.stop();
});
