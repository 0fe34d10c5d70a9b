/**
 * The report a key holder sees about their own key: the one JSON document
 * served by the relay's GET /v1/key/usage (through GetKeyUsage) and by the
 * control plane's /stats page. KeyUsageReport below is its only definition;
 * the README shows an example. Pure: the caller reads the key, its spend
 * against its limits (key-limits) and its usage counters (usage-reader), and
 * this puts them together. It says nothing about other keys, accounts or the
 * pool: only what is read about this key goes in.
 *
 * Times are ISO 8601 (UTC), days "YYYY-MM-DD" (UTC), weeks start on Monday,
 * money is US dollars at list prices. A limit that is not set is null.
 */
import { nanosToUsd, NANOS_PER_USD } from "../usage/pricing.js";
import { dayOf, daysBetween, msUntilDayEnd, msUntilWeekEnd, weekStartOf } from "../usage/usage-periods.js";
import { addTotals, byCostThenRequests, emptyTotals, type UsageTotals } from "../usage/usage-reader.js";
import type { ApiKeyRecord } from "./api-key-store.js";
import type { KeySpend } from "./key-limits.js";

/** Days the report lists one by one (and sums by model): today and the 29 before. */
export const REPORT_DAYS = 30;

/** Usage over a period. */
export interface KeyUsageTotals {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
  /** The four kinds of tokens together. */
  totalTokens: number;
  /** Cost of the requests whose model has a price. */
  costUsd: number;
  /** Requests whose model has no price: counted, not in costUsd. */
  unpricedRequests: number;
}

/** One limit and what is left of it. */
export interface KeyUsageLimit {
  limit: number;
  used: number;
  /** limit − used, never below 0. */
  remaining: number;
}

/** A key holder's report on their own key. */
export interface KeyUsageReport {
  generatedAt: string;
  key: {
    name: string;
    /** The key's first characters ("cr_AbCd"), to tell keys apart. */
    prefix: string;
    createdAt: string;
    /** null until the key's first request. */
    firstUsedAt: string | null;
  };
  expiry: {
    /** The fixed expiry; null for none. */
    expiresAt: string | null;
    /** The key expires this long after its first request; null for none. */
    expiresAfterFirstUseSeconds: number | null;
    /** When the key stops working: the earlier of the two; null when it never does, or not before its first request. */
    effectiveExpiresAt: string | null;
  };
  /** Models the key may use ("claude-sonnet-*" matches by prefix); empty: every model. */
  allowedModels: string[];
  /** Platforms the key may use ("claude", "gemini", "openai"); empty: every platform. */
  platforms: string[];
  limits: {
    /** Requests at once; used = requests running now. */
    concurrency: KeyUsageLimit | null;
    /** Requests started in any rolling window of windowSeconds. */
    requests: (KeyUsageLimit & { windowSeconds: number }) | null;
    /** Tokens used in any rolling window of windowSeconds. */
    tokens: (KeyUsageLimit & { windowSeconds: number }) | null;
    dailyCostUsd: (KeyUsageLimit & { resetsAt: string }) | null;
    /** Opus models only. */
    weeklyOpusCostUsd: (KeyUsageLimit & { resetsAt: string }) | null;
    totalCostUsd: KeyUsageLimit | null;
  };
  usage: {
    today: KeyUsageTotals & { day: string };
    /** From Monday (`from`) to today. */
    thisWeek: KeyUsageTotals & { from: string };
    /** Over the key's whole life. */
    total: KeyUsageTotals;
    /** Per model over the days of byDay, most cost first. */
    byModel: (KeyUsageTotals & { model: string })[];
    /** Every day of the last REPORT_DAYS, oldest first, today last. */
    byDay: (KeyUsageTotals & { day: string })[];
  };
}

/** What the report is made of, read by the caller. */
export interface KeyUsageReportInput {
  key: ApiKeyRecord;
  spend: KeySpend;
  /** reportDays(nowMs) and the key's totals of each, in that order. */
  days: readonly string[];
  daily: readonly UsageTotals[];
  lifetime: UsageTotals;
  /** The key's totals per model over `days`. */
  models: ReadonlyMap<string, UsageTotals>;
  nowMs: number;
}

/** The days a report at nowMs lists: REPORT_DAYS of them, today last. */
export function reportDays(nowMs: number): string[] {
  return daysBetween(dayOf(nowMs - (REPORT_DAYS - 1) * 86_400_000), dayOf(nowMs));
}

