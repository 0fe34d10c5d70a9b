import { createMetricsRegistry, type Registry } from "@claude-relay/metrics";
import { describe, expect, it } from "vitest";
import { parsePriceTable, priceRequest } from "../usage/pricing.js";
import { createUsageMetrics, OTHER_MODEL } from "./usage-metrics.js";

const table = parsePriceTable({
  source: "test",
  models: { "claude-sonnet-4-5": { input: 3, output: 15, cache_write_5m: 3.75, cache_read: 0.3 } },
});

async function values(registry: Registry, name: string): Promise<{ labels: Record<string, string | number>; value: number }[]> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? []) as { labels: Record<string, string | number>; value: number }[];
}

describe("createUsageMetrics", () => {
  it("counts tokens by type and cost in dollars under the listed model a dated id is priced as", async () => {
    const registry = createMetricsRegistry("usage-metrics-test");
    const metrics = createUsageMetrics(registry);
    const tokens = { inputTokens: 1_000_000, outputTokens: 2_000, cacheCreationInputTokens: 0, cacheReadInputTokens: 500 };
    metrics.record(tokens, priceRequest(table, "claude-sonnet-4-5-20250929", tokens));
    metrics.record(tokens, priceRequest(table, "claude-sonnet-4-5", tokens));

    const byType = Object.fromEntries((await values(registry, "control_plane_tokens_total")).map((v) => [`${v.labels.model}/${v.labels.type}`, v.value]));
    expect(byType).toEqual({ "claude-sonnet-4-5/input": 2_000_000, "claude-sonnet-4-5/output": 4_000, "claude-sonnet-4-5/cache_read": 1_000 });
    const [cost] = await values(registry, "control_plane_cost_usd_total");
    // 2 × (1M × $3/M + 2,000 × $15/M + 500 × $0.30/M)
    expect(cost?.labels.model).toBe("claude-sonnet-4-5");
    expect(cost?.value).toBeCloseTo(2 * (3 + 0.03 + 0.00015), 9);
  });

  it("labels a model without a price as other and adds no cost for it", async () => {
    const registry = createMetricsRegistry("usage-metrics-test");
    const metrics = createUsageMetrics(registry);
    const tokens = { inputTokens: 10, outputTokens: 20, cacheCreationInputTokens: 30, cacheReadInputTokens: 0 };
    metrics.record(tokens, priceRequest(table, "some-model-nobody-lists", tokens));

    const series = await values(registry, "control_plane_tokens_total");
    expect(new Set(series.map((v) => v.labels.model))).toEqual(new Set([OTHER_MODEL]));
    expect(series.map((v) => v.value).sort((a, b) => a - b)).toEqual([10, 20, 30]);
    expect(await values(registry, "control_plane_cost_usd_total")).toEqual([]);
  });

  it("reuses the counters when a second recorder shares the registry", async () => {
    const registry = createMetricsRegistry("usage-metrics-test");
    const tokens = { inputTokens: 5, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
    createUsageMetrics(registry).record(tokens, { priced: false });
    createUsageMetrics(registry).record(tokens, { priced: false });
    expect((await values(registry, "control_plane_tokens_total")).map((v) => v.value)).toEqual([10]);
  });

  it("labels tokens and cost by platform, unknown when Release could not tell it", async () => {
    const registry = createMetricsRegistry("usage-metrics-test");
    const metrics = createUsageMetrics(registry);
    const tokens = { inputTokens: 10, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
    metrics.record(tokens, priceRequest(table, "claude-sonnet-4-5", tokens), "claude");
    metrics.record(tokens, { priced: false }, "gemini");
    metrics.record(tokens, { priced: false });
    const byPlatform = Object.fromEntries((await values(registry, "control_plane_tokens_total")).map((v) => [`${v.labels.platform}/${v.labels.model}`, v.value]));
    expect(byPlatform).toEqual({ "claude/claude-sonnet-4-5": 10, "gemini/other": 10, "unknown/other": 10 });
    expect((await values(registry, "control_plane_cost_usd_total")).map((v) => v.labels.platform)).toEqual(["claude"]);
  });
});
