import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { exportedMetrics, metricNamesIn, metricOf, type MetricType } from "./metric-names.js";
import { promtool, requirePromtool } from "./promtool.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const rulesDir = join(repoRoot, "deploy/prometheus");
const rulesText = readFileSync(join(rulesDir, "alerts.yml"), "utf8");

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules: Rule[] = parse(rulesText).groups.flatMap((g: { rules: Rule[] }) => g.rules);

let known: Map<string, MetricType>;

beforeAll(async () => {
  requirePromtool();
  known = await exportedMetrics();
});

describe("alert rules", () => {
  it("pass promtool check rules", () => {
    const result = promtool(["check", "rules", "alerts.yml"], rulesDir);
    expect(result.output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(result.ok).toBe(true);
  });

  it("pass their promtool unit tests", () => {
    const result = promtool(["test", "rules", "alerts.test.yml"], rulesDir);
    expect(result.ok ? "" : result.output).toBe("");
  });

  it("have a promtool unit test for every alert", () => {
    const tests = parse(readFileSync(join(rulesDir, "alerts.test.yml"), "utf8"));
    const tested = new Set<string>();
    for (const t of tests.tests) for (const a of t.alert_rule_test ?? []) if ((a.exp_alerts ?? []).length > 0) tested.add(a.alertname);
    expect([...tested].sort()).toEqual(rules.map((r) => r.alert).sort());
  });

  it("cover the failures operators must hear about", () => {
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        "ClaudeRelayHighErrorRate",
        "ClaudeRelayNoAccountAvailable",
        "ClaudeRelayControlPlaneUnreachable",
        "ClaudeRelayAcquireLatencyHigh",
        "ClaudeRelayLeaseRefusalsSpiking",
      ]),
    );
  });

  it("query only metrics the services export", () => {
    const unknown = rules.flatMap((r) => metricNamesIn(r.expr).filter((s) => !known.has(metricOf(s, known))).map((s) => `${r.alert}: ${s}`));
    expect(unknown).toEqual([]);
  });

  it("carry a severity, a summary and a description, and wait before firing", () => {
    for (const r of rules) {
      expect(["warning", "critical"], r.alert).toContain(r.labels?.severity);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect(r.annotations?.description, r.alert).toBeTruthy();
      expect(r.for, r.alert).toMatch(/^\d+m$/);
    }
  });

  it("are the same file the Helm chart renders into its PrometheusRule", () => {
    const chartCopy = readFileSync(join(repoRoot, "helm/claude-relay/files/alerts.yml"), "utf8");
    expect(chartCopy, "copy deploy/prometheus/alerts.yml to helm/claude-relay/files/alerts.yml").toBe(rulesText);
  });
});