/** Builds the report. */
export function buildKeyUsageReport(input: KeyUsageReportInput): KeyUsageReport {
  const { key, spend, nowMs } = input;
  const today = dayOf(nowMs);
  const weekStart = weekStartOf(nowMs);
  const dayTotals = input.days.map((day, i) => ({ day, totals: input.daily[i] ?? emptyTotals() }));
  const sum = (from: string) => dayTotals.filter(({ day }) => day >= from && day <= today).reduce((acc, { totals }) => addTotals(acc, totals), emptyTotals());
  const firstUsedAtMs = key.firstUsedAtMs ?? 0;
  const afterFirstUseSeconds = key.expireAfterFirstUseSeconds ?? 0;
  const window = key.rateWindowSeconds ?? 0;

  return {
    generatedAt: iso(nowMs),
    key: { name: key.name, prefix: key.keyPrefix, createdAt: iso(key.createdAtMs), firstUsedAt: firstUsedAtMs > 0 ? iso(firstUsedAtMs) : null },
    expiry: {
      expiresAt: key.expiresAtMs > 0 ? iso(key.expiresAtMs) : null,
      expiresAfterFirstUseSeconds: afterFirstUseSeconds > 0 ? afterFirstUseSeconds : null,
      effectiveExpiresAt: effectiveExpiry(key.expiresAtMs, firstUsedAtMs, afterFirstUseSeconds),
    },
    allowedModels: [...key.allowedModels],
    platforms: [...(key.platforms ?? [])],
    limits: {
      concurrency: key.concurrencyLimit > 0 ? countLimit(key.concurrencyLimit, spend.activeRequests) : null,
      requests: (key.rateLimitRequests ?? 0) > 0 ? { ...countLimit(key.rateLimitRequests ?? 0, spend.windowRequests), windowSeconds: window } : null,
      tokens: (key.rateLimitTokens ?? 0) > 0 ? { ...countLimit(key.rateLimitTokens ?? 0, spend.windowTokens), windowSeconds: window } : null,
      dailyCostUsd: (key.dailyCostLimitUsd ?? 0) > 0 ? { ...costLimit(key.dailyCostLimitUsd ?? 0, spend.todayNanos), resetsAt: iso(nowMs + msUntilDayEnd(nowMs)) } : null,
      weeklyOpusCostUsd:
        (key.weeklyOpusCostLimitUsd ?? 0) > 0 ? { ...costLimit(key.weeklyOpusCostLimitUsd ?? 0, spend.opusThisWeekNanos), resetsAt: iso(nowMs + msUntilWeekEnd(nowMs)) } : null,
      totalCostUsd: (key.totalCostLimitUsd ?? 0) > 0 ? costLimit(key.totalCostLimitUsd ?? 0, spend.totalNanos) : null,
    },
    usage: {
      today: { day: today, ...toReportTotals(sum(today)) },
      thisWeek: { from: weekStart, ...toReportTotals(sum(weekStart)) },
      total: toReportTotals(input.lifetime),
      byModel: [...input.models.entries()]
        .filter(([, totals]) => totals.requests > 0)
        .sort(([a, ta], [b, tb]) => byCostThenRequests(ta, tb) || (a < b ? -1 : 1))
        .map(([model, totals]) => ({ model, ...toReportTotals(totals) })),
      byDay: dayTotals.map(({ day, totals }) => ({ day, ...toReportTotals(totals) })),
    },
  };
}

/** Counter totals as the report shows them. */
export function toReportTotals(totals: UsageTotals): KeyUsageTotals {
  return {
    requests: totals.requests,
    inputTokens: totals.input_tokens,
    outputTokens: totals.output_tokens,
    cacheCreationInputTokens: totals.cache_creation_input_tokens,
    cacheReadInputTokens: totals.cache_read_input_tokens,
    totalTokens: totals.input_tokens + totals.output_tokens + totals.cache_creation_input_tokens + totals.cache_read_input_tokens,
    costUsd: nanosToUsd(totals.cost_nanos),
    unpricedRequests: totals.unpriced_requests,
  };
}

function countLimit(limit: number, used: number): KeyUsageLimit {
  return { limit, used, remaining: Math.max(0, limit - used) };
}

/** Worked out in nano-dollars, so what is left is exact (1 − 0.3 is 0.7, not 0.7000000000000001). */
function costLimit(limitUsd: number, usedNanos: number): KeyUsageLimit {
  const limitNanos = Math.round(limitUsd * NANOS_PER_USD);
  return { limit: limitUsd, used: nanosToUsd(usedNanos), remaining: nanosToUsd(Math.max(0, limitNanos - usedNanos)) };
}

function effectiveExpiry(expiresAtMs: number, firstUsedAtMs: number, afterFirstUseSeconds: number): string | null {
  const candidates = [expiresAtMs > 0 ? expiresAtMs : undefined, afterFirstUseSeconds > 0 && firstUsedAtMs > 0 ? firstUsedAtMs + afterFirstUseSeconds * 1000 : undefined];
  const times = candidates.filter((t): t is number => t !== undefined);
  return times.length === 0 ? null : iso(Math.min(...times));
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
