/**
 * The reactor backend on Windows: WSAPoll for sockets, and, when the
 * reactor also holds an event handle (Wintun's read-wait event), a wait on
 * both at once. Bun's own loop on Windows is IOCP, which cannot be waited
 * on from here, so there are no runtime fds and the reactor bounds each
 * wait instead (see reactor.ts).
 *
 * Why WSAPoll: it keeps the poll(2) shape the reactor is written for and
 * has no limit on sockets (WaitForMultipleObjects takes 64 handles, too few
 * for a hub if each socket had its own event). WSAPoll cannot wait on an
 * event handle, though. With one in the set, every socket is tied to one
 * shared event with WSAEventSelect, and a wait is:
 *
 *   1. reset the shared event;
 *   2. WSAPoll with timeout 0 and test each event handle: anything ready
 *      returns at once (this is also the level check that WSAEventSelect's
 *      edge-style notifications lack);
 *   3. otherwise WaitForMultipleObjects on the shared event and the event
 *      handles, then 2. again without waiting.
 *
 * Anything that happens on a socket after 1. sets the shared event, so 3.
 * cannot sleep through it. WSAPOLLFD is { SOCKET fd; SHORT events; SHORT
 * revents; }: 16 bytes on x64.
 */
import { ptr } from "bun:ffi";
import { ERROR, EVENT, type PollBackend, READ, WRITE } from "../../reactor/backend.ts";
import { kernel32, lastError as lastWinError, MAXIMUM_WAIT_OBJECTS, WAIT_FAILED, WAIT_TIMEOUT } from "./kernel32.ts";
import { lastError, WSA, WsaError, ws2 } from "./ws2.ts";

const POLLRDNORM = 0x0100;
const POLLWRNORM = 0x0010;
const POLLERR = 0x0001;
const POLLHUP = 0x0002;
const POLLNVAL = 0x0004;
const SIZE = 16;
/** FD_READ | FD_WRITE | FD_OOB | FD_ACCEPT | FD_CONNECT | FD_CLOSE */
const FD_ALL = 0x3f;

export class WindowsPoll implements PollBackend {
  private buf = new Uint8Array(SIZE * 64);
  private dv = new DataView(this.buf.buffer);
  /** Reactor slot of each WSAPOLLFD entry. */
  private sockSlot = new Int32Array(64);
  private sockets = 0;
  /** Reactor slots of the event handles; their handles follow the shared event in `handles`. */
  private eventSlot: number[] = [];
  private readonly handles = new BigUint64Array(MAXIMUM_WAIT_OBJECTS);
  /** The same event handles as numbers (kernel handles are small), so testing one makes no BigInt. */
  private eventHandle: number[] = [];
  private shared = 0n;
  /** Reactor slots of sockets WSAEventSelect refused (closed under us): reported as errors. */
  private bad: number[] = [];

  wait(
    fds: Int32Array,
    interest: Uint8Array,
    ready: Uint8Array,
    count: number,
    timeoutMs: number,
    changed: boolean,
  ): number {
    if (changed) this.prepare(fds, interest, count);
    ready.fill(0, 0, count);
    if (this.eventSlot.length === 0) {
      if (this.sockets === 0) {
        // WSAPoll rejects an empty set; nothing to watch means just wait
        Bun.sleepSync(Math.max(0, timeoutMs));
        return 0;
      }
      return this.poll(ready, timeoutMs);
    }
    if (this.bad.length) {
      for (const slot of this.bad) ready[slot] = ERROR;
      return this.bad.length;
    }
    const k32 = kernel32();
    k32.ResetEvent(this.shared);
    let n = this.poll(ready, 0) + this.events(ready, -1);
    if (n > 0 || timeoutMs === 0) return n;
    const r = k32.WaitForMultipleObjects(this.eventSlot.length + 1, ptr(this.handles), 0, timeoutMs);
    if (r === WAIT_TIMEOUT) return 0;
    if (r === WAIT_FAILED || r > this.eventSlot.length) {
      throw new Error(`WaitForMultipleObjects: Windows error ${lastWinError()}`);
    }
    // r is the first signalled handle: 0 the sockets' event, k the k-th event handle
    if (r > 0) {
      ready[this.eventSlot[r - 1] as number] = EVENT;
      n++;
    }
    return n + this.poll(ready, 0) + this.events(ready, r - 1);
  }

