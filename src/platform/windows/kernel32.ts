/**
 * kernel32.dll through bun:ffi: the error code and the event and wait calls
 * the Windows backend and Wintun need. Loaded on first use.
 */
import { dlopen, FFIType } from "bun:ffi";

const { i32, u32, u64, ptr: p } = FFIType;

const SYMBOLS = {
  GetLastError: { args: [], returns: u32 },
  CreateEventW: { args: [p, i32, i32, p], returns: u64 },
  ResetEvent: { args: [u64], returns: i32 },
  CloseHandle: { args: [u64], returns: i32 },
  WaitForSingleObject: { args: [u64, u32], returns: u32 },
  WaitForMultipleObjects: { args: [u32, p, i32, u32], returns: u32 },
} as const;

type Lib = ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"];
let lib: Lib | undefined;

export function kernel32(): Lib {
  lib ??= dlopen("kernel32.dll", SYMBOLS).symbols;
  return lib;
}

export const WAIT_OBJECT_0 = 0;
export const WAIT_TIMEOUT = 0x102;
export const WAIT_FAILED = 0xffffffff;
/** WaitForMultipleObjects takes at most this many handles. */
export const MAXIMUM_WAIT_OBJECTS = 64;

export function lastError(): number {
  return kernel32().GetLastError();
}
