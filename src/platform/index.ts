/**
 * The OS layer for this process: a reactor backend and socket calls.
 * Nothing is loaded until asked for (dlopen happens on first use).
 */
import type { GcmEngine } from "../crypto/aes-gcm.ts";
import type { PollBackend } from "../reactor/backend.ts";
import type { NetApi } from "../reactor/net-api.ts";
import { openSslGcm } from "./linux/libcrypto.ts";
import { linuxNet } from "./linux/net.ts";
import { LinuxPoll } from "./linux/poll.ts";
import { sdNotify } from "./linux/sd-notify.ts";
import { TunPermissionError } from "./linux/tun.ts";
import { LinuxTun } from "./linux/tun-device.ts";
import { TUN_PRIVILEGE_MESSAGE, type TunDevice, type TunOptions } from "./tun-api.ts";
import { bcryptGcm } from "./windows/bcrypt-gcm.ts";
import { windowsNet } from "./windows/net.ts";
import { WindowsPoll } from "./windows/poll.ts";
import { WintunDevice, WintunPrivilegeError } from "./windows/wintun.ts";

export type { TunDevice, TunOptions };

/** The process may not create the TUN device; the message says what to do. */
export class PrivilegeError extends Error {
  override readonly name = "PrivilegeError";
}

export interface Platform {
  readonly name: string;
  poll(): PollBackend;
  readonly net: NetApi;
  /** Creates the TUN device; throws PrivilegeError without the privilege. */
  openTun(opts: TunOptions): TunDevice;
  /** Tells the service manager about our state (systemd's sd_notify); false when nobody listens. */
  notify(state: string): boolean;
  /** AES-256-GCM in place from a system library, or why there is none (modern links then use node:crypto). */
  gcm(): GcmEngine | string;
}

function openLinuxTun(opts: TunOptions): TunDevice {
  try {
    return new LinuxTun(opts);
  } catch (e) {
    if (e instanceof TunPermissionError) throw new PrivilegeError(TUN_PRIVILEGE_MESSAGE);
    throw e;
  }
}

function openWindowsTun(opts: TunOptions): TunDevice {
  try {
    return new WintunDevice({ ...opts, dll: opts.wintunDll });
  } catch (e) {
    if (e instanceof WintunPrivilegeError) throw new PrivilegeError(e.message);
    throw e;
  }
}

export function currentPlatform(): Platform {
  if (process.platform === "win32") {
    return {
      name: "windows",
      poll: () => new WindowsPoll(),
      net: windowsNet,
      openTun: openWindowsTun,
      notify: () => false,
      gcm: bcryptGcm,
    };
  }
  if (process.platform === "linux") {
    return {
      name: "linux",
      poll: () => new LinuxPoll(),
      net: linuxNet,
      openTun: openLinuxTun,
      notify: sdNotify,
      gcm: openSslGcm,
    };
  }
  throw new Error(`smolmesh does not run on ${process.platform} (Linux and Windows are supported)`);
}
