/**
 * The reactor backend on WSAPoll. WSAPOLLFD is { SOCKET fd; SHORT events;
 * SHORT revents; }: 16 bytes on x64. Bun's own loop on Windows is IOCP,
 * which WSAPoll cannot watch, so there are no runtime fds and the reactor
 * bounds each wait instead (see reactor.ts).
 *
 * Why WSAPoll and not WSAEventSelect + WaitForMultipleObjects: the latter
 * waits on at most 64 handles, too few for a hub node, and turns every
 * socket into an event object; WSAPoll keeps the poll(2) shape the rest of
 * the reactor is written for.
 */
import { ptr } from "bun:ffi";
import { ERROR, type PollBackend, READ, WRITE } from "../../reactor/backend.ts";
import { lastError, WSA, WsaError, ws2 } from "./ws2.ts";

const POLLRDNORM = 0x0100;
const POLLWRNORM = 0x0010;
const POLLERR = 0x0001;
const POLLHUP = 0x0002;
const POLLNVAL = 0x0004;
const SIZE = 16;

export class WindowsPoll implements PollBackend {
  private buf = new Uint8Array(SIZE * 64);
  private dv = new DataView(this.buf.buffer);

  wait(
    fds: Int32Array,
    interest: Uint8Array,
    ready: Uint8Array,
    count: number,
    timeoutMs: number,
    changed: boolean,
  ): number {
    if (count === 0) {
      // WSAPoll rejects an empty set; nothing to watch means just wait
      Bun.sleepSync(Math.max(0, timeoutMs));
      return 0;
    }
    if (changed || this.buf.length < count * SIZE) {
      if (this.buf.length < count * SIZE) {
        this.buf = new Uint8Array(SIZE * Math.max(count, 2 * (this.buf.length / SIZE)));
        this.dv = new DataView(this.buf.buffer);
      }
      for (let i = 0; i < count; i++) {
        const want = interest[i] as number;
        this.dv.setBigUint64(i * SIZE, BigInt(fds[i] as number), true);
        this.dv.setInt16(i * SIZE + 8, (want & READ ? POLLRDNORM : 0) | (want & WRITE ? POLLWRNORM : 0), true);
        this.dv.setInt16(i * SIZE + 10, 0, true);
      }
    }
    const n = ws2().WSAPoll(ptr(this.buf), count, timeoutMs);
    if (n < 0) {
      const e = lastError();
      if (e === WSA.EINTR) return 0;
      throw new WsaError("WSAPoll", e);
    }
    if (n === 0) {
      ready.fill(0, 0, count);
      return 0;
    }
    for (let i = 0; i < count; i++) {
      const rev = this.dv.getInt16(i * SIZE + 10, true);
      ready[i] =
        (rev & (POLLRDNORM | POLLHUP) ? READ : 0) |
        (rev & POLLWRNORM ? WRITE : 0) |
        (rev & (POLLERR | POLLHUP | POLLNVAL) ? ERROR : 0);
    }
    return n;
  }

  runtimeFds(): number[] {
    return [];
  }
}
