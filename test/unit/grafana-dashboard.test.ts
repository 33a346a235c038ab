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
import { snapshot } from "../helpers/status-fixture.ts";

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
