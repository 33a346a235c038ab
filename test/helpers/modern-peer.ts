/**
 * A modern-protocol peer for integration tests: smolmesh's own
 * ModernSession (its Noise core is checked against the published vectors)
 * driven over Bun's sockets instead of smolmesh's reactor, with ways to
 * misbehave on purpose: tampered frames, a close frame, raw handshakes.
 */
import type { Socket } from "bun";
import { sharedHeap } from "../../src/crypto/heap.ts";
import type { ModernSession } from "../../src/transport/codec/modern-session.ts";
import type { SessionError } from "../../src/transport/codec/session.ts";
import { meshPacket } from "./legacy-peer.ts";
import { drain, modern } from "./modern.ts";
import { Waiter } from "./waiter.ts";

const te = new TextEncoder();

export class ModernPeer extends Waiter {
  readonly packets: Uint8Array[] = [];
  closed = false;
  error: SessionError | undefined;
  private disposed = false;
  private readonly sink = {
    packet: (p: number, len: number) => {
      this.packets.push(
        sharedHeap()
          .u8()
          .slice(p, p + len),
      );
    },
  };

  private constructor(
    private readonly sock: Socket<undefined>,
    readonly session: ModernSession,
  ) {
    super();
  }

  /**
   * Connects and runs the handshake; once it is up, announces `name` (the
   * first frame, which proves the key to the listener). Throws when the
   * node closes the connection instead.
   */
  static async connect(
    port: number,
    key: string,
    name: string,
    timeoutMs = 5000,
    host = "127.0.0.1",
  ): Promise<ModernPeer> {
    const session = modern("connect", [key], { node: name });
    let peer: ModernPeer | undefined;
    const sock = await Bun.connect({
      hostname: host,
      port,
      socket: {
        data: (_s, d) => peer?.onData(new Uint8Array(d)),
        drain: () => peer?.flush(),
        close: () => peer?.onClose(),
        error: () => peer?.onClose(),
      },
    });
    peer = new ModernPeer(sock, session);
    peer.flush();
    await peer.until(() => session.established || peer.closed, timeoutMs, "the handshake answer");
    if (!session.established) throw new Error(`the node closed the connection during the handshake (${peer.error})`);
    peer.announce(name);
    return peer;
  }

  private onData(d: Uint8Array): void {
    if (this.disposed) return;
    const err = this.session.feed(d, this.sink);
    if (err) {
      this.error = err;
      this.sock.end();
    }
    this.flush();
    this.wake();
  }

  /** Bytes Bun's socket did not take yet (its write() does not buffer). */
  private outq: Uint8Array[] = [];

  private write(b: Uint8Array): void {
    if (this.outq.length === 0) {
      const n = this.sock.write(b);
      if (n >= b.length) return;
      b = b.subarray(Math.max(0, n));
    }
    this.outq.push(b);
  }

  private flush(): void {
    const out = drain(this.session);
    if (out.length) this.write(out);
    while (this.outq.length) {
      const b = this.outq[0] as Uint8Array;
      const n = this.sock.write(b);
      if (n < b.length) {
        this.outq[0] = b.subarray(Math.max(0, n));
        return;
      }
      this.outq.shift();
    }
    this.wake();
  }

  /** Resolves once everything sent has been handed to the socket. */
  async drained(timeoutMs = 30_000): Promise<void> {
    await this.until(() => this.outq.length === 0 || this.closed, timeoutMs, "the socket to drain");
  }

  private onClose(): void {
    this.closed = true;
    this.wake();
  }

  send(payload: Uint8Array): void {
    if (!this.session.send(payload, false)) throw new Error("the session refused the packet");
    this.flush();
  }

  announce(name: string): void {
    this.send(meshPacket(0, te.encode(name)));
  }

  /** Sends a frame with one bit of its tag flipped. */
  sendTampered(payload: Uint8Array): void {
    if (!this.session.send(payload, false)) throw new Error("the session refused the packet");
    const out = drain(this.session);
    out[out.length - 1] = (out[out.length - 1] as number) ^ 1;
    this.write(out);
  }

  /** Sends a close frame with `reason`. */
  goodbye(reason: string): void {
    this.session.sayGoodbye(reason);
    this.flush();
  }

  received(cmd: number, body?: string): Uint8Array[] {
    return this.packets.filter(
      (p) => p[8] === cmd && (body === undefined || new TextDecoder().decode(p.subarray(9)) === body),
    );
  }

  close(): void {
    this.disposed = true;
    this.sock.end();
    this.session.dispose();
  }
}

/** The bytes a modern connector opens with (magic and message 1), made with `key`. */
export function modernHello(key: string, name = "replayed"): Uint8Array {
  const s = modern("connect", [key], { node: name });
  const out = drain(s);
  s.dispose();
  return out;
}
