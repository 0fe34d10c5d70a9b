import { randomBytes, randomUUID } from "node:crypto";
import { createLogger } from "@claude-relay/logging";
import { createMetricsRegistry, type Registry } from "@claude-relay/metrics";
import { OutcomeKind } from "@claude-relay/proto/lease";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { formatLeaseId } from "../leases/lease-id.js";
import { createLeaseStore, type LeaseStore, type LeaseUsage } from "../leases/lease-store.js";
import { createReleaseLease, type ReleaseInput } from "../leases/release-lease.js";
import { createRedis } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { loadPriceTable } from "./pricing.js";
import { createUsageReader, type UsageReader } from "./usage-reader.js";
import { createUsageRecorder, DAILY_TTL_SECONDS, HOURLY_TTL_SECONDS } from "./usage-recorder.js";
import { USAGE_SHARDS_TO_READ, usageShardOf } from "./usage-shards.js";
import { summedShards } from "./usage-shards.test-helper.js";

const log = createLogger({ service: "control-plane", level: "silent" });
// Wednesday 2025-01-15, 13:45 UTC.
const START = Date.parse("2025-01-15T13:45:00Z");
const DAY = "2025-01-15";
const HOUR = "2025-01-15T13";

let server: TestRedis;
let redis: Redis;
let keys: RedisKeys;
let leases: LeaseStore;
let registry: Registry;
let reader: UsageReader;
let release: (input: ReleaseInput) => Promise<unknown>;
let clock = START;

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url);
});

beforeEach(() => {
  clock = START;
  keys = createRedisKeys({ prefix: `test-${randomBytes(6).toString("hex")}` });
  registry = createMetricsRegistry("control-plane");
  const now = () => clock;
  leases = createLeaseStore({ redis, keys, ttlMs: 30_000, now });
  const usage = createUsageRecorder({ redis, keys, prices: loadPriceTable(), registry, log });
  release = createReleaseLease({ leases, log, usage, now });
  reader = createUsageReader({ redis, keys });
});

afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

const noTokens: LeaseUsage = { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };

/** Acquires a real lease on the account and key, then releases it with this usage. */
async function finish(accountId: string, keyId: string, model: string, usage: Partial<LeaseUsage>, outcome = OutcomeKind.SUCCESS, status = 200) {
  await Promise.all([redis.hset(keys.account(accountId), { name: "a" }), redis.hset(keys.apiKey(keyId), { keyHash: "x" })]);
  const leaseId = formatLeaseId(accountId, keyId);
  await leases.acquire(leaseId, { kind: "account", id: accountId }, 0);
  await release({ leaseId, outcome, status, detail: "", usage: { ...noTokens, ...usage }, model, latencyMs: 10, ttfbMs: 5 });
  return leaseId;
}

