/**
 * The local control socket `smolmesh status` talks to: a Unix-domain
 * socket, mode 0600, that also checks the peer's user id (root or the
 * node's own user only). A client sends one request line ("status") and
 * gets one JSON line back; anything else gets an error line. Each client
 * has 5 s and 4 KiB for its request.
 */
import { chmodSync, existsSync, mkdirSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";
import type { NetApi } from "../reactor/net-api.ts";
import { READ, type Reactor, type Registration, WRITE } from "../reactor/reactor.ts";

export type Handler = (request: string) => unknown;

/** What each client may send, and how long it has. */
export const MAX_REQUEST = 4096;
export const CLIENT_MS = 5000;

/** The reply line to one request line: the handler's value, or its error, as JSON. */
export function answer(handle: Handler, line: Uint8Array): Uint8Array {
  const request = new TextDecoder().decode(line).trim();
  let reply: unknown;
  try {
    reply = handle(request);
  } catch (e) {
    reply = { error: (e as Error).message };
  }
  return new TextEncoder().encode(`${JSON.stringify(reply)}\n`);
}

/** Whether something answers on the socket at `path` (a live node), or it is stale. */
export async function socketIsLive(path: string): Promise<boolean> {
  try {
    const s = await Bun.connect({ unix: path, socket: { data() {} } });
    s.end();
    return true;
  } catch {
    return false;
  }
}

export class ControlServer {
  private readonly fd: number;
  private readonly reg: Registration;
  private readonly clients = new Set<() => void>();
  refusedUid = 0;

  private constructor(
    readonly path: string,
    private readonly reactor: Reactor,
    private readonly net: NetApi,
    private readonly handle: Handler,
    fd: number,
  ) {
    this.fd = fd;
    this.reg = reactor.add(fd, READ, () => this.acceptAll());
  }

  /** Binds `path` (replacing a stale socket file, refusing a live one). */
  static async open(path: string, reactor: Reactor, net: NetApi, handle: Handler): Promise<ControlServer> {
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    if (existsSync(path)) {
      if (await socketIsLive(path)) throw new Error(`another node is running with control socket ${path}`);
      unlinkSync(path);
    }
    const fd = net.listenLocal(path, 16);
    chmodSync(path, 0o600);
    return new ControlServer(path, reactor, net, handle, fd);
  }

  private acceptAll(): void {
    for (;;) {
      const c = this.net.accept(this.fd);
      if (!c) return;
      const uid = this.net.peerUid(c.fd);
      if (uid === undefined || (uid !== 0 && uid !== this.net.ownUid())) {
        this.refusedUid++;
        this.net.close(c.fd);
        continue;
      }
      this.serve(c.fd);
    }
  }

  private serve(fd: number): void {
    const buf = new Uint8Array(MAX_REQUEST);
    let got = 0;
    let out: Uint8Array | undefined;
    let sent = 0;
    const done = () => {
      timer.cancel();
      reg.remove();
      this.net.close(fd);
      this.clients.delete(done);
    };
    const timer = this.reactor.after(CLIENT_MS, done);
    const reg = this.reactor.add(fd, READ, () => {
      if (!out) {
        const n = this.net.read(fd, buf, got, MAX_REQUEST - got);
        if (n === 0) return done();
        if (n < 0) return;
        got += n;
        const nl = buf.subarray(0, got).indexOf(10);
        if (nl < 0) {
          if (got === MAX_REQUEST) done();
          return;
        }
        out = answer(this.handle, buf.subarray(0, nl));
        reg.setInterest(WRITE);
      }
      while (sent < out.length) {
        const n = this.net.write(fd, out, sent, out.length - sent);
        if (n < 0) return;
        sent += n;
      }
      done();
    });
    this.clients.add(done);
  }

  close(): void {
    for (const c of [...this.clients]) c();
    this.reg.remove();
    this.net.close(this.fd);
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}
