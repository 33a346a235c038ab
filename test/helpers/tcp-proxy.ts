/**
 * A loopback TCP proxy standing in for a network path between two nodes,
 * so a test can cut one link (both ends see the connection die) and see
 * which path carries traffic.
 */
import type { Socket, TCPSocketListener } from "bun";

interface Conn {
  upstream?: Socket<undefined>;
  pending: Uint8Array[];
  closed: boolean;
}

export class TcpProxy {
  readonly server: TCPSocketListener<Conn>;
  bytes = 0;
  private readonly clients = new Set<Socket<Conn>>();

  /** `delayMs` holds each chunk that long in both directions (a slower path; order kept). */
  constructor(targetPort: number, delayMs = 0) {
    const later = (fn: () => void) => (delayMs > 0 ? setTimeout(fn, delayMs) : fn());
    this.server = Bun.listen<Conn>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open: (client) => {
          client.data = { pending: [], closed: false };
          this.clients.add(client);
          Bun.connect({
            hostname: "127.0.0.1",
            port: targetPort,
            socket: {
              data: (_s, d) => {
                this.bytes += d.length;
                const copy = new Uint8Array(d);
                later(() => client.write(copy));
              },
              close: () => {
                client.end();
              },
              error: () => {
                client.end();
              },
            },
          }).then(
            (up) => {
              if (client.data.closed) {
                up.end();
                return;
              }
              client.data.upstream = up;
              for (const p of client.data.pending) up.write(p);
              client.data.pending = [];
            },
            () => {
              client.end();
            },
          );
        },
        data: (client, d) => {
          this.bytes += d.length;
          const copy = new Uint8Array(d);
          later(() => {
            if (client.data.upstream) client.data.upstream.write(copy);
            else client.data.pending.push(copy);
          });
        },
        close: (client) => {
          client.data.closed = true;
          this.clients.delete(client);
          client.data.upstream?.end();
        },
      },
    });
  }

  get port(): number {
    return this.server.port;
  }

  /** Cuts every connection through the proxy and stops accepting new ones. */
  cut(): void {
    this.server.stop(true);
    for (const c of this.clients) {
      c.data.closed = true;
      c.data.upstream?.terminate();
      c.terminate();
    }
    this.clients.clear();
  }
}
