/**
 * The dashboard's numbers, shaped from UsageService and the lists: days and
 * ranges (UTC, as the server counts them), series for the trend chart, slices
 * for the model chart, and counts for the stat cards. Pure: no Vue, no Chart.js.
 */
import type { Account, ApiKey, DayUsage, HourUsage, NamedUsage, UsageCounters } from "@claude-relay/proto/admin";
import { healthState, type HealthState } from "../accounts/account-health.js";
import { apiKeyState } from "../api-keys/api-key-state.js";

/** The most keys or accounts one summary lists (the server's cap). */
export const MAX_TOP = 100;
/** Days in the daily trend, today included. */
export const TREND_DAYS = 14;
/** Slices in the model chart before the rest are summed as "other". */
export const MAX_MODEL_SLICES = 6;

/** What a chart counts. */
export type UsageMetric = "requests" | "tokens" | "cost";

/** Input, output, cache-write and cache-read tokens together. */
export function totalTokens(usage: Pick<UsageCounters, "inputTokens" | "outputTokens" | "cacheCreationInputTokens" | "cacheReadInputTokens">): number {
  return Number(usage.inputTokens + usage.outputTokens + usage.cacheCreationInputTokens + usage.cacheReadInputTokens);
}

/** One metric of some counters (undefined counts as zero). */
export function metricOf(usage: UsageCounters | undefined, metric: UsageMetric): number {
  if (usage === undefined) return 0;
  if (metric === "requests") return Number(usage.requests);
  if (metric === "tokens") return totalTokens(usage);
  return usage.costUsd;
}

/** The UTC day of `ms` as "YYYY-MM-DD". */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The range of `days` days ending with `toDay` ("YYYY-MM-DD"), both included. */
export function lastDays(toDay: string, days: number): { fromDay: string; toDay: string } {
  return { fromDay: utcDay(Date.parse(`${toDay}T00:00:00Z`) - (days - 1) * 86_400_000), toDay };
}

/** Labels and values of a trend line. */
export interface Series {
  labels: string[];
  values: number[];
}

/** All 24 UTC hours ("00:00" … "23:00"), missing hours as zero. */
export function hourlySeries(hours: readonly HourUsage[], metric: UsageMetric): Series {
  const byHour = new Map(hours.map((h) => [h.hour, h.usage]));
  const labels = Array.from({ length: 24 }, (_, hour) => `${String(hour).padStart(2, "0")}:00`);
  return { labels, values: labels.map((_, hour) => metricOf(byHour.get(hour), metric)) };
}

/** One point per day as sent (oldest first), labelled "MM-DD". */
export function dailySeries(days: readonly DayUsage[], metric: UsageMetric): Series {
  return { labels: days.map((d) => d.day.slice(5)), values: days.map((d) => metricOf(d.usage, metric)) };
}

/** One slice of the model chart; `other` sums the models past the largest ones. */
export interface Slice {
  label: string;
  value: number;
  other: boolean;
}

/** The largest `max` models by `metric`, then one "other" slice for the rest; empty slices are left out. */
export function modelSlices(models: readonly NamedUsage[], metric: UsageMetric, max: number = MAX_MODEL_SLICES): Slice[] {
  const sorted = models
    .map((m) => ({ label: m.name || m.id, value: metricOf(m.usage, metric), other: false }))
    .filter((s) => s.value > 0)
    .sort((a, b) => b.value - a.value);
  if (sorted.length <= max) return sorted;
  const rest = sorted.slice(max - 1).reduce((sum, s) => sum + s.value, 0);
  return [...sorted.slice(0, max - 1), { label: "", value: rest, other: true }];
}

/** How many accounts are in each health state; states with none are absent. */
export function healthCounts(accounts: readonly Pick<Account, "health">[]): Partial<Record<HealthState, number>> {
  const counts: Partial<Record<HealthState, number>> = {};
  for (const account of accounts) {
    const state = healthState(account.health);
    counts[state] = (counts[state] ?? 0) + 1;
  }
  return counts;
}

/** Keys that are not revoked, and of those the ones accepted now. */
export function keyCounts(apiKeys: readonly Pick<ApiKey, "enabled" | "expiresAt" | "revokedAt">[], nowMs: number = Date.now()): { total: number; active: number } {
  const live = apiKeys.filter((key) => key.revokedAt === undefined);
  return { total: live.length, active: live.filter((key) => apiKeyState(key, nowMs) === "active").length };
}
