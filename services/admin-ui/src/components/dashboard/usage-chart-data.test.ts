import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AccountHealth, DayUsageSchema, HourUsageSchema, NamedUsageSchema, UsageCountersSchema } from "@claude-relay/proto/admin";
import { describe, expect, it } from "vitest";
import { dailySeries, healthCounts, hourlySeries, keyCounts, lastDays, metricOf, modelSlices, totalTokens, utcDay } from "./usage-chart-data.js";

const counters = (requests: number, tokens: number, costUsd: number) =>
  create(UsageCountersSchema, {
    requests: BigInt(requests),
    inputTokens: BigInt(tokens),
    outputTokens: 0n,
    cacheCreationInputTokens: 0n,
    cacheReadInputTokens: 0n,
    costUsd,
  });

describe("counters", () => {
  it("adds input, output, cache-write and cache-read tokens", () => {
    const usage = create(UsageCountersSchema, { inputTokens: 1n, outputTokens: 20n, cacheCreationInputTokens: 300n, cacheReadInputTokens: 4_000n });
    expect(totalTokens(usage)).toBe(4_321);
  });

  it("reads each metric, and nothing as zero", () => {
    const usage = counters(3, 500, 0.25);
    expect([metricOf(usage, "requests"), metricOf(usage, "tokens"), metricOf(usage, "cost")]).toEqual([3, 500, 0.25]);
    expect(metricOf(undefined, "cost")).toBe(0);
  });
});

describe("days", () => {
  it("names UTC days and the last n of them, today included", () => {
    const now = Date.UTC(2025, 2, 3, 23, 30);
    expect(utcDay(now)).toBe("2025-03-03");
    expect(lastDays("2025-03-03", 14)).toEqual({ fromDay: "2025-02-18", toDay: "2025-03-03" });
    expect(lastDays("2024-03-01", 2)).toEqual({ fromDay: "2024-02-29", toDay: "2024-03-01" });
    expect(lastDays("2025-03-03", 1)).toEqual({ fromDay: "2025-03-03", toDay: "2025-03-03" });
  });
});

describe("trend series", () => {
  it("has all 24 hours, a missing hour as zero", () => {
    const series = hourlySeries([create(HourUsageSchema, { hour: 0, usage: counters(2, 10, 0) }), create(HourUsageSchema, { hour: 13, usage: counters(5, 70, 0) })], "requests");
    expect(series.labels).toHaveLength(24);
    expect(series.labels[0]).toBe("00:00");
    expect(series.labels[23]).toBe("23:00");
    expect(series.values[0]).toBe(2);
    expect(series.values[13]).toBe(5);
    expect(series.values.reduce((a, b) => a + b, 0)).toBe(7);
  });

  it("has one point per day in the order sent, labelled by month and day", () => {
    const days = [create(DayUsageSchema, { day: "2025-03-02", usage: counters(1, 100, 0.5) }), create(DayUsageSchema, { day: "2025-03-03", usage: counters(4, 900, 1.25) })];
    expect(dailySeries(days, "cost")).toEqual({ labels: ["03-02", "03-03"], values: [0.5, 1.25] });
    expect(dailySeries(days, "tokens").values).toEqual([100, 900]);
  });
});

describe("modelSlices", () => {
  const model = (name: string, requests: number) => create(NamedUsageSchema, { id: name, name, usage: counters(requests, requests * 10, requests / 10) });

  it("orders models by the metric and leaves out empty ones", () => {
    expect(modelSlices([model("haiku", 1), model("opus", 5), model("idle", 0)], "requests")).toEqual([
      { label: "opus", value: 5, other: false },
      { label: "haiku", value: 1, other: false },
    ]);
  });

  it("sums the models past the largest ones into one other slice", () => {
    const slices = modelSlices([model("a", 10), model("b", 8), model("c", 3), model("d", 2), model("e", 1)], "requests", 3);
    expect(slices).toEqual([
      { label: "a", value: 10, other: false },
      { label: "b", value: 8, other: false },
      { label: "", value: 6, other: true },
    ]);
  });
});

describe("stat counts", () => {
  it("counts accounts by health state", () => {
    const accounts = [AccountHealth.HEALTHY, AccountHealth.HEALTHY, AccountHealth.RATE_LIMITED, AccountHealth.CIRCUIT_HALF_OPEN].map((health) => ({ health }));
    expect(healthCounts(accounts)).toEqual({ healthy: 2, rate_limited: 1, half_open: 1 });
  });

  it("counts keys not revoked, and of those the ones accepted now", () => {
    const now = 1_000_000;
    const keys = [
      { enabled: true, expiresAt: undefined, revokedAt: undefined },
      { enabled: false, expiresAt: undefined, revokedAt: undefined },
      { enabled: true, expiresAt: timestampFromMs(now - 1), revokedAt: undefined },
      { enabled: true, expiresAt: undefined, revokedAt: timestampFromMs(now - 1) },
    ];
    expect(keyCounts(keys, now)).toEqual({ total: 3, active: 1 });
  });
});
