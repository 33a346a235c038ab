/**
 * `metrics_listen`: GET /metrics answers the node's counters in the
 * Prometheus text format (the same text as `smolmesh status
 * --prometheus`); every other request gets 404. Served by Bun's HTTP
 * server, which runs in the runtime's own event loop beside the reactor
 * (the reactor yields to that loop whenever its descriptors are ready), in
 * the compiled binary as in development.
 */
import type { HostPort } from "../config/host-port.ts";

export interface MetricsServer {
  /** The bound address (the actual port when 0 was asked for). */
  readonly port: number;
  close(): void;
}

export function openMetrics(at: HostPort, render: () => string): MetricsServer {
  const server = Bun.serve({
    hostname: at.host,
    port: at.port,
    fetch(req) {
      const url = new URL(req.url);
      if (req.method !== "GET" || url.pathname !== "/metrics") return new Response("not found\n", { status: 404 });
      return new Response(render(), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } });
    },
    error() {
      return new Response("internal error\n", { status: 500 });
    },
  });
  return {
    port: server.port ?? at.port,
    close: () => {
      server.stop(true);
    },
  };
}
