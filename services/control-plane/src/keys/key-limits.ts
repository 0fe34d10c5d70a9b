/**
 * The limits of an API key that need Redis, enforced where the key's slot is
 * taken: concurrency, the rolling request and token windows, the daily, total
 * and weekly-Opus cost limits, and expiry after first use. One Lua call
 * (acquire-key.lua) over the key's own keys (`{key:ID}`) checks them all,
 * takes the slot and counts the request in its window atomically, in the same
 * batch as the account slot, so replicas racing on one key never pass a limit
 * together. The limits are read from the key's record inside the script, so a
 * replica's cached copy cannot loosen them. Tokens and cost are counted by the
 * usage recorder at Release; a request's tokens are known only then, so a key
 * may pass its token or cost limit by what its requests in flight use.
 */
import type { RedisClient } from "../redis/client.js";
import { defineLuaCommand } from "../redis/lua-command.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import type { LeaseStore } from "../leases/lease-store.js";
import { refuse, type Refusal } from "../leases/refusal.js";
import { isOpusModel } from "../usage/pricing.js";
import { dayOf, msUntilDayEnd, msUntilWeekEnd, weekStartOf } from "../usage/usage-periods.js";
import type { ApiKeyRecord } from "./api-key-store.js";

/** Which limit refused a request. */
export type KeyLimitName = "concurrency" | "requests" | "tokens" | "daily_cost" | "total_cost" | "weekly_opus_cost";

/** What taking a key's slot found. */
export type KeySlotReply =
  | { status: "granted"; active: number }
  | { status: "limited"; limit: KeyLimitName; /** 0 when unknown. */ retryAfterMs: number; /** The limit's value as stored. */ value: string }
  | { status: "expired" | "disabled" | "missing" };

/** A key's use against its limits, right now. */
export interface KeySpend {
  todayNanos: number;
  totalNanos: number;
  opusThisWeekNanos: number;
  windowRequests: number;
  windowTokens: number;
  /** Requests and tokens (every kind together) today (UTC) and over the key's life. */
  todayRequests: number;
  todayTokens: number;
  totalRequests: number;
  totalTokens: number;
  /** Requests holding one of the key's slots now (its concurrency limit counts them). */
  activeRequests: number;
}

const SPEND_FIELDS = ["cost_nanos", "requests", "input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"] as const;

/** The key side of Acquire. */
export interface KeyLimits {
  /** Takes the key's slot for leaseId when every limit allows the request. */
  acquire(leaseId: string, key: ApiKeyRecord, model: string): Promise<KeySlotReply>;
  /** Gives back a slot taken for an attempt that got no account, with its place in the request window. */
  cancel(leaseId: string, keyId: string): Promise<void>;
  /** The key's spend and window use now (for the admin API). */
  spend(key: ApiKeyRecord): Promise<KeySpend>;
}

/** Options of createKeyLimits. */
export interface KeyLimitsOptions {
  redis: RedisClient;
  /** The lease TTL, as the lease store's. */
  ttlMs: number;
  keys?: RedisKeys;
  now?: () => number;
}

const MIN_CONCURRENCY_RETRY_MS = 1_000;
const LIMIT_NAMES: readonly KeyLimitName[] = ["concurrency", "requests", "tokens", "daily_cost", "total_cost", "weekly_opus_cost"];

