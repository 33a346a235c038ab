/**
 * libc through bun:ffi: the system calls the Linux reactor, sockets and TUN
 * need. Opened on first use, never at import. FFI types stay in this
 * folder; callers get numbers, typed arrays and OsError.
 */
import { dlopen, FFIType, read } from "bun:ffi";

const { i32, u32, u64, ptr, i64_fast } = FFIType;

const SYMBOLS = {
  __errno_location: { args: [], returns: ptr },
  strerror: { args: [i32], returns: FFIType.cstring },
  poll: { args: [ptr, u64, i32], returns: i32 },
  socket: { args: [i32, i32, i32], returns: i32 },
  connect: { args: [i32, ptr, u32], returns: i32 },
  bind: { args: [i32, ptr, u32], returns: i32 },
  listen: { args: [i32, i32], returns: i32 },
  accept4: { args: [i32, ptr, ptr, i32], returns: i32 },
  setsockopt: { args: [i32, i32, i32, ptr, u32], returns: i32 },
  getsockopt: { args: [i32, i32, i32, ptr, ptr], returns: i32 },
  getsockname: { args: [i32, ptr, ptr], returns: i32 },
  getpeername: { args: [i32, ptr, ptr], returns: i32 },
  shutdown: { args: [i32, i32], returns: i32 },
  read: { args: [i32, ptr, u64], returns: i64_fast },
  write: { args: [i32, ptr, u64], returns: i64_fast },
  close: { args: [i32], returns: i32 },
  open: { args: [ptr, i32, i32], returns: i32 },
  ioctl: { args: [i32, u64, ptr], returns: i32 },
  geteuid: { args: [], returns: u32 },
  sendto: { args: [i32, ptr, u64, i32, ptr, u32], returns: i64_fast },
  recv: { args: [i32, ptr, u64, i32], returns: i64_fast },
  recvfrom: { args: [i32, ptr, u64, i32, ptr, ptr], returns: i64_fast },
  if_nametoindex: { args: [ptr], returns: u32 },
} as const;

type Lib = ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"];
let lib: Lib | undefined;
let errnoAt = 0;

export function libc(): Lib {
  if (!lib) {
    lib = dlopen("libc.so.6", SYMBOLS).symbols;
    errnoAt = Number(lib.__errno_location());
  }
  return lib;
}

/** errno of the last failed call on this thread; read it right after the call. */
export function errno(): number {
  libc();
  return read.i32(errnoAt as unknown as Parameters<typeof read.i32>[0], 0);
}

/** Linux errno values smolmesh acts on (same on x86_64 and arm64). */
export const E = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EBADF: 9,
  EAGAIN: 11,
  EACCES: 13,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  EPIPE: 32,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  EMSGSIZE: 90,
  ENETUNREACH: 101,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTUNREACH: 113,
  EINPROGRESS: 115,
} as const;

const NAMES = new Map<number, string>(Object.entries(E).map(([k, v]) => [v, k]));

/** An OS call that failed: names the call and the errno. */
export class OsError extends Error {
  override readonly name = "OsError";
  constructor(
    readonly syscall: string,
    readonly errno: number,
    detail?: string,
  ) {
    const code = NAMES.get(errno) ?? `errno ${errno}`;
    super(`${syscall}${detail ? ` ${detail}` : ""}: ${code} (${String(libc().strerror(errno))})`);
  }

  get code(): string {
    return NAMES.get(this.errno) ?? `E${this.errno}`;
  }
}

/** Throws OsError when `rc` is negative. */
export function check(syscall: string, rc: number, detail?: string): number {
  if (rc < 0) throw new OsError(syscall, errno(), detail);
  return rc;
}
