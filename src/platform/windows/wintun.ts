/**
 * The TUN device on Windows: Wintun (wintun.dll, https://www.wintun.net)
 * through bun:ffi. One adapter (named smolmesh-NODE_NAME unless `interface_name` says otherwise), one session
 * with a 4 MiB ring; packets are copied between Wintun's ring and the
 * caller's buffer.
 *
 * Wintun signals new packets with its read-wait event; the device hands
 * that handle to the reactor as its `fd` (`fdIsEvent`), and the Windows
 * backend waits on it together with the sockets (see poll.ts), so an idle
 * node sleeps and a packet wakes it at once.
 *
 * The adapter gets the node's addresses (/128 and /32) and its MTU, and
 * each learned mesh address a route to it, through iphlpapi (iphlp.ts);
 * `close()` removes the routes and addresses and then the adapter.
 */
import { dlopen, FFIType, ptr, toArrayBuffer } from "bun:ffi";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import type { TunDevice, TunOptions } from "../tun-api.ts";
import { IpHelper, IpHelperError } from "./iphlp.ts";
import { lastError } from "./kernel32.ts";

const { ptr: p, u32, void: none } = FFIType;

const WINTUN = {
  WintunCreateAdapter: { args: [p, p, p], returns: p },
  WintunOpenAdapter: { args: [p], returns: p },
  WintunCloseAdapter: { args: [p], returns: none },
  WintunGetAdapterLUID: { args: [p, p], returns: none },
  WintunGetReadWaitEvent: { args: [p], returns: p },
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
  readonly fd: number;
  readonly fdIsEvent = true;
  readonly name: string;
  private readonly lib: ReturnType<typeof dlopen<typeof WINTUN>>["symbols"];
  private adapter: ReturnType<ReturnType<typeof dlopen<typeof WINTUN>>["symbols"]["WintunCreateAdapter"]>;
  private session: typeof this.adapter;
  private readonly size = new Uint32Array(1);
  private readonly routes = new Map<string, Uint8Array>();
  private readonly ip: IpHelper;
  private readonly addresses: Uint8Array[] = [];

  constructor(opts: TunOptions & { dll?: string }) {
    const path = opts.dll ?? defaultWintunPath();
    if (!existsSync(path)) {
      throw new Error(
        `wintun.dll not found at ${path}: download Wintun from https://www.wintun.net and put wintun.dll beside smolmesh.exe, or set wintun_dll in the config`,
      );
    }
    this.lib = dlopen(path, WINTUN).symbols;
    this.name = opts.name;
    // an adapter of this name left by a run that did not close it is taken over
    this.adapter = this.lib.WintunOpenAdapter(ptr(wide(opts.name)));
    const existed = this.adapter !== null;
    if (!existed) this.adapter = this.lib.WintunCreateAdapter(ptr(wide(opts.name)), ptr(wide("smolmesh")), null);
    if (!this.adapter) {
      const e = lastError();
      if (e === ERROR_ACCESS_DENIED) {
        throw new WintunPrivilegeError(
          "needs Administrator to create the Wintun adapter; run from an elevated prompt, or set windows_tuntap to false for a relay node",
        );
      }
      throw new Error(`WintunCreateAdapter ${opts.name}: Windows error ${e}`);
    }
    this.session = null;
    try {
      // the session first: an adapter another smolmesh is using refuses a
      // second one, before anything of that node's is touched
      this.session = this.lib.WintunStartSession(this.adapter, RING_CAPACITY);
      if (!this.session) {
        throw new Error(
          `WintunStartSession ${opts.name}: Windows error ${lastError()}${existed ? " (is another smolmesh running with this adapter?)" : ""}`,
        );
      }
      if (existed) opts.warn?.(`${opts.name}: reusing the Wintun adapter an earlier run left behind`);
      const event = BigInt(this.lib.WintunGetReadWaitEvent(this.session) ?? 0);
      if (event === 0n || event > 0x7fffffffn) throw new Error(`WintunGetReadWaitEvent returned handle ${event}`);
      this.fd = Number(event);
      const luid = new BigUint64Array(1);
      this.lib.WintunGetAdapterLUID(this.adapter, ptr(luid));
      this.ip = new IpHelper(luid[0] as bigint);
      for (const family of [6, 4] as const) {
        try {
          this.ip.setMtu(family, opts.mtu);
        } catch (e) {
          opts.warn?.(`${opts.name}: the MTU stays at Windows' default: ${(e as Error).message}`);
        }
      }
      // only what we added is ours to delete at exit: an address already
      // there (a left-over adapter) stays as it was found
      for (const a of opts.addresses) if (this.ip.addAddress(a)) this.addresses.push(a);
    } catch (e) {
      this.close();
      if (e instanceof IpHelperError && e.code === ERROR_ACCESS_DENIED) {
        throw new WintunPrivilegeError(
          "needs Administrator to set the Wintun adapter's addresses; run from an elevated prompt, or set windows_tuntap to false for a relay node",
        );
      }
      throw e;
    }
  }

  read(buf: Uint8Array, off: number, len: number): number {
    if (!this.session) return -1;
    for (;;) {
      const packet = this.lib.WintunReceivePacket(this.session, ptr(this.size));
      if (!packet) {
        const e = lastError();
        if (e === ERROR_NO_MORE_ITEMS) return -1;
        throw new Error(`WintunReceivePacket: Windows error ${e}`);
      }
      const n = this.size[0] as number;
      try {
        // larger than any frame can carry: dropped, and on to the next
        if (n > len) continue;
        buf.set(new Uint8Array(toArrayBuffer(packet, 0, n)), off);
        return n;
      } finally {
        this.lib.WintunReleaseReceivePacket(this.session, packet);
      }
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
    this.ip.addRoute(ip);
    this.routes.set(ip.join("."), ip);
  }

  deleteRoute(ip: Uint8Array): void {
    if (!this.routes.delete(ip.join("."))) return;
    this.ip.deleteRoute(ip);
  }

  get routeCount(): number {
    return this.routes.size;
  }

  close(): void {
    // routes and addresses first: closing the adapter would take them
    // along on Windows, but a failure there must not leave them behind
    for (const ip of [...this.routes.values()]) {
      try {
        this.deleteRoute(ip);
      } catch {
        // the adapter going away below removes it anyway
      }
    }
    for (const a of this.addresses.splice(0)) {
      try {
        this.ip.deleteAddress(a);
      } catch {
        // likewise
      }
    }
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
