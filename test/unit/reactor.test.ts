/** The poll reactor on real loopback sockets, and its timer heap against a model. */
import { expect, test } from "bun:test";
import { lookup } from "node:dns/promises";
import fc from "fast-check";
import { linuxNet } from "../../src/platform/linux/net.ts";
import { LinuxPoll } from "../../src/platform/linux/poll.ts";
import { READ, Reactor, WRITE } from "../../src/reactor/reactor.ts";
import { TimerHeap } from "../../src/reactor/timer-heap.ts";

const LOOPBACK = Uint8Array.from([127, 0, 0, 1]);

test("timer heap pops in (time, insertion) order, with cancellations, like a sorted list", () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.boolean())), (items) => {
      const heap = new TimerHeap();
      const model: [number, number][] = [];
      items.forEach(([at, cancel], i) => {
        const t = heap.add(at, () => i);
        if (cancel) t.cancel();
        else model.push([at, i]);
      });
      model.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      const got: number[] = [];
      for (let fn = heap.popDue(100); fn; fn = heap.popDue(100)) got.push(fn() as unknown as number);
      expect(got).toEqual(model.map(([, i]) => i));
      expect(heap.size).toBe(0);
    }),
  );
});

test("timers fire in order and a cancelled one never fires", async () => {
  const r = new Reactor(new LinuxPoll());
  const fired: string[] = [];
  r.after(30, () => fired.push("c"));
  r.after(10, () => fired.push("a"));
  const t = r.after(20, () => fired.push("never"));
  r.after(20, () => fired.push("b"));
  t.cancel();
  r.after(40, () => r.stop());
  await r.run();
  expect(fired).toEqual(["a", "b", "c"]);
});

test("a TCP round trip over loopback through the reactor", async () => {
  const r = new Reactor(new LinuxPoll());
  const lfd = linuxNet.listen({ ip: LOOPBACK, port: 0 }, 8);
  const port = linuxNet.localAddress(lfd)?.port as number;
  const got: string[] = [];
  let server = -1;
  const cleanup: number[] = [lfd];
  r.add(lfd, READ, () => {
    const c = linuxNet.accept(lfd);
    if (!c) return;
    server = c.fd;
    cleanup.push(c.fd);
    r.add(c.fd, READ, () => {
      const buf = new Uint8Array(64);
      const n = linuxNet.read(c.fd, buf, 0, 64);
      if (n > 0) linuxNet.write(c.fd, buf, 0, n); // echo
    });
  });
  const cfd = linuxNet.connect({ ip: LOOPBACK, port });
  cleanup.push(cfd);
  const reg = r.add(cfd, WRITE, (ready) => {
    if (ready & WRITE) {
      expect(linuxNet.connectError(cfd)).toBe(0);
      const msg = new TextEncoder().encode("ping");
      linuxNet.write(cfd, msg, 0, msg.length);
      reg.setInterest(READ);
      return;
    }
    const buf = new Uint8Array(64);
    const n = linuxNet.read(cfd, buf, 0, 64);
    got.push(new TextDecoder().decode(buf.subarray(0, n)));
    r.stop();
  });
  const guard = r.after(5000, () => r.stop());
  await r.run();
  guard.cancel();
  for (const fd of cleanup) linuxNet.close(fd);
  expect(server).toBeGreaterThan(0);
  expect(got).toEqual(["ping"]);
});

test("a refused connect reports ECONNREFUSED", async () => {
  const r = new Reactor(new LinuxPoll());
  const lfd = linuxNet.listen({ ip: LOOPBACK, port: 0 }, 1);
  const port = linuxNet.localAddress(lfd)?.port as number;
  linuxNet.close(lfd); // nobody listens there now
  const fd = linuxNet.connect({ ip: LOOPBACK, port });
  let err = -1;
  r.add(fd, WRITE, () => {
    err = linuxNet.connectError(fd);
    r.stop();
  });
  await r.run();
  linuxNet.close(fd);
  expect(linuxNet.describeError(err)).toMatch(/^ECONNREFUSED/);
});

test("while the reactor sleeps, the runtime's DNS look-ups and timers still complete", async () => {
  const r = new Reactor(new LinuxPoll());
  const done: string[] = [];
  lookup("localhost").then(() => done.push("dns"));
  setTimeout(() => done.push("bun timer"), 20);
  const check = r.every(10, () => {
    if (done.length === 2) r.stop();
  });
  const guard = r.after(5000, () => r.stop());
  await r.run();
  check.cancel();
  guard.cancel();
  expect(done.sort()).toEqual(["bun timer", "dns"]);
});

test("an idle reactor sleeps instead of spinning", async () => {
  const r = new Reactor(new LinuxPoll());
  r.after(300, () => r.stop());
  await r.run();
  expect(r.turns).toBeLessThan(10);
});

test("a handler that removes another registration: the removed one is not called", async () => {
  const r = new Reactor(new LinuxPoll());
  const lfd = linuxNet.listen({ ip: LOOPBACK, port: 0 }, 8);
  const port = linuxNet.localAddress(lfd)?.port as number;
  const a = linuxNet.connect({ ip: LOOPBACK, port });
  const b = linuxNet.connect({ ip: LOOPBACK, port });
  const calls: string[] = [];
  // both become writable in the same turn; whichever runs first removes the other
  const regs: { remove(): void }[] = [];
  regs[0] = r.add(a, WRITE, () => {
    calls.push("a");
    regs[1]?.remove();
    regs[0]?.remove();
    r.stop();
  });
  regs[1] = r.add(b, WRITE, () => {
    calls.push("b");
    regs[0]?.remove();
    regs[1]?.remove();
    r.stop();
  });
  await r.run();
  for (const fd of [a, b, lfd]) linuxNet.close(fd);
  expect(calls.length).toBe(1);
});