  runtimeFds(): number[] {
    return [];
  }

  private prepare(fds: Int32Array, interest: Uint8Array, count: number): void {
    if (this.buf.length < count * SIZE) {
      this.buf = new Uint8Array(SIZE * Math.max(count, 2 * (this.buf.length / SIZE)));
      this.dv = new DataView(this.buf.buffer);
      this.sockSlot = new Int32Array(this.buf.length / SIZE);
    }
    this.sockets = 0;
    this.eventSlot = [];
    this.eventHandle = [];
    this.bad = [];
    for (let i = 0; i < count; i++) {
      const want = interest[i] as number;
      if (want & EVENT) {
        if (this.eventSlot.length + 1 >= MAXIMUM_WAIT_OBJECTS) throw new Error("too many event handles for one wait");
        this.handles[this.eventSlot.length + 1] = BigInt(fds[i] as number);
        this.eventHandle.push(fds[i] as number);
        this.eventSlot.push(i);
        continue;
      }
      const at = this.sockets * SIZE;
      // a SOCKET is 64 bits; the reactor's descriptors are below 2^31 (net.ts refuses others)
      this.dv.setUint32(at, fds[i] as number, true);
      this.dv.setUint32(at + 4, 0, true);
      this.dv.setInt16(at + 8, (want & READ ? POLLRDNORM : 0) | (want & WRITE ? POLLWRNORM : 0), true);
      this.dv.setInt16(at + 10, 0, true);
      this.sockSlot[this.sockets++] = i;
    }
    if (this.eventSlot.length === 0) return;
    if (this.shared === 0n) {
      this.shared = BigInt(kernel32().CreateEventW(null, 1, 0, null));
      if (this.shared === 0n) throw new Error(`CreateEventW: Windows error ${lastWinError()}`);
      this.handles[0] = this.shared;
    }
    // (again) for every socket: a socket closed since may have given its
    // handle value to a new one, which is not tied to the event yet
    const w = ws2();
    for (let s = 0; s < this.sockets; s++) {
      const sock = this.dv.getUint32(s * SIZE, true);
      // a socket that is no longer one (closed under us) is that registration's error, not the loop's
      if (w.WSAEventSelect(sock, this.shared, FD_ALL) !== 0) this.bad.push(this.sockSlot[s] as number);
    }
  }

  /** WSAPoll over the sockets; marks `ready` and returns how many are ready. */
  private poll(ready: Uint8Array, timeoutMs: number): number {
    if (this.sockets === 0) return 0;
    const n = ws2().WSAPoll(ptr(this.buf), this.sockets, timeoutMs);
    if (n < 0) {
      const e = lastError();
      if (e === WSA.EINTR) return 0;
      throw new WsaError("WSAPoll", e);
    }
    if (n === 0) return 0;
    for (let s = 0; s < this.sockets; s++) {
      const rev = this.dv.getInt16(s * SIZE + 10, true);
      if (rev === 0) continue;
      ready[this.sockSlot[s] as number] =
        (rev & (POLLRDNORM | POLLHUP) ? READ : 0) |
        (rev & POLLWRNORM ? WRITE : 0) |
        (rev & (POLLERR | POLLHUP | POLLNVAL) ? ERROR : 0);
    }
    return n;
  }

  /** Tests each event handle without waiting (except the one at `skip`, already known signalled). */
  private events(ready: Uint8Array, skip: number): number {
    let n = 0;
    const k32 = kernel32();
    for (let e = 0; e < this.eventSlot.length; e++) {
      if (e === skip) continue;
      if (k32.WaitForSingleObject(this.eventHandle[e] as number, 0) === 0) {
        ready[this.eventSlot[e] as number] = EVENT;
        n++;
      }
    }
    return n;
  }
}
