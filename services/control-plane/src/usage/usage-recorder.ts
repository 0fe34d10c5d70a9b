/**
 * Usage and cost of every finished request, written with the Release: tokens
 * and cost per key, per account, per model and overall, by UTC hour and day.
 * Four script calls, each inside one hash-tag group (the key, the account, the
 * day), issued in the release's tick so they share its round trip:
 *
 * - the key: its day, hour and lifetime counters, and its week's Opus counters
 *   for Opus models (the cost limits read `cost_nanos` from these), plus its
 *   rolling token window when it has a token limit;
 * - the account: its day, hour and lifetime counters;
 * - the day: overall day and hour counters, and the day's counters per key,
 *   per account and per model (fields "<id>|<counter>"), and the hour's per model.
 *
 * Hourly hashes expire after HOURLY_TTL_SECONDS, daily ones after
 * DAILY_TTL_SECONDS; lifetime counters stay. A model without a price is
 * counted (`unpriced_requests`, a metric, a warning once per model), never
 * dropped. Reading the counters back is usage-reader's.
 */
import type { Logger } from "@claude-relay/logging";
import { Counter, type Registry } from "@claude-relay/metrics";
import type { RedisClient } from "../redis/client.js";
import { defineLuaCommand, type LuaCommand } from "../redis/lua-command.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { createUsageMetrics } from "../observability/usage-metrics.js";
import { isOpusModel, priceRequest, type PriceTable, type TokenCounts } from "./pricing.js";
import { dayOf, hourOf, weekStartOf } from "./usage-periods.js";

/** One finished request, as Release reports it. */
export interface UsageEvent {
  leaseId: string;
  keyId: string;
  accountId: string;
  /** The model the upstream answered with; "" when none was seen. */
  model: string;
  tokens: TokenCounts;
  nowMs: number;
}

/** Writes usage with a release. */
export interface UsageRecorder {
  /** Issues the writes of one request now (synchronously, so they join the caller's batch) and returns their replies. */
  usageCommands(event: UsageEvent): Promise<unknown>[];
}

/** Options of createUsageRecorder. */
export interface UsageRecorderOptions {
  redis: RedisClient;
  prices: PriceTable;
  keys?: RedisKeys;
  /** Registers `control_plane_usage_unpriced_total`, `control_plane_tokens_total` and `control_plane_cost_usd_total` when given. */
  registry?: Registry;
  log?: Logger;
}

/** Counter names in every usage hash. */
export const USAGE_COUNTERS = [
  "requests",
  "input_tokens",
  "output_tokens",
  "cache_creation_input_tokens",
  "cache_read_input_tokens",
  "cost_nanos",
  "unpriced_requests",
] as const;

/** A usage counter name. */
export type UsageCounter = (typeof USAGE_COUNTERS)[number];

/** Hourly counters are kept two weeks. */
export const HOURLY_TTL_SECONDS = 14 * 24 * 3600;
/** Daily counters are kept a little over a year, for trends. */
export const DAILY_TTL_SECONDS = 400 * 24 * 3600;
/** A week's Opus counters outlive their week by one more. */
const WEEKLY_TTL_SECONDS = 15 * 24 * 3600;
const MAX_WARNED_MODELS = 100;

/** The model name as counted: trimmed, at most 100 safe characters; "unknown" when empty. */
export function modelLabel(model: string): string {
  const label = model.trim().slice(0, 100).replace(/[^A-Za-z0-9._:@/-]/g, "_");
  return label === "" ? "unknown" : label;
}

