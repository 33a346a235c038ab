/**
 * One listen transport (modern or legacy): accepts connections and hands
 * each to the node. Every connection starts its handshake: the node makes
 * room by closing the oldest pending one where an address or the table is
 * at its limit (pending.ts), so accepting never refuses.
 */
import { formatSocketAddress } from "../addr/format.ts";
import type { NetApi, SocketAddress } from "../reactor/net-api.ts";
import { READ, type Reactor, type Registration } from "../reactor/reactor.ts";

export interface ListenerEvents {
  accepted(fd: number, peer: SocketAddress): void;
  error(message: string): void;
}

export class Listener {
  private readonly fd: number;
  private readonly reg: Registration;
  accepted = 0;

  constructor(
    readonly bind: SocketAddress,
    private readonly reactor: Reactor,
    private readonly net: NetApi,
    private readonly events: ListenerEvents,
  ) {
    this.fd = net.listen(bind, 128);
    this.reg = this.reactor.add(this.fd, READ, () => this.acceptAll());
  }

  /** The bound address (the actual port when 0 was asked for). */
  get local(): SocketAddress {
    return this.net.localAddress(this.fd) ?? this.bind;
  }

  get localText(): string {
    return formatSocketAddress(this.local);
  }

  private acceptAll(): void {
    for (let i = 0; i < 64; i++) {
      let c: ReturnType<NetApi["accept"]>;
      try {
        c = this.net.accept(this.fd);
      } catch (e) {
        this.events.error((e as Error).message);
        return;
      }
      if (!c) return;
      this.accepted++;
      this.events.accepted(c.fd, c.peer);
    }
  }

  close(): void {
    this.reg.remove();
    this.net.close(this.fd);
  }
}
