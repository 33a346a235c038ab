/**
 * The OS layer for this process: a reactor backend and socket calls.
 * Nothing is loaded until asked for (dlopen happens on first use).
 */
import type { PollBackend } from "../reactor/backend.ts";
import type { NetApi } from "../reactor/net-api.ts";
import { linuxNet } from "./linux/net.ts";
import { LinuxPoll } from "./linux/poll.ts";

export interface Platform {
  readonly name: string;
  poll(): PollBackend;
  readonly net: NetApi;
}

export function currentPlatform(): Platform {
  if (process.platform === "linux") return { name: "linux", poll: () => new LinuxPoll(), net: linuxNet };
  throw new Error(`smolmesh does not run on ${process.platform} yet (Linux is supported; Windows is planned)`);
}
