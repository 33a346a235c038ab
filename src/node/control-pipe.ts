/**
 * The control channel on Windows: a named pipe (default
 * \\.\pipe\smolmesh-NODE_NAME), served by the runtime's own loop through
 * node:net, since Winsock has no Unix-domain sockets under every Windows
 * (nor under Wine) and pipes are what Windows services use. Same protocol
 * as control-server.ts: one request line, one JSON line back, 5 s and
 * 4 KiB per client.
 *
 * Who may ask: a pipe's default security descriptor gives full access to
 * LocalSystem, Administrators and the user that runs the node, and only
 * read access to everyone else, who therefore cannot send a request. The
 * reactor yields to the runtime at least every 50 ms on Windows, so an
 * answer takes at most that long to start.
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import { answer, CLIENT_MS, type Handler, MAX_REQUEST } from "./control-server.ts";

/** Whether a server answers on the pipe `path`. */
export function pipeIsLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(path, () => {
      c.destroy();
      resolve(true);
    });
    c.on("error", () => resolve(false));
  });
}

export class PipeControlServer {
  private readonly clients = new Set<Socket>();

  private constructor(
    readonly path: string,
    private readonly server: Server,
    private readonly handle: Handler,
  ) {
    server.on("connection", (c) => this.serve(c));
  }

  /** Listens on `path`; a pipe that is already served means another node runs. */
  static async open(path: string, handle: Handler): Promise<PipeControlServer> {
    // Windows lets a second server add instances to a pipe of the same
    // name, and clients would reach either node: look first
    if (await pipeIsLive(path)) throw new Error(`another node is running with control socket ${path}`);
    return new Promise((resolve, reject) => {
      const server = createServer();
      const it = new PipeControlServer(path, server, handle);
      server.once("error", (e: NodeJS.ErrnoException) => {
        reject(
          e.code === "EADDRINUSE"
            ? new Error(`another node is running with control socket ${path}`)
            : new Error(`${path}: ${e.message}`),
        );
      });
      server.listen(path, () => {
        // errors after listening (a client's broken pipe surfaces on its
        // socket) must not reach the process as unhandled
        server.on("error", () => {});
        resolve(it);
      });
    });
  }

  private serve(c: Socket): void {
    this.clients.add(c);
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => c.destroy(), CLIENT_MS);
    c.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const nl = buf.indexOf(10);
      if (nl >= 0) {
        c.end(answer(this.handle, buf.subarray(0, nl)));
        c.removeAllListeners("data");
      } else if (buf.length >= MAX_REQUEST) {
        c.destroy();
      }
    });
    c.on("error", () => c.destroy());
    c.on("close", () => {
      clearTimeout(timer);
      this.clients.delete(c);
    });
  }

  close(): void {
    for (const c of this.clients) c.destroy();
    this.server.close();
  }
}
