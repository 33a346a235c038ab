/**
 * The node's TUN side against a fake device and a hand-driven reactor: a
 * packet with no route is answered with ICMP unreachable, at most 100 a
 * second (a flood of unroutable packets must not become a flood of answers).
 */
import { expect, test } from "bun:test";
import { nameToIpv6 } from "../../src/addr/node-name.ts";
import { WasmHeap } from "../../src/crypto/heap.ts";
import { Logger } from "../../src/node/log.ts";
import { loadPacketHash } from "../../src/node/packet-hash.ts";
import { TunPort } from "../../src/node/tun-port.ts";
import type { TunDevice } from "../../src/platform/tun-api.ts";
import type { Reactor } from "../../src/reactor/reactor.ts";
import { makeRouter } from "../helpers/router-harness.ts";
import { hex } from "../helpers/vectors.ts";

/** A UDP-over-IPv6 packet from `src` to an address nobody announces. */
function unroutable(seq: number): Uint8Array {
  const p = new Uint8Array(48);
  p[0] = 0x60;
  p[5] = 8;
  p[6] = 17;
  p[7] = 64;
  p.set(hex("fd00000000000000000000000000abcd"), 8);
  p.set(hex("fd00dead000000000000000000000001"), 24);
  new DataView(p.buffer).setUint32(44, seq);
  return p;
}

async function harness() {
  let clock = 0;
  let readable: ((ready: number) => void) | undefined;
  const reactor = {
    now: () => clock,
    add: (_fd: number, _interest: number, handler: (ready: number) => void) => {
      readable = handler;
      return { fd: 3, setInterest() {}, remove() {} };
    },
    after: () => ({ cancel() {} }),
  } as unknown as Reactor;
  const queue: Uint8Array[] = [];
  const written: Uint8Array[] = [];
  const dev: TunDevice = {
    fd: 3,
    name: "fake0",
    routeCount: 0,
    read(buf, off) {
      const p = queue.shift();
      if (!p) return -1;
      buf.set(p, off);
      return p.length;
    },
    write(buf, off, len) {
      written.push(buf.slice(off, off + len));
      return len;
    },
    addRoute() {},
    deleteRoute() {},
    close() {},
  };
  const { router } = makeRouter(await loadPacketHash(), { name: "tun-port-test" });
  const port = new TunPort(
    dev,
    reactor,
    router,
    { ipv6: nameToIpv6("tun-port-test"), ipv4: undefined },
    new Logger({ sink: { write() {} } }),
    new WasmHeap(),
  );
  /** `n` unroutable packets arrive at `at` ms; the reactor hands the device to the port until it is empty. */
  const arrive = (at: number, n: number) => {
    clock = at;
    for (let i = 0; i < n; i++) queue.push(unroutable(i));
    while (queue.length) readable?.(1);
  };
  return { port, written, arrive };
}

test("packets with no route are answered with ICMPv6 unreachable, at most 100 a second", async () => {
  const { port, written, arrive } = await harness();
  arrive(0, 250);
  expect(port.stats.noRoute).toBe(250);
  expect(written.length).toBe(100);
  expect(port.stats.icmpSent).toBe(100);
  // each answer is "destination unreachable, no route" back to the sender, from the node's address
  const a = written[0] as Uint8Array;
  expect([(a[0] as number) >> 4, a[6], a[40], a[41]]).toEqual([6, 58, 1, 0]);
  expect(Buffer.from(a.subarray(8, 24)).equals(Buffer.from(nameToIpv6("tun-port-test")))).toBe(true);
  expect(Buffer.from(a.subarray(24, 40)).toString("hex")).toBe("fd00000000000000000000000000abcd");

  arrive(999, 50); // the same second: nothing more
  expect(port.stats.noRoute).toBe(300);
  expect(written.length).toBe(100);

  arrive(1000, 150); // the next second: another 100
  expect(port.stats.noRoute).toBe(450);
  expect(written.length).toBe(200);
  expect(port.stats.icmpSent).toBe(200);
});
