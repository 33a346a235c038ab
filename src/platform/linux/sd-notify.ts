/**
 * systemd's readiness protocol (sd_notify): one datagram such as
 * "READY=1" to the Unix socket named in $NOTIFY_SOCKET ("@..." is an
 * abstract socket). Does nothing when not run by systemd with Type=notify.
 */
import { ptr } from "bun:ffi";
import { libc } from "./libc.ts";

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;

/** Sends `state`; returns whether a notification socket was there to send it to. */
export function sdNotify(state: string): boolean {
  const path = process.env.NOTIFY_SOCKET;
  if (!path) return false;
  const name = new TextEncoder().encode(path);
  if (name[0] === 0x40) name[0] = 0; // "@name" -> abstract "\\0name"
  const sa = new Uint8Array(2 + name.length);
  new DataView(sa.buffer).setUint16(0, AF_UNIX, true);
  sa.set(name, 2);
  const fd = libc().socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const msg = new TextEncoder().encode(state);
  const n = Number(libc().sendto(fd, ptr(msg), msg.length, 0, ptr(sa), sa.length));
  libc().close(fd);
  return n === msg.length;
}
