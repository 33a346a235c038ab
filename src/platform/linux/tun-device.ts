/**
 * The Linux TUN device as the node uses it: created, brought up with its
 * MTU and addresses through rtnetlink, carrying packets through the
 * reactor, and routing learned mesh addresses to itself. `close()` removes
 * every route it added and then the interface itself.
 */
import { ptr } from "bun:ffi";
import type { TunDevice, TunOptions } from "../tun-api.ts";
import { E, errno, libc, OsError } from "./libc.ts";
import { Netlink } from "./netlink.ts";
import { openTun } from "./tun.ts";

export class LinuxTun implements TunDevice {
  readonly fd: number;
  readonly name: string;
  private readonly index: number;
  private readonly nl: Netlink;
  private readonly routes = new Map<string, Uint8Array>();
  private closed = false;

  constructor(opts: TunOptions) {
    const t = openTun(opts.name);
    this.fd = t.fd;
    this.name = t.name;
    this.index = t.index;
    try {
      this.nl = new Netlink();
      this.nl.linkUp(this.index, opts.mtu);
      for (const a of opts.addresses) this.nl.addAddress(this.index, a);
    } catch (e) {
      libc().close(this.fd);
      throw e;
    }
  }

  read(buf: Uint8Array, off: number, len: number): number {
    const n = Number(libc().read(this.fd, ptr(buf, off), len));
    if (n >= 0) return n;
    const e = errno();
    if (e === E.EAGAIN || e === E.EINTR) return -1;
    throw new OsError("read(tun)", e);
  }

  write(buf: Uint8Array, off: number, len: number): number {
    const n = Number(libc().write(this.fd, ptr(buf, off), len));
    if (n >= 0) return n;
    const e = errno();
    if (e === E.EAGAIN || e === E.EINTR) return -1;
    throw new OsError("write(tun)", e);
  }

  addRoute(ip: Uint8Array): void {
    this.nl.addRoute(this.index, ip);
    this.routes.set(ip.join("."), ip);
  }

  deleteRoute(ip: Uint8Array): void {
    if (!this.routes.delete(ip.join("."))) return;
    try {
      this.nl.deleteRoute(this.index, ip);
    } catch (e) {
      if (!(e instanceof OsError && e.errno === E.ESRCH)) throw e; // already gone is fine
    }
  }

  get routeCount(): number {
    return this.routes.size;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const ip of [...this.routes.values()]) {
      try {
        this.deleteRoute(ip);
      } catch {
        // the interface going away below removes it anyway
      }
    }
    this.nl.close();
    libc().close(this.fd);
  }
}
