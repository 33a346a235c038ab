/**
 * docs/grafana-dashboard.json against what a node serves: every metric a
 * panel queries, and every label it groups by or names in a legend, is in
 * the Prometheus text of a node with links, a TUN device and DNS (the
 * metric names come from status-render.ts, so a renamed counter breaks
 * this test, not a dashboard in silence).
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { renderPrometheus } from "../../src/cli/status-render.ts";
import { COUNTERS } from "../../src/mesh/router.ts";
import type { StatusSnapshot } from "../../src/node/status.ts";

const zeroes = <K extends string>(keys: readonly K[]) =>
  Object.fromEntries(keys.map((k) => [k, 1])) as Record<K, number>;

const snapshot: StatusSnapshot = {
  node: {
    name: "n1",
    dnsName: "n1.mesh",
    version: "0.1.0",
    aesGcm: "node:crypto",
    pid: 1,
    uptimeS: 5,
    addresses: [],
    interface: "smolmesh1",
    mtu: 65000,
    memory: { rssBytes: 1, heapBytes: 1 },
  },
  links: [
    {
      id: 1,
      peer: "10.0.0.2:4041",
      direction: "out",
      state: "up",
      protocol: "modern",
      peerName: "n2",
      keys: { txAgeS: 1, rxAgeS: 1, txRekeys: 0, rxRekeys: 0, ignoredFrames: 0 },
      uptimeS: 1,
      bytesIn: 1,
      bytesOut: 1,
      packetsIn: 1,
      packetsOut: 1,
      dataDropped: 0,
      controlDropped: 0,
      queuedBytes: 0,
      lastReceivedS: 0,
    },
  ],
  routes: [],
  connectors: [],
  listeners: [],
  handshakes: { pending: 0, displaced: 0 },
  router: { ...zeroes(COUNTERS), routes: 0, floodMemory: 0 },
  claims: { acceptIpv4: [], acceptIpv6: [], underlay: [] },
  tun: {
    packetsIn: 1,
    bytesIn: 1,
    packetsOut: 1,
    bytesOut: 1,
    noRoute: 1,
    unroutable: 1,
    queueDrops: 1,
    writeDrops: 1,
    icmpSent: 1,
    routeErrors: 1,
    routesRefused: 1,
  },
  dns: {
    suffix: "mesh",
    listen: "[fd00::1]:53",
    listening: true,
    resolver: "systemd-resolved",
    stats: {
      queries: 1,
      answered: 1,
      nodata: 0,
      nxdomain: 0,
      refused: 0,
      formerr: 0,
      notimp: 0,
      dropped: 0,
      rateLimited: 0,
      notLocal: 0,
      sendFailed: 0,
    },
  },
};

interface Family {
  name: string;
  metrics: { labels?: Record<string, string> }[];
}

test("every metric and label the Grafana dashboard uses is one a node serves", async () => {
  const dash = JSON.parse(await Bun.file(join(import.meta.dir, "../../docs/grafana-dashboard.json")).text());
  const served = new Map<string, Set<string>>();
  for (const f of parsePrometheusTextFormat(renderPrometheus(snapshot)) as Family[]) {
    served.set(f.name, new Set(f.metrics.flatMap((m) => Object.keys(m.labels ?? {}))));
  }
  const targets = (dash.panels as { targets?: { expr: string; legendFormat: string }[] }[]).flatMap(
    (p) => p.targets ?? [],
  );
  expect(targets.length).toBeGreaterThan(20);
  for (const t of targets) {
    const names = t.expr.match(/smolmesh_[a-z_]+/g) ?? [];
    expect(names.length).toBeGreaterThan(0);
    const labels = new Set<string>();
    for (const name of names) {
      expect({ expr: t.expr, name, served: served.has(name) }).toEqual({ expr: t.expr, name, served: true });
      for (const l of served.get(name) ?? []) labels.add(l);
    }
    const used = [
      ...[...t.legendFormat.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1] as string),
      ...[...t.expr.matchAll(/by \(([^)]*)\)/g)].flatMap((m) => (m[1] as string).split(",").map((s) => s.trim())),
      ...[...t.expr.matchAll(/(\w+)(=~|=)"/g)].map((m) => m[1] as string),
    ];
    for (const l of used)
      expect({ expr: t.expr, label: l, known: labels.has(l) }).toEqual({ expr: t.expr, label: l, known: true });
  }
  const ids = (dash.panels as { id: number }[]).map((p) => p.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(dash.templating.list.map((v: { name: string }) => v.name)).toEqual(["datasource", "node"]);
});
