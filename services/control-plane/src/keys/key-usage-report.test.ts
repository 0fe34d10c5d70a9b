import { describe, expect, it } from "vitest";
import { emptyTotals, type UsageTotals } from "../usage/usage-reader.js";
import type { ApiKeyRecord } from "./api-key-store.js";
import type { KeySpend } from "./key-limits.js";
import { buildKeyUsageReport, REPORT_DAYS, reportDays, type KeyUsageReportInput } from "./key-usage-report.js";

// Wednesday 2025-01-15, 13:45 UTC; its week began on Monday the 13th.
const NOW = Date.parse("2025-01-15T13:45:00Z");

const KEY: ApiKeyRecord = {
  id: "key-1",
  name: "ci runner",
  keyPrefix: "cr_AbCd",
  keyHash: "f".repeat(64),
  enabled: true,
  createdAtMs: Date.parse("2025-01-01T00:00:00Z"),
  expiresAtMs: 0,
  concurrencyLimit: 0,
  allowedModels: [],
  revokedAtMs: 0,
};

const NO_SPEND: KeySpend = {
  todayNanos: 0,
  totalNanos: 0,
  opusThisWeekNanos: 0,
  windowRequests: 0,
  windowTokens: 0,
  todayRequests: 0,
  todayTokens: 0,
  totalRequests: 0,
  totalTokens: 0,
  activeRequests: 0,
};

function totals(over: Partial<UsageTotals>): UsageTotals {
  return { ...emptyTotals(), ...over };
}

function input(over: Partial<KeyUsageReportInput> = {}): KeyUsageReportInput {
  const days = reportDays(NOW);
  return { key: KEY, spend: NO_SPEND, days, daily: days.map(() => emptyTotals()), lifetime: emptyTotals(), models: new Map(), nowMs: NOW, ...over };
}

describe("reportDays", () => {
  it("lists the last REPORT_DAYS UTC days, today last", () => {
    const days = reportDays(NOW);
    expect(days).toHaveLength(REPORT_DAYS);
    expect(days[days.length - 1]).toBe("2025-01-15");
    expect(days[0]).toBe("2024-12-17");
  });
});

