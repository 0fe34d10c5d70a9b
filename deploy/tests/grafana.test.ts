import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { exportedMetrics, metricNamesIn, metricOf, type MetricType, serviceMetrics } from "./metric-names.js";
import { promtool, requirePromtool } from "./promtool.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const dashboardText = readFileSync(join(repoRoot, "deploy/grafana/claude-relay.json"), "utf8");

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr: string; refId: string }[];
  panels?: Panel[];
}

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

const dashboard = JSON.parse(dashboardText) as { uid: string; title: string; panels: Panel[]; templating: { list: { name: string; type: string; query: unknown }[] } };
const panels = allPanels(dashboard.panels);
const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

let known: Map<string, MetricType>;

beforeAll(async () => {
  known = await exportedMetrics();
});

describe("Grafana dashboard", () => {
  it("is a dashboard with a uid, a Prometheus data source variable and graph panels", () => {
    expect(dashboard.uid).toBe("claude-relay");
    expect(dashboard.templating.list.find((v) => v.name === "datasource")).toMatchObject({ type: "datasource", query: "prometheus" });
    const graphs = panels.filter((p) => p.type !== "row");
    expect(graphs.length).toBeGreaterThanOrEqual(12);
    for (const p of graphs) expect(p.targets?.length, p.title).toBeGreaterThan(0);
  });

  it("queries only metrics the services export", () => {
    const unknown = queries.flatMap((q) => metricNamesIn(q.expr).filter((s) => !known.has(metricOf(s, known))).map((s) => `${q.panel}: ${s}`));
    expect(unknown).toEqual([]);
  });

  it("shows every service metric, memory and event-loop lag", () => {
    const used = new Set(queries.flatMap((q) => metricNamesIn(q.expr).map((s) => metricOf(s, known))));
    const missing = [...Object.keys(serviceMetrics), "process_resident_memory_bytes", "nodejs_eventloop_lag_seconds"].filter((m) => !used.has(m));
    expect(missing).toEqual([]);
  });

  it("has latency panels at p50 and p99", () => {
    const quantiles = queries.filter((q) => q.expr.includes("histogram_quantile")).map((q) => q.expr.match(/histogram_quantile\((0\.\d+)/)?.[1]);
    expect(new Set(quantiles)).toEqual(new Set(["0.5", "0.99"]));
  });

  it("gives every panel a unique id and a place inside the 24-column grid without overlaps", () => {
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const cells = new Set<string>();
    for (const p of panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w, p.title).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + h; j++) {
          expect(cells.has(`${i},${j}`), `${p.title} overlaps at ${i},${j}`).toBe(false);
          cells.add(`${i},${j}`);
        }
      }
    }
  });

  it("has queries that promtool parses once Grafana variables are filled in", () => {
    requirePromtool();
    const dir = mkdtempSync(join(tmpdir(), "claude-relay-dashboard-"));
    try {
      const filled = queries.map((q, i) => ({
        record: `dashboard:query_${i}`,
        expr: q.expr.replaceAll("$__rate_interval", "5m").replace(/\$\w+/g, ".*"),
      }));
      writeFileSync(join(dir, "queries.yml"), stringify({ groups: [{ name: "dashboard", rules: filled }] }));
      const result = promtool(["check", "rules", "queries.yml"], dir);
      expect(result.ok ? "" : result.output).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