describe("usage recorded with Release", () => {
  it("counts tokens and cost per key, account, model and overall, by hour and by day", async () => {
    const [acct, key] = [randomUUID(), randomUUID()];
    const leaseId = await finish(acct, key, "claude-sonnet-4-5", { inputTokens: 1_000, outputTokens: 500, cacheCreationInputTokens: 2_000, cacheReadInputTokens: 10_000 });
    const shard = usageShardOf(leaseId);
    // 1000 × $3 + 500 × $15 + 2000 × $3.75 + 10000 × $0.30 per million = $0.021 = 21,000,000 nano-dollars.
    const expected = {
      requests: "1",
      input_tokens: "1000",
      output_tokens: "500",
      cache_creation_input_tokens: "2000",
      cache_read_input_tokens: "10000",
      cost_nanos: "21000000",
    };
    for (const hash of [
      keys.apiKeyDailyUsage(key, DAY),
      keys.apiKeyHourlyUsage(key, HOUR),
      keys.apiKeyTotalUsage(key),
      keys.accountDailyUsage(acct, DAY),
      keys.accountHourlyUsage(acct, HOUR),
      keys.accountTotalUsage(acct),
      keys.usageDay(DAY, shard),
      keys.usageHour(HOUR, shard),
    ]) {
      expect(await redis.hgetall(hash)).toEqual(expected);
    }
    expect(await redis.hget(keys.usageDayBy(DAY, "key", shard), `${key}|cost_nanos`)).toBe("21000000");
    expect(await redis.hget(keys.usageDayBy(DAY, "account", shard), `${acct}|requests`)).toBe("1");
    expect(await redis.hget(keys.usageDayBy(DAY, "model", shard), "claude-sonnet-4-5|cache_read_input_tokens")).toBe("10000");
    expect(await redis.hget(keys.usageHourByModel(HOUR, shard), "claude-sonnet-4-5|output_tokens")).toBe("500");
    // The lease's shard took the day's writes; no other copy, and not the unsharded one of earlier versions.
    const others = USAGE_SHARDS_TO_READ.filter((s) => s !== shard);
    expect(await redis.exists(...others.flatMap((s) => [keys.usageDay(DAY, s), keys.usageHour(HOUR, s), keys.usageDayBy(DAY, "model", s)]))).toBe(0);
    expect(await redis.zscore(keys.accountLeases(acct), leaseId)).toBeNull();
  });

  it("keeps hourly counters two weeks, daily ones a year, and lifetime ones for good", async () => {
    const [acct, key] = [randomUUID(), randomUUID()];
    const shard = usageShardOf(await finish(acct, key, "claude-haiku-4-5", { inputTokens: 1 }));
    const hourly = await redis.ttl(keys.apiKeyHourlyUsage(key, HOUR));
    expect(hourly).toBeGreaterThan(HOURLY_TTL_SECONDS - 60);
    expect(hourly).toBeLessThanOrEqual(HOURLY_TTL_SECONDS);
    expect(await redis.ttl(keys.usageHour(HOUR, shard))).toBeGreaterThan(HOURLY_TTL_SECONDS - 60);
    expect(await redis.ttl(keys.usageDay(DAY, shard))).toBeGreaterThan(DAILY_TTL_SECONDS - 60);
    expect(await redis.ttl(keys.accountDailyUsage(acct, DAY))).toBeGreaterThan(DAILY_TTL_SECONDS - 60);
    expect(await redis.ttl(keys.apiKeyTotalUsage(key))).toBe(-1);
  });

  it("adds several requests up exactly, cache tokens included, and reads them back by day, hour and dimension", async () => {
    const [acctA, acctB, keyA, keyB] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    // claude-haiku-4-5 at $1 / $5 / $1.25 / $0.10: 2000 + 1500 + 500 + 500 thousand nano-dollars = 4,500,000.
    await finish(acctA, keyA, "claude-haiku-4-5", { inputTokens: 2_000, outputTokens: 300, cacheCreationInputTokens: 400, cacheReadInputTokens: 5_000 });
    clock += 3_600_000;
    // A dated id priced as claude-sonnet-4-5-20250929: 10 × $3 + 20 × $15 = 330,000.
    await finish(acctB, keyA, "claude-sonnet-4-5-20250929", { inputTokens: 10, outputTokens: 20 });
    // Two 1-hour cache writes of claude-sonnet-4-5 at 2 × $3: 12,000.
    await finish(acctB, keyB, "claude-sonnet-4-5", { cacheCreationInputTokens: 2, cacheCreation1hInputTokens: 2 });

    const [day] = await reader.daily({ kind: "total" }, [DAY]);
    expect(day).toEqual({
      requests: 3,
      input_tokens: 2_010,
      output_tokens: 320,
      cache_creation_input_tokens: 402,
      cache_read_input_tokens: 5_000,
      cost_nanos: 4_842_000,
      unpriced_requests: 0,
    });
    const hours = await reader.hourly({ kind: "total" }, DAY);
    expect(hours.map((h) => h.requests)).toEqual([...Array(13).fill(0), 1, 2, ...Array(9).fill(0)]);
    expect((await reader.hourly({ kind: "model", id: "claude-haiku-4-5" }, DAY))[13]?.cost_nanos).toBe(4_500_000);
    expect((await reader.daily({ kind: "key", id: keyA }, [DAY]))[0]?.cost_nanos).toBe(4_830_000);
    expect((await reader.daily({ kind: "account", id: acctB }, [DAY]))[0]?.requests).toBe(2);

    const byKey = await reader.breakdown("key", [DAY, "2025-01-16"]);
    expect(byKey.get(keyA)?.cost_nanos).toBe(4_830_000);
    expect(byKey.get(keyB)?.cost_nanos).toBe(12_000);
    expect([...(await reader.breakdown("model", [DAY])).keys()].sort()).toEqual(["claude-haiku-4-5", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929"]);
  });

  it("counts a key's usage per model by day, in the key's own call, and reads it back with its lifetime totals", async () => {
    const [acct, keyA, keyB] = [randomUUID(), randomUUID(), randomUUID()];
    // 1,000 × $5 and 1,000 × $15 per million output tokens.
    await finish(acct, keyA, "claude-haiku-4-5", { outputTokens: 1_000 });
    await finish(acct, keyA, "claude-haiku-4-5", { inputTokens: 10 });
    await finish(acct, keyA, "claude-sonnet-4-5", { outputTokens: 1_000 });
    clock += 86_400_000;
    await finish(acct, keyA, "claude-sonnet-4-5", { outputTokens: 1_000 });
    await finish(acct, keyB, "claude-opus-4-1", { outputTokens: 1 });

    expect(await redis.hgetall(keys.apiKeyDailyUsageByModel(keyA, DAY))).toMatchObject({
      "claude-haiku-4-5|requests": "2",
      "claude-haiku-4-5|cost_nanos": "5010000",
      "claude-sonnet-4-5|cost_nanos": "15000000",
    });
    const ttl = await redis.ttl(keys.apiKeyDailyUsageByModel(keyA, DAY));
    expect(ttl).toBeGreaterThan(DAILY_TTL_SECONDS - 60);
    // The key's day hash keeps only its own counters, as before.
    expect(Object.keys(await redis.hgetall(keys.apiKeyDailyUsage(keyA, DAY))).every((field) => !field.includes("|"))).toBe(true);

    const models = await reader.keyModels(keyA, [DAY, "2025-01-16"]);
    expect([...models.keys()].sort()).toEqual(["claude-haiku-4-5", "claude-sonnet-4-5"]);
    expect(models.get("claude-haiku-4-5")).toMatchObject({ requests: 2, input_tokens: 10, output_tokens: 1_000, cost_nanos: 5_010_000 });
    expect(models.get("claude-sonnet-4-5")).toMatchObject({ requests: 2, output_tokens: 2_000, cost_nanos: 30_000_000 });
    expect((await reader.keyModels(keyA, ["2025-01-16"])).get("claude-sonnet-4-5")?.requests).toBe(1);
    expect(await reader.lifetime({ kind: "key", id: keyA })).toMatchObject({ requests: 4, output_tokens: 3_000, cost_nanos: 35_010_000 });
    expect((await reader.lifetime({ kind: "account", id: acct })).requests).toBe(5);
    expect(await reader.lifetime({ kind: "key", id: randomUUID() })).toMatchObject({ requests: 0, cost_nanos: 0 });
  });

  it("counts the tokens of a model without a price, flags it, and gives it no cost", async () => {
    const [acct, key] = [randomUUID(), randomUUID()];
    await finish(acct, key, "claude-sonnet-9", { inputTokens: 70, outputTokens: 30 });
    await finish(acct, key, "claude-sonnet-9", {});
    expect(await redis.hgetall(keys.apiKeyDailyUsage(key, DAY))).toEqual({ requests: "2", input_tokens: "70", output_tokens: "30", unpriced_requests: "1" });
    expect((await summedShards(redis, (s) => keys.usageDayBy(DAY, "model", s)))["claude-sonnet-9|unpriced_requests"]).toBe("1");
    expect(await registry.getSingleMetricAsString("control_plane_usage_unpriced_total")).toMatch(/^control_plane_usage_unpriced_total(\{[^}]*\})? 1$/m);
  });

  it("records what an early-ended stream used until then", async () => {
    const [acct, key] = [randomUUID(), randomUUID()];
    // The stream broke after message_start and 37 output tokens; the client of another one hung up.
    await finish(acct, key, "claude-sonnet-4-5", { inputTokens: 1_200, cacheReadInputTokens: 800, outputTokens: 37 }, OutcomeKind.STREAM_INTERRUPTED, 200);
    await finish(acct, key, "claude-sonnet-4-5", { inputTokens: 100, outputTokens: 3 }, OutcomeKind.CLIENT_ABORTED, 200);
    // 1300 × $3 + 40 × $15 + 800 × $0.30 per million = 3,900,000 + 600,000 + 240,000.
    expect(await redis.hgetall(keys.apiKeyTotalUsage(key))).toEqual({
      requests: "2",
      input_tokens: "1300",
      output_tokens: "40",
      cache_read_input_tokens: "800",
      cost_nanos: "4740000",
    });
  });

  it("counts an Opus model's cost in the key's week, and no other model's", async () => {
    const [acct, key] = [randomUUID(), randomUUID()];
    await finish(acct, key, "claude-opus-4-1", { outputTokens: 1_000 });
    await finish(acct, key, "claude-sonnet-4-5", { outputTokens: 1_000 });
    expect(await redis.hget(keys.apiKeyWeeklyOpusUsage(key, "2025-01-13"), "cost_nanos")).toBe("75000000");
    expect(await redis.hget(keys.apiKeyWeeklyOpusUsage(key, "2025-01-13"), "requests")).toBe("1");
  });

  it("counts a request under the front door it came in on, in the day's and hour's totals, apart from platforms", async () => {
    const [acct, key] = [randomUUID(), randomUUID()];
    await Promise.all([redis.hset(keys.account(acct), { name: "a" }), redis.hset(keys.apiKey(key), { keyHash: "x" })]);
    for (const frontDoor of ["openai-chat", "openai-chat", undefined] as const) {
      const leaseId = formatLeaseId(acct, key);
      await leases.acquire(leaseId, { kind: "account", id: acct }, 0);
      const door = frontDoor === undefined ? {} : { frontDoor };
      await release({ leaseId, outcome: OutcomeKind.SUCCESS, status: 200, detail: "", usage: { ...noTokens, outputTokens: 1_000 }, model: "claude-haiku-4-5", latencyMs: 1, ttfbMs: 1, ...door });
    }
    // 1,000 × $5 per million = 5,000,000 nano-dollars a request.
    const day = await summedShards(redis, (s) => keys.usageDay(DAY, s));
    expect(day["door:openai-chat|cost_nanos"]).toBe("10000000");
    expect(day.requests).toBe("3");
    expect((await reader.hourly({ kind: "front-door", id: "openai-chat" }, DAY))[13]).toMatchObject({ requests: 2, output_tokens: 2_000 });
    expect([...(await reader.breakdown("front-door", [DAY])).entries()]).toEqual([["openai-chat", expect.objectContaining({ requests: 2, cost_nanos: 10_000_000 })]]);
    // Without a catalog the account's platform is unknown: the door's fields are not read as a platform's.
    expect((await reader.breakdown("platform", [DAY])).size).toBe(0);
  });

  it("sends a Release's slot and usage writes in one round trip", async () => {
    const [acct, key] = [randomUUID(), randomUUID()];
    await Promise.all([redis.hset(keys.account(acct), { name: "a" }), redis.hset(keys.apiKey(key), { keyHash: "x" })]);
    const leaseId = formatLeaseId(acct, key);
    await leases.acquire(leaseId, { kind: "account", id: acct }, 0);
    const stream = (redis as unknown as { stream: { write: (chunk: unknown, ...rest: unknown[]) => boolean } }).stream;
    const write = stream.write.bind(stream);
    let writes = 0;
    stream.write = (chunk: unknown, ...rest: unknown[]) => {
      writes++;
      return write(chunk, ...rest);
    };
    try {
      await release({ leaseId, outcome: OutcomeKind.SUCCESS, status: 200, detail: "", usage: { ...noTokens, inputTokens: 5 }, model: "claude-haiku-4-5", latencyMs: 1, ttfbMs: 1 });
    } finally {
      stream.write = write;
    }
    expect(writes).toBe(1);
    expect(await redis.hget(keys.usageDay(DAY, usageShardOf(leaseId)), "input_tokens")).toBe("5");
  });
});
