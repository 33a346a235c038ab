/**
 * The TUN device on Windows: Wintun (wintun.dll, https://www.wintun.net)
 * through bun:ffi. One adapter named after `interface_name`, one session
 * with a 4 MiB ring; packets are copied between Wintun's ring and the
 * caller's buffer.
 *
 * Wintun signals new packets with an event handle, which WSAPoll cannot
 * wait on; the device is therefore polled by the reactor each turn (fd -1),
 * and the reactor keeps its waits short while packets flow (see TunPort).
 *
 * Not done yet: the adapter's addresses and the mesh routes (iphlpapi
 * CreateUnicastIpAddressEntry / CreateIpForwardEntry2); `addRoute` only
 * records them, and the node says so at start.
 */
import { dlopen, FFIType, ptr, toArrayBuffer } from "bun:ffi";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import type { TunDevice, TunOptions } from "../tun-api.ts";

const { ptr: p, u32, void: none } = FFIType;

const WINTUN = {
  WintunCreateAdapter: { args: [p, p, p], returns: p },
  WintunCloseAdapter: { args: [p], returns: none },
  WintunStartSession: { args: [p, u32], returns: p },
  WintunEndSession: { args: [p], returns: none },
  WintunReceivePacket: { args: [p, p], returns: p },
  WintunReleaseReceivePacket: { args: [p, p], returns: none },
  WintunAllocateSendPacket: { args: [p, u32], returns: p },
  WintunSendPacket: { args: [p, p], returns: none },
} as const;

const ERROR_ACCESS_DENIED = 5;
const ERROR_NO_MORE_ITEMS = 259;
const ERROR_BUFFER_OVERFLOW = 111;
const RING_CAPACITY = 0x400000;

/** Wintun refused because the process is not elevated. */
export class WintunPrivilegeError extends Error {
  override readonly name = "WintunPrivilegeError";
}

let kernel32: { GetLastError: () => number } | undefined;
function lastError(): number {
  kernel32 ??= dlopen("kernel32.dll", { GetLastError: { args: [], returns: u32 } }).symbols;
  return kernel32.GetLastError();
}

const wide = (s: string) => {
  const b = new Uint16Array(s.length + 1);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
};

/** Where wintun.dll is looked for when the config does not say: beside the executable. */
export function defaultWintunPath(): string {
  return join(dirname(process.execPath), "wintun.dll");
}

export class WintunDevice implements TunDevice {
  readonly fd = -1;
  readonly name: string;
  private readonly lib: ReturnType<typeof dlopen<typeof WINTUN>>["symbols"];
  private adapter: ReturnType<ReturnType<typeof dlopen<typeof WINTUN>>["symbols"]["WintunCreateAdapter"]>;
  private session: typeof this.adapter;
  private readonly size = new Uint32Array(1);
  private readonly routes = new Map<string, Uint8Array>();

  constructor(opts: TunOptions & { dll?: string }) {
    const path = opts.dll ?? defaultWintunPath();
    if (!existsSync(path)) {
      throw new Error(
        `wintun.dll not found at ${path}: download Wintun from https://www.wintun.net and put wintun.dll beside smolmesh.exe, or set wintun_dll in the config`,
      );
    }
    this.lib = dlopen(path, WINTUN).symbols;
    this.name = opts.name;
    this.adapter = this.lib.WintunCreateAdapter(ptr(wide(opts.name)), ptr(wide("smolmesh")), null);
    if (!this.adapter) {
      const e = lastError();
      if (e === ERROR_ACCESS_DENIED) {
        throw new WintunPrivilegeError(
          "needs Administrator to create the Wintun adapter; run from an elevated prompt, or set windows_tuntap to false for a relay node",
        );
      }
      throw new Error(`WintunCreateAdapter ${opts.name}: Windows error ${e}`);
    }
    this.session = this.lib.WintunStartSession(this.adapter, RING_CAPACITY);
    if (!this.session) {
      const e = lastError();
      this.lib.WintunCloseAdapter(this.adapter);
      throw new Error(`WintunStartSession ${opts.name}: Windows error ${e}`);
    }
  }

  read(buf: Uint8Array, off: number, len: number): number {
    if (!this.session) return -1;
    const packet = this.lib.WintunReceivePacket(this.session, ptr(this.size));
    if (!packet) {
      const e = lastError();
      if (e === ERROR_NO_MORE_ITEMS) return -1;
      throw new Error(`WintunReceivePacket: Windows error ${e}`);
    }
    const n = this.size[0] as number;
    try {
      if (n > len) return 0; // larger than any frame can carry: dropped
      buf.set(new Uint8Array(toArrayBuffer(packet, 0, n)), off);
      return n;
    } finally {
      this.lib.WintunReleaseReceivePacket(this.session, packet);
    }
  }

  write(buf: Uint8Array, off: number, len: number): number {
    if (!this.session) return -1;
    const packet = this.lib.WintunAllocateSendPacket(this.session, len);
    if (!packet) {
      const e = lastError();
      if (e === ERROR_BUFFER_OVERFLOW) return -1; // the ring is full: dropped and counted
      throw new Error(`WintunAllocateSendPacket: Windows error ${e}`);
    }
    new Uint8Array(toArrayBuffer(packet, 0, len)).set(buf.subarray(off, off + len));
    this.lib.WintunSendPacket(this.session, packet);
    return len;
  }

  addRoute(ip: Uint8Array): void {
    this.routes.set(ip.join("."), ip);
  }

  deleteRoute(ip: Uint8Array): void {
    this.routes.delete(ip.join("."));
  }

  get routeCount(): number {
    return this.routes.size;
  }

  close(): void {
    if (this.session) {
      this.lib.WintunEndSession(this.session);
      this.session = null;
    }
    if (this.adapter) {
      this.lib.WintunCloseAdapter(this.adapter);
      this.adapter = null;
    }
  }
}
