/** The virtual network device, one implementation per OS (Linux TUN, Windows Wintun). */

export interface TunOptions {
  name: string;
  mtu: number;
  /** Addresses of this node: 16-byte IPv6 /128 and 4-byte IPv4 /32. */
  addresses: Uint8Array[];
  /** Windows: where wintun.dll is (default: beside the executable). */
  wintunDll?: string;
  /** Told about what went wrong but does not stop the device (e.g. the MTU could not be set). */
  warn?: (message: string) => void;
}

export interface TunDevice {
  /** What the reactor waits on: a pollable descriptor, or an event handle when `fdIsEvent`. */
  readonly fd: number;
  /** `fd` is an event handle signalled when packets arrive (Wintun's read-wait event). */
  readonly fdIsEvent?: boolean;
  readonly name: string;
  /** One IP packet into buf[off..]; its length, or -1 when none is waiting. */
  read(buf: Uint8Array, off: number, len: number): number;
  /** One IP packet; its length, or -1 when the device queue is full. */
  write(buf: Uint8Array, off: number, len: number): number;
  /** Routes a /32 or /128 to the device. */
  addRoute(ip: Uint8Array): void;
  deleteRoute(ip: Uint8Array): void;
  readonly routeCount: number;
  /** Removes the routes it added and the device. */
  close(): void;
}

/** Thrown by `openTun` when the process lacks the privilege. */
export const TUN_PRIVILEGE_MESSAGE =
  "needs root or CAP_NET_ADMIN to create the TUN device; run with sudo, or set linux_tuntap to false for a relay node";
