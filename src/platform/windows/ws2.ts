/**
 * ws2_32.dll through bun:ffi: the Winsock calls the Windows reactor and
 * sockets need. Loaded (and WSAStartup called) on first use. SOCKET is a
 * UINT_PTR; the reactor keeps descriptors as small integers, which Winsock
 * handles are in practice (checked where they are created: net.ts refuses
 * one above 2^31 - 1). SOCKET arguments are declared u64 and given that
 * number as it is: Bun passes a JS number to a u64 parameter as the whole
 * 64-bit value (shown under Wine: the handle plus 2^32 is refused as
 * WSAENOTSOCK, not truncated to the handle), and every integer up to 2^53
 * is exact, so no BigInt is made per recv or send. Returned SOCKETs stay
 * u64 (a BigInt): INVALID_SOCKET is 2^64 - 1, which a number cannot hold.
 */
import { dlopen, FFIType, ptr } from "bun:ffi";

const { i32, u16, u32, u64, ptr: p } = FFIType;

const SYMBOLS = {
  WSAStartup: { args: [u16, p], returns: i32 },
  WSAGetLastError: { args: [], returns: i32 },
  WSAPoll: { args: [p, u32, i32], returns: i32 },
  WSAEventSelect: { args: [u64, u64, i32], returns: i32 },
  socket: { args: [i32, i32, i32], returns: u64 },
  connect: { args: [u64, p, i32], returns: i32 },
  bind: { args: [u64, p, i32], returns: i32 },
  listen: { args: [u64, i32], returns: i32 },
  accept: { args: [u64, p, p], returns: u64 },
  recv: { args: [u64, p, i32, i32], returns: i32 },
  send: { args: [u64, p, i32, i32], returns: i32 },
  recvfrom: { args: [u64, p, i32, i32, p, p], returns: i32 },
  sendto: { args: [u64, p, i32, i32, p, i32], returns: i32 },
  closesocket: { args: [u64], returns: i32 },
  shutdown: { args: [u64, i32], returns: i32 },
  ioctlsocket: { args: [u64, i32, p], returns: i32 },
  setsockopt: { args: [u64, i32, i32, p, i32], returns: i32 },
  getsockopt: { args: [u64, i32, i32, p, p], returns: i32 },
  getsockname: { args: [u64, p, p], returns: i32 },
  getpeername: { args: [u64, p, p], returns: i32 },
} as const;

type Lib = ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"];
let lib: Lib | undefined;

export function ws2(): Lib {
  if (!lib) {
    lib = dlopen("ws2_32.dll", SYMBOLS).symbols;
    const data = new Uint8Array(512); // WSADATA
    const rc = lib.WSAStartup(0x0202, ptr(data));
    if (rc !== 0) throw new WsaError("WSAStartup", rc);
  }
  return lib;
}

/** Winsock error codes smolmesh acts on. */
export const WSA = {
  EINTR: 10004,
  EACCES: 10013,
  EINVAL: 10022,
  EWOULDBLOCK: 10035,
  EINPROGRESS: 10036,
  EMSGSIZE: 10040,
  EALREADY: 10037,
  EADDRINUSE: 10048,
  EADDRNOTAVAIL: 10049,
  ENETUNREACH: 10051,
  ECONNABORTED: 10053,
  ECONNRESET: 10054,
  ETIMEDOUT: 10060,
  ECONNREFUSED: 10061,
  EHOSTUNREACH: 10065,
  ENETRESET: 10052,
} as const;

const NAMES = new Map<number, string>(Object.entries(WSA).map(([k, v]) => [v, `WSA${k}`]));
const TEXT: Record<number, string> = {
  [WSA.ECONNREFUSED]: "Connection refused",
  [WSA.ECONNRESET]: "Connection reset by peer",
  [WSA.ETIMEDOUT]: "Connection timed out",
  [WSA.EADDRINUSE]: "Address already in use",
  [WSA.EADDRNOTAVAIL]: "Cannot assign requested address",
  [WSA.ENETUNREACH]: "Network is unreachable",
  [WSA.EHOSTUNREACH]: "No route to host",
  [WSA.EACCES]: "Permission denied",
};

/** A Winsock call that failed: names the call and the error. */
export class WsaError extends Error {
  override readonly name = "WsaError";
  constructor(
    readonly call: string,
    readonly code: number,
    detail?: string,
  ) {
    super(`${call}${detail ? ` ${detail}` : ""}: ${describeWsa(code)}`);
  }
}

export function describeWsa(code: number): string {
  return `${NAMES.get(code) ?? `error ${code}`}${TEXT[code] ? ` (${TEXT[code]})` : ""}`;
}

export function lastError(): number {
  return ws2().WSAGetLastError();
}
