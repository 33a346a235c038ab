/**
 * The service manager's end of sd_notify, for tests: a Unix datagram socket
 * at a path (NOTIFY_SOCKET for the node), read without blocking. `fill()`
 * queues datagrams of its own until the socket takes no more, so the
 * node's next notification (a blocking send) waits inside sendto until the
 * test reads: the node is held at the moment it says READY=1, and the test
 * can look at what it has set up by then.
 */
import { ptr } from "bun:ffi";
import { libc } from "../../src/platform/linux/libc.ts";

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
const FILLER = "filler";

function sockaddr(path: string): Uint8Array {
  const name = new TextEncoder().encode(path);
  const sa = new Uint8Array(2 + name.length + 1);
  new DataView(sa.buffer).setUint16(0, AF_UNIX, true);
  sa.set(name, 2);
  return sa;
}

export class NotifySocket {
  private readonly fd: number;
  private readonly sa: Uint8Array;
  private held = 0;

  constructor(readonly path: string) {
    this.sa = sockaddr(path);
    this.fd = libc().socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (this.fd < 0 || libc().bind(this.fd, ptr(this.sa), this.sa.length) < 0) {
      throw new Error(`cannot bind a datagram socket at ${path}`);
    }
  }

  /** Queues filler datagrams until the socket's queue is full; how many it took. */
  fill(): number {
    const fd = libc().socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const msg = new TextEncoder().encode(FILLER);
    let n = 0;
    while (Number(libc().sendto(fd, ptr(msg), msg.length, MSG_DONTWAIT, ptr(this.sa), this.sa.length)) === msg.length) {
      n++;
      if (n > 100_000) throw new Error("the notify socket's queue never filled");
    }
    libc().close(fd);
    this.held += n;
    return n;
  }

  /** Every datagram waiting now, filler left out. */
  receive(): string[] {
    const buf = new Uint8Array(4096);
    const got: string[] = [];
    for (;;) {
      const n = Number(libc().recv(this.fd, ptr(buf), buf.length, MSG_DONTWAIT));
      if (n < 0) return got;
      const text = new TextDecoder().decode(buf.subarray(0, n));
      if (text === FILLER) this.held--;
      else got.push(text);
    }
  }

  close(): void {
    libc().close(this.fd);
  }
}
