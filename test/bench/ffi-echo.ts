/**
 * The runtime's floor for a round trip (root): the least a Bun program can
 * do to carry a packet between a TUN device and a TCP socket through
 * bun:ffi, with none of smolmesh's work (no cipher, no router, no
 * reactor): one poll(2) on two descriptors, read, prefix a 2-byte length,
 * write. Run one per namespace, the listener first; routes send the
 * peer's address into the device.
 *
 *   bun test/bench/ffi-echo.ts --listen 4720 --addr 10.89.0.1 --peer 10.89.0.2
 *   bun test/bench/ffi-echo.ts --connect 10.78.0.1:4720 --addr 10.89.0.2 --peer 10.89.0.1
 *
 * Then ping the peer's address; what the mesh adds over this is ours.
 * `--alloc N` makes N KiB of garbage per packet (a stand-in for the
 * collector's share); `--yield` awaits a macrotask after each wake-up as
 * the reactor did.
 */
import { ptr } from "bun:ffi";
import { parseArgs } from "node:util";
import { parseIpv4 } from "../../src/addr/parse.ts";
import { libc } from "../../src/platform/linux/libc.ts";
import { linuxNet } from "../../src/platform/linux/net.ts";
import { LinuxTun } from "../../src/platform/linux/tun-device.ts";

const { values } = parseArgs({
  options: {
    listen: { type: "string" },
    connect: { type: "string" },
    addr: { type: "string" },
    peer: { type: "string" },
    alloc: { type: "string", default: "0" },
    yield: { type: "boolean", default: false },
  },
});
const addr = parseIpv4(values.addr ?? "");
const peer = parseIpv4(values.peer ?? "");
if (!addr || !peer || (!values.listen && !values.connect))
  throw new Error("need --addr, --peer and --listen or --connect");

let sock: number;
if (values.listen) {
  const l = linuxNet.listen({ ip: new Uint8Array(16), port: Number(values.listen) }, 1);
  const pfd = new Int32Array([l, 1]);
  libc().poll(ptr(pfd), 1, -1);
  sock = (linuxNet.accept(l) as { fd: number }).fd;
} else {
  const [host, port] = (values.connect as string).split(":");
  sock = linuxNet.connect({ ip: parseIpv4(host as string) as Uint8Array, port: Number(port) });
  const pfd = new Int32Array([sock, 4]);
  libc().poll(ptr(pfd), 1, -1);
  if (linuxNet.connectError(sock)) throw new Error("connect failed");
}
const tun = new LinuxTun({ name: "echo0", mtu: 65000, addresses: [addr] });
tun.addRoute(peer);
process.on("SIGTERM", () => {
  tun.close();
  process.exit(0);
});

const POLLIN = 1;
// struct pollfd[2]; the ArrayBuffer is made before ptr() (asking a small
// typed array for .buffer later moves its storage)
const fds = new Int32Array(new ArrayBuffer(16));
fds.set([tun.fd, POLLIN, sock, POLLIN]);
const revents = new Int16Array(fds.buffer);
const pfds = ptr(fds);
const out = new Uint8Array(70_000);
const inb = new Uint8Array(1 << 20);
let have = 0;
const garbage = Number(values.alloc) * 1024;
let keep: Uint8Array | undefined;

for (;;) {
  libc().poll(pfds, 2, -1);
  if ((revents[3] as number) !== 0) {
    for (;;) {
      const n = tun.read(out, 2, out.length - 2);
      if (n <= 0) break;
      out[0] = n >> 8;
      out[1] = n & 0xff;
      linuxNet.write(sock, out, 0, n + 2);
      if (garbage) keep = new Uint8Array(garbage);
    }
  }
  if ((revents[7] as number) !== 0) {
    const n = linuxNet.read(sock, inb, have, inb.length - have);
    if (n === 0) break;
    if (n > 0) have += n;
    let at = 0;
    while (have - at >= 2) {
      const len = ((inb[at] as number) << 8) | (inb[at + 1] as number);
      if (have - at < 2 + len) break;
      tun.write(inb, at + 2, len);
      at += 2 + len;
    }
    inb.copyWithin(0, at, have);
    have -= at;
  }
  if (values.yield) await new Promise<void>((r) => setImmediate(r));
}
void keep;
tun.close();
