/**
 * Token and cost rates for Prometheus, counted in process from the usage each
 * Release reports (no Redis). The model label is the price table's id the
 * request was priced as, or "other" for a model with no price, so the label
 * set stays as small as the table whatever model ids clients send; the
 * platform label is the account's platform, or "unknown" when Release could
 * not tell it.
 */
import { Counter, type Registry } from "@claude-relay/metrics";
import type { PlatformName } from "../providers/account-types.js";
import { nanosToUsd, type RequestCost, type TokenCounts } from "../usage/pricing.js";

/** Counts tokens and cost of finished requests. */
export interface UsageMetrics {
  /** Adds one finished request's tokens and cost, served on `platform` (absent: unknown). */
  record(tokens: TokenCounts, cost: RequestCost, platform?: PlatformName): void;
}

/** Token type label values, one per counted kind. */
export type TokenType = "input" | "output" | "cache_creation" | "cache_read";

/** The model label of a model the price table does not list. */
export const OTHER_MODEL = "other";

const TOKENS_TOTAL = "control_plane_tokens_total";
const COST_TOTAL = "control_plane_cost_usd_total";

/** Registers the counters on `registry`, or reuses them when another recorder on it already did. */
export function createUsageMetrics(registry: Registry): UsageMetrics {
  const tokensTotal =
    (registry.getSingleMetric(TOKENS_TOTAL) as Counter<"model" | "type" | "platform"> | undefined) ??
    new Counter({
      name: TOKENS_TOTAL,
      help: "Tokens reported with Release, by priced model (or other), type (input, output, cache_creation, cache_read) and platform.",
      labelNames: ["model", "type", "platform"],
      registers: [registry],
    });
  const costTotal =
    (registry.getSingleMetric(COST_TOTAL) as Counter<"model" | "platform"> | undefined) ??
    new Counter({
      name: COST_TOTAL,
      help: "Cost at list prices of the usage reported with Release, in US dollars, by priced model and platform.",
      labelNames: ["model", "platform"],
      registers: [registry],
    });

  return {
    record(tokens, cost, served) {
      const model = cost.priced ? cost.pricedAs : OTHER_MODEL;
      const platform = served ?? "unknown";
      const add = (type: TokenType, count: number) => {
        if (count > 0) tokensTotal.inc({ model, type, platform }, count);
      };
      add("input", tokens.inputTokens);
      add("output", tokens.outputTokens);
      add("cache_creation", tokens.cacheCreationInputTokens);
      add("cache_read", tokens.cacheReadInputTokens);
      if (cost.priced && cost.nanos > 0) costTotal.inc({ model, platform }, nanosToUsd(cost.nanos));
    },
  };
}
