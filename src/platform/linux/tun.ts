/**
 * A Linux TUN device: /dev/net/tun with TUNSETIFF (IFF_TUN | IFF_NO_PI), so
 * each read is one IP packet and each write sends one. The device exists
 * while its fd is open; closing it removes the interface with every
 * address and route on it.
 */
import { ptr } from "bun:ffi";
import { E, errno, libc, OsError } from "./libc.ts";

const O_RDWR = 0o2;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const TUNSETIFF = 0x400454ca;
const IFF_TUN = 0x0001;
const IFF_NO_PI = 0x1000;

/** Thrown when the process may not create TUN devices. */
export class TunPermissionError extends Error {
  override readonly name = "TunPermissionError";
}

export interface OpenedTun {
  fd: number;
  name: string;
  index: number;
}

export function cString(s: string): Uint8Array {
  const b = new TextEncoder().encode(`${s}\0`);
  return b;
}

export function openTun(name: string): OpenedTun {
  const fd = libc().open(ptr(cString("/dev/net/tun")), O_RDWR | O_NONBLOCK | O_CLOEXEC, 0);
  if (fd < 0) {
    const e = errno();
    if (e === E.EACCES || e === E.EPERM) throw new TunPermissionError("cannot open /dev/net/tun");
    if (e === E.ENOENT || e === E.ENODEV) {
      throw new OsError("open", e, "/dev/net/tun (is the tun kernel module loaded? try `modprobe tun`)");
    }
    throw new OsError("open", e, "/dev/net/tun");
  }
  const ifr = new Uint8Array(40);
  ifr.set(new TextEncoder().encode(name).subarray(0, 15));
  new DataView(ifr.buffer).setUint16(16, IFF_TUN | IFF_NO_PI, true);
  if (libc().ioctl(fd, TUNSETIFF, ptr(ifr)) < 0) {
    const e = errno();
    libc().close(fd);
    if (e === E.EPERM || e === E.EACCES) throw new TunPermissionError(`cannot create TUN device ${name}`);
    if (e === E.EBUSY)
      throw new OsError("ioctl(TUNSETIFF)", e, `${name} (another process holds an interface of that name)`);
    throw new OsError("ioctl(TUNSETIFF)", e, name);
  }
  const index = libc().if_nametoindex(ptr(cString(name)));
  if (index === 0) {
    const e = errno();
    libc().close(fd);
    throw new OsError("if_nametoindex", e, name);
  }
  return { fd, name, index };
}
