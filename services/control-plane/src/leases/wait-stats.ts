/**
 * How long waits took, summed up for the admin's queue view: count, the
 * 50th, 90th and 99th percentiles and the longest. Pure. Percentiles are
 * nearest-rank: always one of the recorded waits, never an interpolation,
 * so a p99 over few waits is simply the longest of them.
 */

/** The summary of a set of wait times, in ms. */
export interface WaitSummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** The nearest-rank `percent` percentile (0 < percent ≤ 100) of values sorted ascending; undefined when there are none. */
export function nearestRank(sorted: readonly number[], percent: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((percent / 100) * sorted.length);
  return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1];
}

/** The summary of `times` (any order); undefined when there are none. */
export function summarizeWaits(times: readonly number[]): WaitSummary | undefined {
  if (times.length === 0) return undefined;
  const sorted = [...times].sort((a, b) => a - b);
  const at = (percent: number) => nearestRank(sorted, percent) ?? 0;
  return { count: sorted.length, p50Ms: at(50), p90Ms: at(90), p99Ms: at(99), maxMs: sorted[sorted.length - 1] ?? 0 };
}
