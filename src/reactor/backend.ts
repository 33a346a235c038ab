/**
 * What the reactor needs from an OS: one poll-style wait. Linux implements
 * it with poll(2) (platform/linux/poll.ts); Windows will with WSAPoll. The
 * reactor speaks in these flags; each backend maps them to its own.
 */

/** Interest and readiness flags. */
export const READ = 1;
export const WRITE = 2;
/** Readiness only: error, hang-up or invalid fd (always reported). */
export const ERROR = 4;
/**
 * The "fd" is an OS event handle (Windows: Wintun's read-wait event),
 * reported ready with this bit once signalled. Only the Windows backend
 * takes it; the handler must drain its source, since the signal is not a
 * level.
 */
export const EVENT = 8;

export interface PollBackend {
  /**
   * Waits up to `timeoutMs` (-1: no limit) until one of the first `count`
   * fds is ready for what `interest[i]` asks. Writes READ/WRITE/ERROR bits
   * to `ready[i]` (0 when not ready). Returns how many are ready (0 on
   * timeout or interruption). `changed` is false when fds and interest
   * are the same as in the previous call, so the backend may reuse its
   * prepared arrays.
   */
  wait(
    fds: Int32Array,
    interest: Uint8Array,
    ready: Uint8Array,
    count: number,
    timeoutMs: number,
    changed: boolean,
  ): number;

  /**
   * File descriptors of the JavaScript runtime's own event loop. When one
   * is readable the runtime has work (a signal, a finished DNS look-up), so
   * the reactor yields to it. Empty where the runtime's loop cannot be
   * watched; the reactor then bounds its waits instead.
   */
  runtimeFds(): number[];
}
