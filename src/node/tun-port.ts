/**
 * The node's side of the TUN device: packets the kernel sends into it go
 * to the router; packets the router delivers are written out; learned
 * destinations become kernel routes. A packet with no route is answered
 * with ICMP/ICMPv6 unreachable (at most `icmpPerSecond`), so applications
 * fail at once instead of timing out.
 */
import { formatIp } from "../addr/format.ts";
import type { WasmHeap } from "../crypto/heap.ts";
import type { Route, Router } from "../mesh/router.ts";
import { icmpv4Unreachable, icmpv6Unreachable } from "../packet/icmp-unreachable.ts";
import type { TunDevice } from "../platform/tun-api.ts";
import { EVENT, READ, type Reactor, type Registration } from "../reactor/reactor.ts";
import type { Logger } from "./log.ts";

export interface TunStats {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  noRoute: number;
  unroutable: number;
  queueDrops: number;
  writeDrops: number;
  icmpSent: number;
  routeErrors: number;
  /** Routes the router asked for whose address the claim filter refuses (a bug upstream): never installed. */
  routesRefused: number;
}

const READS_PER_TURN = 64;
/** The largest IP packet a legacy frame can carry after the 9-byte mesh header. */
const READ_ROOM = 65535 - 9;
const HEADROOM = 16;

export class TunPort {
  readonly stats: TunStats = {
    packetsIn: 0,
    bytesIn: 0,
    packetsOut: 0,
    bytesOut: 0,
    noRoute: 0,
    unroutable: 0,
    queueDrops: 0,
    writeDrops: 0,
    icmpSent: 0,
    routeErrors: 0,
    routesRefused: 0,
  };
  /** Where packets are read: in the shared wasm heap, 16 bytes in, so the mesh header fits in front. */
  private readonly bufAt: number;
  private readonly reg: Registration;
  /** A read pass queued for the next turn (event handles do not stay signalled). */
  private more: { cancel(): void } | undefined;
  private icmpWindow = 0;
  private icmpInWindow = 0;

  constructor(
    readonly dev: TunDevice,
    private readonly reactor: Reactor,
    private readonly router: Router,
    private readonly self: { ipv6: Uint8Array; ipv4: Uint8Array | undefined },
    private readonly log: Logger,
    private readonly heap: WasmHeap,
    private readonly icmpPerSecond = 100,
  ) {
    this.bufAt = heap.alloc(READ_ROOM + HEADROOM) + HEADROOM;
    this.reg = reactor.add(dev.fd, dev.fdIsEvent ? EVENT : READ, () => this.readSome());
    // Wintun signals only after a read found its ring empty: start with one
    if (dev.fdIsEvent) this.readSome();
  }

  private readSome(): void {
    this.more?.cancel();
    this.more = undefined;
    for (let i = 0; i < READS_PER_TURN; i++) {
      let n: number;
      const m = this.heap.u8();
      try {
        n = this.dev.read(m, this.bufAt, READ_ROOM);
      } catch (e) {
        this.log.limit("tun-read", "error", (e as Error).message);
        // an event handle may not be signalled again: try again shortly
        if (this.dev.fdIsEvent) this.more = this.reactor.after(100, () => this.readSome());
        return;
      }
      if (n <= 0) return;
      this.stats.packetsIn++;
      this.stats.bytesIn += n;
      switch (this.router.fromLocal(m, this.bufAt, n, Date.now(), true)) {
        case "sent":
          break;
        case "no-route":
          this.stats.noRoute++;
          this.unreachable(m, n);
          break;
        case "unroutable":
          this.stats.unroutable++;
          break;
        case "dropped":
          this.stats.queueDrops++;
          break;
      }
    }
    // more may be waiting: on a descriptor poll says so next turn; an event
    // handle was consumed by the wait, so come back on the next turn
    if (this.dev.fdIsEvent) this.more = this.reactor.after(0, () => this.readSome());
  }

  private unreachable(m: Uint8Array, n: number): void {
    const now = this.reactor.now();
    if (now - this.icmpWindow >= 1000) {
      this.icmpWindow = now;
      this.icmpInWindow = 0;
    }
    if (this.icmpInWindow >= this.icmpPerSecond) return;
    const pkt = m.subarray(this.bufAt, this.bufAt + n);
    const v4 = (pkt[0] as number) >> 4 === 4;
    const from = v4 ? (this.self.ipv4 ?? pkt.subarray(16, 20).slice()) : this.self.ipv6;
    const answer = v4 ? icmpv4Unreachable(pkt, from) : icmpv6Unreachable(pkt, from);
    if (!answer) return;
    this.icmpInWindow++;
    if (this.write(answer, 0, answer.length)) this.stats.icmpSent++;
  }

  /** Writes one IP packet into the device; false when its queue is full. */
  write(b: Uint8Array, off: number, len: number): boolean {
    let n: number;
    try {
      n = this.dev.write(b, off, len);
    } catch (e) {
      this.log.limit("tun-write", "error", (e as Error).message);
      n = -1;
    }
    if (n < 0) {
      this.stats.writeDrops++;
      return false;
    }
    this.stats.packetsOut++;
    this.stats.bytesOut += len;
    return true;
  }

  routeAdded(r: Route): void {
    // the router only reports accepted routes; checked again here, at the
    // edge, because a kernel route for a refused address is the harm itself
    const verdict = this.router.claims.checkAddr(r.addr);
    if (verdict !== "accept") {
      this.stats.routesRefused++;
      this.log.error(`not routing ${formatIp(r.addr)} into the mesh: refused (${verdict}), yet reported as a route`);
      return;
    }
    try {
      this.dev.addRoute(r.addr);
    } catch (e) {
      this.stats.routeErrors++;
      this.log.limit(
        `route ${formatIp(r.addr)}`,
        "error",
        `cannot add route to ${formatIp(r.addr)}: ${(e as Error).message}`,
      );
    }
  }

  routeRemoved(r: Route): void {
    try {
      this.dev.deleteRoute(r.addr);
    } catch (e) {
      this.stats.routeErrors++;
      this.log.limit(
        `route ${formatIp(r.addr)}`,
        "error",
        `cannot remove route to ${formatIp(r.addr)}: ${(e as Error).message}`,
      );
    }
  }

  close(): void {
    this.more?.cancel();
    this.reg.remove();
    this.dev.close();
  }
}
