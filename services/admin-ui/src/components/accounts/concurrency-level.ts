/** How full an account's slots are: below 80 % ok, from 80 % warn, at or over the limit full. */
export type ConcurrencyLevel = "ok" | "warn" | "full";

/** The level of `active` slots out of `limit` (limit > 0). */
export function concurrencyLevel(active: number, limit: number): ConcurrencyLevel {
  if (active >= limit) return "full";
  // Compared in integers so 8 of 10 is exactly 80 %, never 79.999…
  return active * 100 >= limit * 80 ? "warn" : "ok";
}

/** The share of slots in use, rounded to a whole percent (may pass 100 when the limit was lowered). */
export function concurrencyPercent(active: number, limit: number): number {
  return Math.round((active * 100) / limit);
}
