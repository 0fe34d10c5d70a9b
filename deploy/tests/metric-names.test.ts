import { describe, expect, it } from "vitest";
import { exportedMetrics, metricNamesIn, metricOf } from "./metric-names.js";

describe("metricNamesIn", () => {
  it("finds the metric in a rate over a label matcher", () => {
    expect(metricNamesIn('sum by (route) (rate(relay_requests_total{namespace=~"$namespace", status=~"5.."}[$__rate_interval]))')).toEqual([
      "relay_requests_total",
    ]);
  });

  it("skips functions, keywords, grouping labels and literals", () => {
    const expr = `histogram_quantile(0.99, sum by (namespace, job, le) (rate(control_plane_acquire_duration_seconds_bucket[5m]))) > 0.05
      and on (job) sum without (pod) (rate(relay_lease_refusals_total[1h] offset 5m)) > bool 3 * +Inf`;
    expect(metricNamesIn(expr).sort()).toEqual(["control_plane_acquire_duration_seconds_bucket", "relay_lease_refusals_total"]);
  });

  it("finds a bare metric selector and a misspelt one alike", () => {
    expect(metricNamesIn("relay_active_streams + relay_actve_streams").sort()).toEqual(["relay_active_streams", "relay_actve_streams"]);
  });
});

describe("metricOf", () => {
  it("maps histogram series to their metric and leaves counters alone", async () => {
    const known = await exportedMetrics();
    expect(metricOf("relay_upstream_ttfb_seconds_bucket", known)).toBe("relay_upstream_ttfb_seconds");
    expect(metricOf("relay_requests_total", known)).toBe("relay_requests_total");
    expect(metricOf("relay_active_streams_count", known)).toBe("relay_active_streams_count");
  });
});

describe("exportedMetrics", () => {
  it("includes the process defaults prom-client registers", async () => {
    const known = await exportedMetrics();
    expect(known.get("process_resident_memory_bytes")).toBe("gauge");
    expect(known.get("nodejs_eventloop_lag_seconds")).toBe("gauge");
    expect(known.get("relay_request_duration_seconds")).toBe("histogram");
  });
});