describe("buildKeyUsageReport", () => {
  it("sums today, the week from Monday and every day listed, and shows the lifetime totals as read", () => {
    const days = reportDays(NOW);
    const daily = days.map((day) => {
      if (day === "2025-01-15") return totals({ requests: 2, input_tokens: 100, output_tokens: 50, cost_nanos: 1_500_000 });
      if (day === "2025-01-13") return totals({ requests: 1, cache_read_input_tokens: 1_000, cost_nanos: 300_000 });
      // Sunday: the week before.
      if (day === "2025-01-12") return totals({ requests: 5, cost_nanos: 9_000_000_000, unpriced_requests: 1 });
      return emptyTotals();
    });
    const lifetime = totals({ requests: 40, input_tokens: 7, output_tokens: 8, cache_creation_input_tokens: 9, cache_read_input_tokens: 10, cost_nanos: 12_345_000_000 });
    const report = buildKeyUsageReport(input({ daily, lifetime }));

    expect(report.usage.today).toEqual({
      day: "2025-01-15",
      requests: 2,
      inputTokens: 100,
      outputTokens: 50,
      cacheCreationInputTokens: 0,
      cacheReadInputTokens: 0,
      totalTokens: 150,
      costUsd: 0.0015,
      unpricedRequests: 0,
    });
    expect(report.usage.thisWeek).toMatchObject({ from: "2025-01-13", requests: 3, totalTokens: 1_150, costUsd: 0.0018 });
    expect(report.usage.total).toMatchObject({ requests: 40, totalTokens: 34, costUsd: 12.345 });
    expect(report.usage.byDay).toHaveLength(REPORT_DAYS);
    expect(report.usage.byDay.find((d) => d.day === "2025-01-12")).toMatchObject({ requests: 5, costUsd: 9, unpricedRequests: 1 });
    expect(report.usage.byDay.map((d) => d.day)).toEqual(days);
  });

  it("lists the models used, most cost first, then most requests, then by name", () => {
    const models = new Map([
      ["claude-haiku-4-5", totals({ requests: 9, cost_nanos: 1_000 })],
      ["claude-opus-4-1", totals({ requests: 1, cost_nanos: 5_000_000 })],
      ["gemini-2.5-flash", totals({ requests: 9, cost_nanos: 1_000 })],
      ["b-unpriced", totals({ requests: 9, cost_nanos: 1_000, unpriced_requests: 3 })],
      ["never-used", emptyTotals()],
    ]);
    const report = buildKeyUsageReport(input({ models }));
    expect(report.usage.byModel.map((m) => m.model)).toEqual(["claude-opus-4-1", "b-unpriced", "claude-haiku-4-5", "gemini-2.5-flash"]);
    expect(report.usage.byModel[0]).toMatchObject({ requests: 1, costUsd: 0.005 });
  });

  it("shows every limit the key has, with what is used and left of it, and null for the others", () => {
    const key: ApiKeyRecord = {
      ...KEY,
      concurrencyLimit: 3,
      rateWindowSeconds: 3_600,
      rateLimitRequests: 100,
      rateLimitTokens: 50_000,
      dailyCostLimitUsd: 1,
      weeklyOpusCostLimitUsd: 0,
      totalCostLimitUsd: 10,
    };
    const spend: KeySpend = { ...NO_SPEND, activeRequests: 1, windowRequests: 120, windowTokens: 1_234, todayNanos: 300_000_000, totalNanos: 9_990_000_000 };
    const { limits } = buildKeyUsageReport(input({ key, spend }));
    expect(limits).toEqual({
      concurrency: { limit: 3, used: 1, remaining: 2 },
      // Over the limit (a request's tokens count only once it ends): nothing left, never below 0.
      requests: { limit: 100, used: 120, remaining: 0, windowSeconds: 3_600 },
      tokens: { limit: 50_000, used: 1_234, remaining: 48_766, windowSeconds: 3_600 },
      dailyCostUsd: { limit: 1, used: 0.3, remaining: 0.7, resetsAt: "2025-01-16T00:00:00.000Z" },
      weeklyOpusCostUsd: null,
      totalCostUsd: { limit: 10, used: 9.99, remaining: 0.01 },
    });
  });

  it("gives the weekly Opus limit's reset as next Monday", () => {
    const { limits } = buildKeyUsageReport(input({ key: { ...KEY, weeklyOpusCostLimitUsd: 20 }, spend: { ...NO_SPEND, opusThisWeekNanos: 25_000_000_000 } }));
    expect(limits.weeklyOpusCostUsd).toEqual({ limit: 20, used: 25, remaining: 0, resetsAt: "2025-01-20T00:00:00.000Z" });
  });

  it("names the key, its models and platforms, and no limit when it has none", () => {
    const report = buildKeyUsageReport(input({ key: { ...KEY, allowedModels: ["claude-sonnet-*"], platforms: ["claude", "gemini"] } }));
    expect(report.generatedAt).toBe("2025-01-15T13:45:00.000Z");
    expect(report.key).toEqual({ name: "ci runner", prefix: "cr_AbCd", createdAt: "2025-01-01T00:00:00.000Z", firstUsedAt: null });
    expect(report.allowedModels).toEqual(["claude-sonnet-*"]);
    expect(report.platforms).toEqual(["claude", "gemini"]);
    expect(Object.values(report.limits).every((limit) => limit === null)).toBe(true);
    expect(report.expiry).toEqual({ expiresAt: null, expiresAfterFirstUseSeconds: null, effectiveExpiresAt: null });
  });

  it("works out when the key stops working: its date, or its time after first use, whichever comes first", () => {
    const fixed = Date.parse("2025-03-01T00:00:00Z");
    const firstUse = Date.parse("2025-01-10T08:00:00Z");
    const day = 86_400;
    const expiry = (key: Partial<ApiKeyRecord>) => buildKeyUsageReport(input({ key: { ...KEY, ...key } })).expiry;

    expect(expiry({ expiresAtMs: fixed })).toEqual({ expiresAt: "2025-03-01T00:00:00.000Z", expiresAfterFirstUseSeconds: null, effectiveExpiresAt: "2025-03-01T00:00:00.000Z" });
    // Not used yet: the clock after first use has not started.
    expect(expiry({ expireAfterFirstUseSeconds: 7 * day })).toEqual({ expiresAt: null, expiresAfterFirstUseSeconds: 7 * day, effectiveExpiresAt: null });
    expect(expiry({ expireAfterFirstUseSeconds: 7 * day, firstUsedAtMs: firstUse }).effectiveExpiresAt).toBe("2025-01-17T08:00:00.000Z");
    expect(expiry({ expiresAtMs: fixed, expireAfterFirstUseSeconds: 7 * day, firstUsedAtMs: firstUse }).effectiveExpiresAt).toBe("2025-01-17T08:00:00.000Z");
    expect(expiry({ expiresAtMs: fixed, expireAfterFirstUseSeconds: 365 * day, firstUsedAtMs: firstUse }).effectiveExpiresAt).toBe("2025-03-01T00:00:00.000Z");
    expect(buildKeyUsageReport(input({ key: { ...KEY, firstUsedAtMs: firstUse } })).key.firstUsedAt).toBe("2025-01-10T08:00:00.000Z");
  });

  it("carries nothing of the record beyond what the key holder may see", () => {
    const key: ApiKeyRecord = { ...KEY, boundAccountId: "acct-secret-id", boundGroup: "", platformGroups: { claude: "team-group" }, allowedClients: ["claude-cli/*"] };
    const json = JSON.stringify(buildKeyUsageReport(input({ key })));
    for (const hidden of [KEY.keyHash, KEY.id, "acct-secret-id", "team-group"]) expect(json).not.toContain(hidden);
  });
});