/** Key limits over Redis. */
export function createKeyLimits(options: KeyLimitsOptions): KeyLimits {
  const { redis, ttlMs } = options;
  const keys = options.keys ?? createRedisKeys();
  const now = options.now ?? Date.now;
  const acquireKey = defineLuaCommand(redis, "crAcquireKey", "acquire-key", 8);

  return {
    async acquire(leaseId, key, model) {
      const nowMs = now();
      const id = key.id;
      const reply = (await acquireKey(
        [
          keys.apiKeyLeases(id),
          keys.apiKey(id),
          keys.apiKeyRequestWindow(id),
          keys.apiKeyTokenWindow(id),
          keys.apiKeyTokenWindowTotal(id),
          keys.apiKeyDailyUsage(id, dayOf(nowMs)),
          keys.apiKeyTotalUsage(id),
          keys.apiKeyWeeklyOpusUsage(id, weekStartOf(nowMs)),
        ],
        [leaseId, nowMs, ttlMs, isOpusModel(model) ? "1" : "0", msUntilDayEnd(nowMs), msUntilWeekEnd(nowMs)],
      )) as (number | string)[];
      return toReply(reply);
    },

    async cancel(leaseId, keyId) {
      await Promise.all([redis.zrem(keys.apiKeyLeases(keyId), leaseId), redis.zrem(keys.apiKeyRequestWindow(keyId), leaseId)]);
    },

    async spend(key) {
      const nowMs = now();
      const cutoff = nowMs - (key.rateWindowSeconds ?? 0) * 1000;
      const counters = (hashKey: string) =>
        redis.hmget(hashKey, ...SPEND_FIELDS).then((values) => {
          const [costNanos, requests, ...tokens] = values.map((v) => Number(v ?? 0) || 0) as number[];
          return { costNanos: costNanos ?? 0, requests: requests ?? 0, tokens: tokens.reduce((sum, n) => sum + n, 0) };
        });
      const [today, total, opusThisWeekNanos, windowRequests, tokenEntries, activeRequests] = await Promise.all([
        counters(keys.apiKeyDailyUsage(key.id, dayOf(nowMs))),
        counters(keys.apiKeyTotalUsage(key.id)),
        redis.hget(keys.apiKeyWeeklyOpusUsage(key.id, weekStartOf(nowMs)), "cost_nanos").then((v) => Number(v ?? 0)),
        key.rateWindowSeconds ? redis.zcount(keys.apiKeyRequestWindow(key.id), `(${cutoff}`, "+inf") : 0,
        key.rateWindowSeconds ? redis.zrangebyscore(keys.apiKeyTokenWindow(key.id), `(${cutoff}`, "+inf") : [],
        // Members are scored by their expiry; expired ones are only dropped by the next acquire.
        redis.zcount(keys.apiKeyLeases(key.id), `(${nowMs}`, "+inf"),
      ]);
      const windowTokens = tokenEntries.reduce((sum, member) => sum + Number(member.slice(member.lastIndexOf(":") + 1) || 0), 0);
      return {
        todayNanos: today.costNanos,
        totalNanos: total.costNanos,
        opusThisWeekNanos,
        windowRequests,
        windowTokens,
        todayRequests: today.requests,
        todayTokens: today.tokens,
        totalRequests: total.requests,
        totalTokens: total.tokens,
        activeRequests,
      };
    },
  };
}

/** Key limits that know concurrency only, over the lease store: for a flow built without createKeyLimits. */
export function concurrencyOnlyKeyLimits(leases: LeaseStore): KeyLimits {
  return {
    async acquire(leaseId, key) {
      const slot = await leases.acquire(leaseId, { kind: "key", id: key.id }, key.concurrencyLimit);
      if (slot.status === "granted") return slot;
      if (slot.status === "missing") return { status: "missing" };
      return { status: "limited", limit: "concurrency", retryAfterMs: slot.waitMs, value: String(key.concurrencyLimit) };
    },
    async cancel(leaseId, keyId) {
      await leases.release(leaseId, [{ kind: "key", id: keyId }]);
    },
    async spend() {
      return { todayNanos: 0, totalNanos: 0, opusThisWeekNanos: 0, windowRequests: 0, windowTokens: 0, todayRequests: 0, todayTokens: 0, totalRequests: 0, totalTokens: 0, activeRequests: 0 };
    },
  };
}

/** The refusal for a key slot that was not granted; messages are safe to show the client. */
export function keySlotRefusal(reply: Exclude<KeySlotReply, { status: "granted" }>, key: ApiKeyRecord): Refusal {
  switch (reply.status) {
    case "missing":
      return refuse("KEY_INVALID", "invalid x-api-key");
    case "disabled":
      return refuse("KEY_INVALID", "this API key is disabled");
    case "expired":
      return refuse("KEY_INVALID", "this API key has expired");
    case "limited":
      // Slots churn quickly: a concurrency hint under a second would only invite a busy loop.
      return refuse(
        "KEY_LIMIT",
        limitMessage(reply.limit, reply.value, key.rateWindowSeconds ?? 0),
        reply.limit === "concurrency" ? Math.max(reply.retryAfterMs, MIN_CONCURRENCY_RETRY_MS) : reply.retryAfterMs,
      );
  }
}

function limitMessage(limit: KeyLimitName, value: string, windowSeconds: number): string {
  switch (limit) {
    case "concurrency":
      return `this API key is at its limit of ${value} concurrent requests`;
    case "requests":
      return `this API key is over its limit of ${value} requests per ${windowSeconds} seconds`;
    case "tokens":
      return `this API key is over its limit of ${value} tokens per ${windowSeconds} seconds`;
    case "daily_cost":
      return `this API key has reached its daily cost limit of $${value}`;
    case "total_cost":
      return `this API key has reached its total cost limit of $${value}`;
    case "weekly_opus_cost":
      return `this API key has reached its weekly cost limit of $${value} for Opus models`;
  }
}

function toReply(reply: (number | string)[]): KeySlotReply {
  const [status, first, retry, value] = reply;
  if (status === 1) return { status: "granted", active: Number(first) };
  if (status === -1) return { status: "missing" };
  if (status === -2) return { status: "expired" };
  if (status === -3) return { status: "disabled" };
  const limit = LIMIT_NAMES.find((name) => name === first) ?? "concurrency";
  return { status: "limited", limit, retryAfterMs: Math.max(0, Number(retry ?? 0)), value: String(value ?? "") };
}
