/**
 * `metrics_listen`: a relay on loopback serves GET /metrics; the scrape
 * parses as Prometheus text (parse-prometheus-text-format, an independent
 * parser) and its values move under traffic; everything else is 404.
 */
import { beforeAll, expect, test } from "bun:test";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { meshPacket } from "../helpers/legacy-peer.ts";
import { ModernPeer } from "../helpers/modern-peer.ts";
import { freePort, NodeProc, waitFor } from "../helpers/node-proc.ts";
import { nodeSuite } from "../helpers/suites.ts";

interface Family {
  name: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string> }[];
}

let relay: NodeProc;
let metricsPort = 0;
let port = 0;

async function scrape(): Promise<Map<string, Family>> {
  const r = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toContain("text/plain");
  const families = parsePrometheusTextFormat(await r.text()) as Family[];
  return new Map(families.map((f) => [f.name, f]));
}

const value = (f: Family | undefined, labels: Record<string, string> = {}) =>
  Number(f?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value ?? Number.NaN);

nodeSuite("loopback", "the metrics endpoint", () => {
  beforeAll(async () => {
    [port, metricsPort] = [await freePort(), await freePort()];
    relay = new NodeProc("metrics", {
      node_name: "metrics-relay",
      metrics_listen: `127.0.0.1:${metricsPort}`,
      transports: [{ type: "tcp_listen", port, keys: ["k"] }],
    });
    await relay.waitLog(/metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/);
  });

  test("a scrape parses as Prometheus text, and its counters move under traffic", async () => {
    const before = await scrape();
    expect(before.get("smolmesh_info")?.type).toBe("GAUGE");
    expect(value(before.get("smolmesh_links"), { state: "up" })).toBe(0);
    const received0 = value(before.get("smolmesh_router_received_total"));
    const peer = await ModernPeer.connect(port, "k", "scraped");
    for (let i = 0; i < 50; i++) peer.send(meshPacket(0, new TextEncoder().encode(`metric-name-${i}`)));
    let after = before;
    await waitFor(
      async () => {
        after = await scrape();
        return value(after.get("smolmesh_routes")) >= 51;
      },
      5000,
      "the 51 routes in a scrape",
    );
    expect(value(after.get("smolmesh_links"), { state: "up" })).toBe(1);
    expect(value(after.get("smolmesh_router_received_total"))).toBeGreaterThanOrEqual(received0 + 51);
    const link = after.get("smolmesh_link_received_bytes_total")?.metrics[0];
    expect(link?.labels?.protocol).toBe("modern");
    expect(Number(link?.value)).toBeGreaterThan(50 * 20);
    expect(after.get("smolmesh_link_up_seconds")?.metrics.length).toBe(1);
    peer.close();
  });

  test("nothing else is answered but 404", async () => {
    for (const [method, path] of [
      ["GET", "/"],
      ["GET", "/metrics/x"],
      ["POST", "/metrics"],
      ["GET", "/status"],
    ]) {
      const r = await fetch(`http://127.0.0.1:${metricsPort}${path}`, { method });
      expect(r.status).toBe(404);
    }
  });

  test("a metrics address already in use stops the node at start with a clear message", async () => {
    const twin = new NodeProc("metrics-twin", {
      node_name: "metrics-twin",
      metrics_listen: `127.0.0.1:${metricsPort}`,
    });
    expect(await twin.proc.exited).toBe(1);
    await twin.waitLog(/cannot start: .*(in use|EADDRINUSE)/i);
  });
});
