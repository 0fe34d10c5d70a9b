/**
 * Usage and cost of every finished request, written with the Release: tokens
 * and cost per key, per account, per model and overall, by UTC hour and day,
 * in three hash-tag groups (the key, the account, a shard of the day):
 *
 * - the key: its day, hour and lifetime counters, its day's counters per model
 *   (fields "<model>|<counter>", for its holder's usage page), and its week's
 *   Opus counters for Opus models (the cost limits read `cost_nanos` from these);
 * - the account: its day, hour and lifetime counters;
 * - one shard of the day (`{day:YYYY-MM-DD:sNN}`, picked by the lease id,
 *   usage-shards): overall day and hour counters, and the day's counters per
 *   key, per account and per model (fields "<id>|<counter>"), and the hour's
 *   per model. The overall day and hour hashes also count per platform, in
 *   fields "<platform>|<counter>" beside their own, and per front door, in
 *   fields "door:<front door>|<counter>" (usage/front-doors.ts): no key more,
 *   and no write more, than the counters of the day already take. Each shard
 *   takes the writes of a sixteenth of the requests, so no slot of a Redis
 *   Cluster is on every request's path; readers sum the shards.
 *
 * Of the output tokens, those spent thinking are also counted, as
 * `reasoning_tokens` (written only when there are some; not one of the
 * USAGE_COUNTERS the readers sum, since output_tokens already holds them).
 *
 * The counters of concurrent requests are summed and written together, one
 * script call per group (usage-batch: a group commit): the shards of the day
 * are groups of their own, so a batch makes one call per shard it holds, all in
 * the same pipelined write. The key's rolling token window gets an entry per request with tokens, in the key's call; the script
 * counts it only when the key has a token limit, so most keys keep no window.
 * A request's promises settle with the calls that carry its writes, so a
 * Release is answered only once its usage is written.
 *
 * Hourly hashes expire after HOURLY_TTL_SECONDS, daily ones after
 * DAILY_TTL_SECONDS; lifetime counters stay. A model without a price is
 * counted (`unpriced_requests`, a metric, a warning once per model), never
 * dropped. Prices come from a fixed table or from this replica's price book
 * (price-book.ts): a warm book prices the request in the Release's tick; a
 * cold one is loaded first, and the request's writes follow. The key cost
 * limits read the `cost_nanos` written here, so they count at the same prices.
 * Reading the counters back is usage-reader's.
 */
import type { Logger } from "@claude-relay/logging";
import { Counter, type Registry } from "@claude-relay/metrics";
import type { RedisClient } from "../redis/client.js";
import { defineLuaCommand } from "../redis/lua-command.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { createUsageMetrics } from "../observability/usage-metrics.js";
import { createCounterBatch, type CounterIncrement } from "./usage-batch.js";
import type { PlatformName } from "../providers/account-types.js";
import { FRONT_DOOR_FIELD_PREFIX, type FrontDoorName } from "./front-doors.js";
import type { LivePrices } from "./price-book.js";
import { isOpusModel, priceRequest, type PriceTable, type TokenCounts } from "./pricing.js";
import { dayOf, hourOf, weekStartOf } from "./usage-periods.js";
import { usageShardOf } from "./usage-shards.js";

/** One finished request, as Release reports it. */
export interface UsageEvent {
  leaseId: string;
  keyId: string;
  accountId: string;
  /** The model the upstream answered with; "" when none was seen. */
  model: string;
  tokens: TokenCounts;
  nowMs: number;
  /** The platform of the account; absent when unknown (the request is then counted in no platform's fields). */
  platform?: PlatformName;
  /** The front door the request came in on; absent when unknown (the request is then counted in no front door's fields). */
  frontDoor?: FrontDoorName;
}

/** Writes usage with a release. */
export interface UsageRecorder {
  /**
   * Issues the writes of one request (counters and token-window entry) and returns
   * the replies of the calls that carry them, one per hash-tag group, which come
   * with the next flush of the batch.
   */
  usageCommands(event: UsageEvent): Promise<unknown>[];
}