/** Builds the recorder. */
export function createUsageRecorder(options: UsageRecorderOptions): UsageRecorder {
  const { prices, log } = options;
  const keys = options.keys ?? createRedisKeys();
  const unpriced = options.registry
    ? new Counter({
        name: "control_plane_usage_unpriced_total",
        help: "Finished requests with tokens whose model has no price: counted, not costed.",
        registers: [options.registry],
      })
    : undefined;
  const rates = options.registry && createUsageMetrics(options.registry);
  const warned = new Set<string>();
  // Defined up front: a script defined in the middle of a tick would miss that tick's auto-pipeline.
  // One definition per key count: the script takes any number of hashes, but a call's key count is fixed.
  const countBy = new Map([3, 4, 6].map((n) => [n, defineLuaCommand(options.redis, `crCountUsage${n}`, "count-usage", n)]));
  const addWindowTokens = defineLuaCommand(options.redis, "crAddWindowTokens", "add-window-tokens", 3);

  return {
    usageCommands(event) {
      const { keyId, accountId, tokens, nowMs } = event;
      const model = modelLabel(event.model);
      const totalTokens = tokens.inputTokens + tokens.outputTokens + tokens.cacheCreationInputTokens + tokens.cacheReadInputTokens;
      const cost = priceRequest(prices, event.model, tokens);
      const isUnpriced = !cost.priced && totalTokens > 0;
      rates?.record(tokens, cost);
      if (isUnpriced) {
        unpriced?.inc();
        if (!warned.has(model) && warned.size < MAX_WARNED_MODELS) {
          warned.add(model);
          log?.warn({ model }, "model has no price: its usage is counted without a cost");
        }
      }
      const increments: Record<UsageCounter, number> = {
        requests: 1,
        input_tokens: tokens.inputTokens,
        output_tokens: tokens.outputTokens,
        cache_creation_input_tokens: tokens.cacheCreationInputTokens,
        cache_read_input_tokens: tokens.cacheReadInputTokens,
        cost_nanos: cost.priced ? cost.nanos : 0,
        unpriced_requests: isUnpriced ? 1 : 0,
      };
      const pairs = Object.entries(increments).flatMap(([name, by]) => (by > 0 ? [name, Math.trunc(by)] : []));
      const day = dayOf(nowMs);
      const hour = hourOf(nowMs);

      const keyHashes: [string, number][] = [
        [keys.apiKeyDailyUsage(keyId, day), DAILY_TTL_SECONDS],
        [keys.apiKeyHourlyUsage(keyId, hour), HOURLY_TTL_SECONDS],
        [keys.apiKeyTotalUsage(keyId), 0],
      ];
      if (isOpusModel(event.model)) keyHashes.push([keys.apiKeyWeeklyOpusUsage(keyId, weekStartOf(nowMs)), WEEKLY_TTL_SECONDS]);
      const countIn = (hashes: [key: string, ttl: number, prefix?: string][]) =>
        (countBy.get(hashes.length) as LuaCommand)(
          hashes.map(([key]) => key),
          [...hashes.map(([, ttl]) => ttl), ...hashes.map(([, , prefix]) => prefix ?? ""), ...pairs],
        );

      return [
        countIn(keyHashes),
        countIn([
          [keys.accountDailyUsage(accountId, day), DAILY_TTL_SECONDS],
          [keys.accountHourlyUsage(accountId, hour), HOURLY_TTL_SECONDS],
          [keys.accountTotalUsage(accountId), 0],
        ]),
        countIn([
          [keys.usageDay(day), DAILY_TTL_SECONDS],
          [keys.usageHour(hour), HOURLY_TTL_SECONDS],
          [keys.usageDayBy(day, "key"), DAILY_TTL_SECONDS, `${keyId}|`],
          [keys.usageDayBy(day, "account"), DAILY_TTL_SECONDS, `${accountId}|`],
          [keys.usageDayBy(day, "model"), DAILY_TTL_SECONDS, `${model}|`],
          [keys.usageHourByModel(hour), HOURLY_TTL_SECONDS, `${model}|`],
        ]),
        addWindowTokens([keys.apiKey(keyId), keys.apiKeyTokenWindow(keyId), keys.apiKeyTokenWindowTotal(keyId)], [event.leaseId, totalTokens, nowMs]),
      ];
    },
  };
}
