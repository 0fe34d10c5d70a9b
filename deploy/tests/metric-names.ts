/**
 * The metric names the services export, and a reader that finds the metric names a PromQL
 * expression queries. The dashboard and the alert rules may use only these names; the process
 * metrics are whatever prom-client's default collectors register.
 */
import { createMetricsRegistry } from "@claude-relay/metrics";

/** Metric type as prom-client reports it. */
export type MetricType = "counter" | "gauge" | "histogram" | "summary";

/** Metrics the relay and the control plane register themselves. */
export const serviceMetrics: Readonly<Record<string, MetricType>> = {
  relay_requests_total: "counter",
  relay_request_duration_seconds: "histogram",
  relay_upstream_ttfb_seconds: "histogram",
  relay_active_streams: "gauge",
  relay_lease_refusals_total: "counter",
  relay_control_plane_errors_total: "counter",
  relay_failovers_total: "counter",
  relay_upstream_attempts_total: "counter",
  relay_control_plane_call_duration_seconds: "histogram",
  relay_upstream_errors_total: "counter",
  relay_upstream_connect_seconds: "histogram",
  relay_upstream_dead: "gauge",
  control_plane_acquire_total: "counter",
  control_plane_acquire_duration_seconds: "histogram",
  control_plane_releases_total: "counter",
  control_plane_redis_errors_total: "counter",
  control_plane_rpc_duration_seconds: "histogram",
  control_plane_redis_command_duration_seconds: "histogram",
  control_plane_account_active_leases: "gauge",
  control_plane_account_max_concurrent_tasks: "gauge",
  control_plane_account_health: "gauge",
  control_plane_tokens_total: "counter",
  control_plane_cost_usd_total: "counter",
  control_plane_sticky_total: "counter",
};

/** Service metrics plus prom-client's default process metrics, read from a real registry. */
export async function exportedMetrics(): Promise<Map<string, MetricType>> {
  const names = new Map<string, MetricType>(Object.entries(serviceMetrics));
  const registry = createMetricsRegistry("metric-names");
  for (const metric of await registry.getMetricsAsJSON()) names.set(metric.name, String(metric.type) as MetricType);
  registry.clear();
  return names;
}

const KEYWORDS = new Set(["and", "or", "unless", "offset", "bool", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan"]);
const SERIES_SUFFIX = /_(bucket|sum|count)$/;

/**
 * Metric names selected by a PromQL expression (Grafana variables allowed): identifiers that are
 * neither functions, keywords, label names in matchers or grouping clauses, nor literals.
 */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, " ")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\$\{?\w+\}?/g, " ");
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w.:])[a-zA-Z_:][\w:]*(?![\w(])(?!\s*\()/g)) {
    const word = match[0];
    if (!KEYWORDS.has(word.toLowerCase())) names.add(word);
  }
  return [...names];
}

/** The metric a series name belongs to: `x_bucket`, `x_sum`, `x_count` of a histogram or summary are `x`. */
export function metricOf(series: string, known: ReadonlyMap<string, MetricType>): string {
  const base = series.replace(SERIES_SUFFIX, "");
  const type = known.get(base);
  if (base !== series && (type === "histogram" || type === "summary")) return base;
  return series;
}