/** Options of createUsageRecorder. */
export interface UsageRecorderOptions {
  redis: RedisClient;
  /** A fixed table, or this replica's price book. */
  prices: PriceTable | LivePrices;
  keys?: RedisKeys;
  /** Registers `control_plane_usage_unpriced_total`, `control_plane_tokens_total` and `control_plane_cost_usd_total` when given. */
  registry?: Registry;
  log?: Logger;
  /**
   * How long a Release's usage waits for others' before they are written together (its
   * slots are freed at once; its answer waits for the write); default 0, the end of the tick.
   */
  flushAfterMs?: number;
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

/** Of output_tokens, those spent thinking: written beside the USAGE_COUNTERS, not summed with them. */
export const REASONING_COUNTER = "reasoning_tokens";

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
        help: "Finished requests with tokens whose model has no price: counted, not costed; by platform (claude, gemini, openai, unknown).",
        labelNames: ["platform"],
        registers: [options.registry],
      })
    : undefined;
  const rates = options.registry && createUsageMetrics(options.registry);
  const warned = new Set<string>();
  // Defined up front: a script defined in the middle of a tick would miss that tick's auto-pipeline.
  const counters = createCounterBatch(defineLuaCommand(options.redis, "crAddCounters", "add-counters", "any"), { lingerMs: options.flushAfterMs ?? 0 });

  const live = "peek" in prices ? prices : undefined;

  /** The writes of one request priced at `table`. */
  function record(table: PriceTable, event: UsageEvent): Promise<unknown>[] {
    const { keyId, accountId, tokens, nowMs } = event;
    const model = modelLabel(event.model);
    const totalTokens = tokens.inputTokens + tokens.outputTokens + tokens.cacheCreationInputTokens + tokens.cacheReadInputTokens;
    const cost = priceRequest(table, event.model, tokens);
    const isUnpriced = !cost.priced && totalTokens > 0;
    rates?.record(tokens, cost, event.platform);
    if (isUnpriced) {
      unpriced?.inc({ platform: event.platform ?? "unknown" });
      if (!warned.has(model) && warned.size < MAX_WARNED_MODELS) {
        warned.add(model);
        log?.warn({ model }, "model has no price: its usage is counted without a cost");
      }
    }
    const increments: Record<UsageCounter | typeof REASONING_COUNTER, number> = {
      requests: 1,
      input_tokens: tokens.inputTokens,
      output_tokens: tokens.outputTokens,
      cache_creation_input_tokens: tokens.cacheCreationInputTokens,
      cache_read_input_tokens: tokens.cacheReadInputTokens,
      cost_nanos: cost.priced ? cost.nanos : 0,
      unpriced_requests: isUnpriced ? 1 : 0,
      // Never more than the output it is part of.
      [REASONING_COUNTER]: Math.min(tokens.reasoningTokens ?? 0, tokens.outputTokens),
    };
    const pairs: CounterIncrement[] = Object.entries(increments).flatMap(([name, by]) => (by > 0 ? [[name, Math.trunc(by)] as const] : []));
    const prefixed = (id: string) => pairs.map(([name, by]) => [`${id}|${name}`, by] as const);
    const day = dayOf(nowMs);
    const hour = hourOf(nowMs);
    const shard = usageShardOf(event.leaseId);

    const hashes: [key: string, ttl: number, fields: CounterIncrement[]][] = [
      [keys.apiKeyDailyUsage(keyId, day), DAILY_TTL_SECONDS, pairs],
      [keys.apiKeyHourlyUsage(keyId, hour), HOURLY_TTL_SECONDS, pairs],
      [keys.apiKeyTotalUsage(keyId), 0, pairs],
      // In the key's own script call, so the key's model breakdown costs no call more.
      [keys.apiKeyDailyUsageByModel(keyId, day), DAILY_TTL_SECONDS, prefixed(model)],
      [keys.accountDailyUsage(accountId, day), DAILY_TTL_SECONDS, pairs],
      [keys.accountHourlyUsage(accountId, hour), HOURLY_TTL_SECONDS, pairs],
      [keys.accountTotalUsage(accountId), 0, pairs],
      [keys.usageDay(day, shard), DAILY_TTL_SECONDS, pairs],
      [keys.usageHour(hour, shard), HOURLY_TTL_SECONDS, pairs],
      [keys.usageDayBy(day, "key", shard), DAILY_TTL_SECONDS, prefixed(keyId)],
      [keys.usageDayBy(day, "account", shard), DAILY_TTL_SECONDS, prefixed(accountId)],
      [keys.usageDayBy(day, "model", shard), DAILY_TTL_SECONDS, prefixed(model)],
      [keys.usageHourByModel(hour, shard), HOURLY_TTL_SECONDS, prefixed(model)],
    ];
    if (event.platform !== undefined) {
      // Added to the increments of the same two hashes: the batch merges them into one HINCRBY list per hash.
      hashes.push([keys.usageDay(day, shard), DAILY_TTL_SECONDS, prefixed(event.platform)], [keys.usageHour(hour, shard), HOURLY_TTL_SECONDS, prefixed(event.platform)]);
    }
    if (event.frontDoor !== undefined) {
      // Likewise merged into the same two hashes' writes.
      const door = `${FRONT_DOOR_FIELD_PREFIX}${event.frontDoor}`;
      hashes.push([keys.usageDay(day, shard), DAILY_TTL_SECONDS, prefixed(door)], [keys.usageHour(hour, shard), HOURLY_TTL_SECONDS, prefixed(door)]);
    }
    if (isOpusModel(event.model)) hashes.push([keys.apiKeyWeeklyOpusUsage(keyId, weekStartOf(nowMs)), WEEKLY_TTL_SECONDS, pairs]);
    // Writes of one group share the promise of the group's call.
    const written = new Set(hashes.map(([key, ttl, fields]) => counters.add(key, ttl, fields)));
    if (totalTokens > 0) {
      const window = { record: keys.apiKey(keyId), window: keys.apiKeyTokenWindow(keyId), total: keys.apiKeyTokenWindowTotal(keyId) };
      written.add(counters.addToWindow(window, { member: `${event.leaseId}:${totalTokens}`, tokens: totalTokens, endMs: nowMs }));
    }
    return [...written];
  }

  return {
    usageCommands(event) {
      if (live === undefined) return record(prices as PriceTable, event);
      const table = live.peek();
      if (table) return record(table, event);
      return [live.current().then((loaded) => Promise.all(record(loaded, event)))];
    },
  };
}
