/**
 * The dashboard and the alert rules against what the services really export: a live `/metrics`
 * scrape of a running relay and control plane (built processes, `startStack`), after a few
 * requests so that metrics with labels have series. A queried series must appear in the scrape
 * under its exact name (a histogram as `_bucket`, `_sum`, `_count`).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot, startStack, type Stack } from "../../e2e/tests/support/stack.js";
import { metricNamesIn } from "./metric-names.js";

interface Panel {
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

const dashboard = JSON.parse(readFileSync(join(repoRoot, "deploy/grafana/claude-relay.json"), "utf8")) as {
  panels: Panel[];
  templating: { list: { name: string; query?: string | { query?: string } }[] };
};
const rules = (parse(readFileSync(join(repoRoot, "deploy/prometheus/alerts.yml"), "utf8")) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap(
  (g) => g.rules,
);

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** Every PromQL expression the dashboard and the rules run, with where it comes from. */
const queries: { where: string; expr: string }[] = [
  ...allPanels(dashboard.panels).flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr }))),
  ...dashboard.templating.list.flatMap((v) => {
    const query = typeof v.query === "string" ? v.query : v.query?.query;
    // label_values(metric, label): the metric is what must exist.
    const metric = query?.match(/^label_values\(([^,)]+)/)?.[1]?.trim();
    return metric ? [{ where: `variable "${v.name}"`, expr: metric }] : [];
  }),
  ...rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
];

/** Series name → the label sets seen, from a Prometheus text exposition. */
function seriesIn(text: string): Map<string, string[]> {
  const series = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const match = line.match(/^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})?\s/);
    if (!match) continue;
    const [, name, labels = ""] = match as unknown as [string, string, string?];
    series.set(name, [...(series.get(name) ?? []), labels]);
  }
  return series;
}

let stack: Stack;
let relaySeries: Map<string, string[]>;
let controlPlaneSeries: Map<string, string[]>;

beforeAll(async () => {
  stack = await startStack();
  const call = (key: string, stream: boolean) =>
    fetch(`${stack.relayUrl}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": key, "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 16, stream, messages: [{ role: "user", content: "hi" }] }),
    }).then(async (res) => ({ status: res.status, body: await res.text() }));
  // A streamed answer, a whole one, and a refused key: requests, streams, TTFB, leases, releases and refusals.
  expect((await call(stack.clientKey, true)).status).toBe(200);
  expect((await call(stack.clientKey, false)).status).toBe(200);
  expect((await call("cr_not-a-key-of-this-relay-0000000000000000000", false)).status).toBe(401);
  // Release is sent after the answer; give it a moment to be counted.
  await new Promise((resolve) => setTimeout(resolve, 300));
  relaySeries = seriesIn(await (await fetch(`${stack.relayMetricsUrl}/metrics`)).text());
  controlPlaneSeries = seriesIn(await (await fetch(`${stack.controlPlaneMetricsUrl}/metrics`)).text());
}, 60_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

describe("dashboard and alert metrics against a live scrape", () => {
  it("finds the queries it checks: every panel target, the variables and every alert rule", () => {
    expect(queries.filter((q) => q.where.startsWith("panel")).length).toBeGreaterThanOrEqual(12);
    expect(queries.filter((q) => q.where.startsWith("variable")).length).toBeGreaterThan(0);
    expect(queries.filter((q) => q.where.startsWith("alert")).length).toBe(rules.length);
  });

  it("scrapes series from both services, each with its service label", () => {
    expect(relaySeries.get("relay_requests_total")?.some((labels) => labels.includes('status="200"'))).toBe(true);
    expect(controlPlaneSeries.get("control_plane_acquire_total")?.some((labels) => labels.includes('result="lease"'))).toBe(true);
    expect(relaySeries.get("process_resident_memory_bytes")?.[0]).toContain('service="relay"');
    expect(controlPlaneSeries.get("process_resident_memory_bytes")?.[0]).toContain('service="control-plane"');
  });

  it("queries only series a running relay or control plane exports", () => {
    const missing = queries.flatMap((q) =>
      metricNamesIn(q.expr)
        .filter((name) => !relaySeries.has(name) && !controlPlaneSeries.has(name))
        .map((name) => `${q.where}: ${name}`),
    );
    expect(missing).toEqual([]);
  });

  it("finds the label values the dashboard and the rules filter on", () => {
    expect(relaySeries.get("relay_lease_refusals_total")?.some((labels) => labels.includes('reason="KEY_INVALID"'))).toBe(true);
    expect(relaySeries.get("relay_requests_total")?.some((labels) => labels.includes('route="messages"'))).toBe(true);
    expect(relaySeries.get("relay_request_duration_seconds_bucket")?.some((labels) => labels.includes('route="messages"'))).toBe(true);
  });
});
