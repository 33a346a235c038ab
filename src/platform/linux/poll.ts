/**
 * The reactor backend on poll(2). struct pollfd is { int fd; short events;
 * short revents; }: 8 bytes on every Linux ABI.
 */
import { ptr } from "bun:ffi";
import { readdirSync, readlinkSync } from "node:fs";
import { ERROR, type PollBackend, READ, WRITE } from "../../reactor/backend.ts";
import { E, errno, libc, OsError } from "./libc.ts";

const POLLIN = 0x1;
const POLLOUT = 0x4;
const POLLERR = 0x8;
const POLLHUP = 0x10;
const POLLNVAL = 0x20;

export class LinuxPoll implements PollBackend {
  private buf = new Uint8Array(8 * 64);
  private dv = new DataView(this.buf.buffer);

  wait(
    fds: Int32Array,
    interest: Uint8Array,
    ready: Uint8Array,
    count: number,
    timeoutMs: number,
    changed: boolean,
  ): number {
    if (changed || this.buf.length < count * 8) {
      if (this.buf.length < count * 8) {
        this.buf = new Uint8Array(8 * Math.max(count, 2 * (this.buf.length / 8)));
        this.dv = new DataView(this.buf.buffer);
      }
      for (let i = 0; i < count; i++) {
        const want = interest[i] as number;
        this.dv.setInt32(i * 8, fds[i] as number, true);
        this.dv.setInt16(i * 8 + 4, (want & READ ? POLLIN : 0) | (want & WRITE ? POLLOUT : 0), true);
      }
    }
    const n = libc().poll(ptr(this.buf), count, timeoutMs);
    if (n < 0) {
      const e = errno();
      if (e === E.EINTR) {
        ready.fill(0, 0, count);
        return 0;
      }
      throw new OsError("poll", e);
    }
    if (n === 0) {
      ready.fill(0, 0, count);
      return 0;
    }
    for (let i = 0; i < count; i++) {
      const rev = this.dv.getInt16(i * 8 + 6, true);
      ready[i] =
        (rev & (POLLIN | POLLHUP) ? READ : 0) |
        (rev & POLLOUT ? WRITE : 0) |
        (rev & (POLLERR | POLLHUP | POLLNVAL) ? ERROR : 0);
    }
    return n;
  }

  /** Bun's own epoll instance(s): readable when the runtime has work. */
  runtimeFds(): number[] {
    const out: number[] = [];
    for (const name of readdirSync("/proc/self/fd")) {
      try {
        if (readlinkSync(`/proc/self/fd/${name}`) === "anon_inode:[eventpoll]") out.push(Number(name));
      } catch {
        // the fd readdir itself used is already closed
      }
    }
    return out;
  }
}
