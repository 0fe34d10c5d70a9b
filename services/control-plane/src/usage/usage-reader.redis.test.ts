/**
 * The reader over the sharded day-wide counters during a rolling upgrade:
 * today's requests were counted partly by the previous version (one unsharded
 * `{day:…}` copy) and partly by this one (its shards), and every read adds both.
 */
import { randomBytes } from "node:crypto";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createRedis } from "../redis/client.js";
import { createRedisKeys, USAGE_SHARDS, type RedisKeys } from "../redis/keys.js";
import { recordWrites } from "../redis/record-writes.test-helper.js";
import { loadPriceTable, priceRequest, type TokenCounts } from "./pricing.js";
import { createUsageReader, type UsageReader } from "./usage-reader.js";
import { createUsageRecorder, type UsageEvent } from "./usage-recorder.js";
import { usageShardOf } from "./usage-shards.js";

const prices = loadPriceTable();
const NOW = Date.parse("2025-01-15T13:45:00Z");
const DAY = "2025-01-15";
const HOUR = "2025-01-15T13";
const MODEL = "claude-sonnet-4-5";

let server: TestRedis;
let redis: Redis;
let keys: RedisKeys;
let reader: UsageReader;

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url);
});

beforeEach(() => {
  keys = createRedisKeys({ prefix: `reader-${randomBytes(6).toString("hex")}` });
  reader = createUsageReader({ redis, keys });
});

afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

const tokens = (input: number, output: number): TokenCounts => ({ inputTokens: input, outputTokens: output, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 });

function event(n: number, keyId: string, accountId: string, input: number): UsageEvent {
  return { leaseId: `${accountId}.${keyId}.lease${n}`, keyId, accountId, model: MODEL, tokens: tokens(input, 10), nowMs: NOW, platform: "claude", frontDoor: "anthropic" };
}

const costOf = (input: number) => {
  const cost = priceRequest(prices, MODEL, tokens(input, 10));
  if (!cost.priced) throw new Error("unpriced");
  return cost.nanos;
};

/** What the version before the shards wrote for one request in the day's group: every hash unsharded, no other change. */
async function countAsPreviousVersion(e: UsageEvent): Promise<void> {
  const counters = { requests: 1, input_tokens: e.tokens.inputTokens, output_tokens: e.tokens.outputTokens, cost_nanos: costOf(e.tokens.inputTokens) };
  const writes: Promise<unknown>[] = [];
  const add = (hash: string, prefix = "") => {
    for (const [name, by] of Object.entries(counters)) writes.push(redis.hincrby(hash, `${prefix}${name}`, by));
  };
  for (const hash of [keys.usageDay(DAY, "unsharded"), keys.usageHour(HOUR, "unsharded")]) {
    add(hash);
    add(hash, `${e.platform}|`);
    add(hash, `door:${e.frontDoor}|`);
  }
  add(keys.usageDayBy(DAY, "key", "unsharded"), `${e.keyId}|`);
  add(keys.usageDayBy(DAY, "account", "unsharded"), `${e.accountId}|`);
  add(keys.usageDayBy(DAY, "model", "unsharded"), `${e.model}|`);
  add(keys.usageHourByModel(HOUR, "unsharded"), `${e.model}|`);
  await Promise.all(writes);
}

describe("reading today's usage in a rolling upgrade", () => {
  it("adds what the previous version counted unsharded to what this one counted in its shards, in every read", async () => {
    const recorder = createUsageRecorder({ redis, keys, prices });
    // The previous version counted 3 requests of key A on account X; this one 40 of keys A and B on X and Y.
    const before = [1, 2, 3].map((n) => event(n, "key-a", "acct-x", 100 * n));
    const after = Array.from({ length: 40 }, (_, n) => event(100 + n, n % 2 ? "key-b" : "key-a", n % 4 < 2 ? "acct-x" : "acct-y", 1_000 + n));
    for (const e of before) await countAsPreviousVersion(e);
    await Promise.all(after.flatMap((e) => recorder.usageCommands(e)));
    expect(new Set(after.map((e) => usageShardOf(e.leaseId))).size).toBeGreaterThan(USAGE_SHARDS / 2);

    const all = [...before, ...after];
    const sum = (events: UsageEvent[]) => ({
      requests: events.length,
      input_tokens: events.reduce((t, e) => t + e.tokens.inputTokens, 0),
      output_tokens: 10 * events.length,
      cost_nanos: events.reduce((t, e) => t + costOf(e.tokens.inputTokens), 0),
    });
    const of = (keyId?: string, accountId?: string) => all.filter((e) => (keyId === undefined || e.keyId === keyId) && (accountId === undefined || e.accountId === accountId));

    const [total] = await reader.daily({ kind: "total" }, [DAY]);
    expect(total).toMatchObject(sum(all));
    expect((await reader.hourly({ kind: "total" }, DAY))[13]).toMatchObject(sum(all));
    expect((await reader.daily({ kind: "model", id: MODEL }, [DAY]))[0]).toMatchObject(sum(all));
    expect((await reader.hourly({ kind: "model", id: MODEL }, DAY))[13]).toMatchObject(sum(all));
    expect((await reader.daily({ kind: "platform", id: "claude" }, [DAY]))[0]).toMatchObject(sum(all));
    expect((await reader.hourly({ kind: "front-door", id: "anthropic" }, DAY))[13]).toMatchObject(sum(all));

    const byKey = await reader.breakdown("key", [DAY]);
    expect(byKey.get("key-a")).toMatchObject(sum(of("key-a")));
    expect(byKey.get("key-b")).toMatchObject(sum(of("key-b")));
    const byAccount = await reader.breakdown("account", [DAY]);
    expect(byAccount.get("acct-x")).toMatchObject(sum(of(undefined, "acct-x")));
    expect(byAccount.get("acct-y")).toMatchObject(sum(of(undefined, "acct-y")));
    expect([...(await reader.breakdown("model", [DAY])).entries()]).toEqual([[MODEL, expect.objectContaining(sum(all))]]);
    expect([...(await reader.breakdown("platform", [DAY])).entries()]).toEqual([["claude", expect.objectContaining(sum(all))]]);
    expect([...(await reader.breakdown("front-door", [DAY])).entries()]).toEqual([["anthropic", expect.objectContaining(sum(all))]]);
  });

  it("reads a day the previous version counted alone, and a day nobody counted, without error", async () => {
    await countAsPreviousVersion(event(1, "key-a", "acct-x", 500));
    const [counted, empty] = await reader.daily({ kind: "total" }, [DAY, "2025-01-14"]);
    expect(counted).toMatchObject({ requests: 1, input_tokens: 500 });
    expect(empty).toMatchObject({ requests: 0, input_tokens: 0, cost_nanos: 0 });
    expect((await reader.breakdown("key", [DAY])).get("key-a")).toMatchObject({ requests: 1, input_tokens: 500 });
  });
});

describe("the reader's cost", () => {
  it("reads each copy of the day's hash once for a summary's totals, platforms and front doors together", async () => {
    const reading = createRedis(server.url);
    try {
      await reading.ping();
      const log = recordWrites(reading);
      const shared = createUsageReader({ redis: reading, keys });
      await Promise.all([shared.daily({ kind: "total" }, [DAY]), shared.breakdown("platform", [DAY]), shared.breakdown("front-door", [DAY])]);
      const reads = log.batches.flat().filter(({ name }) => name === "hgetall");
      // Each shard and the unsharded copy, once: not three times.
      expect(reads).toHaveLength(USAGE_SHARDS + 1);
      expect(new Set(reads.map(({ first }) => first))).toEqual(new Set([...Array.from({ length: USAGE_SHARDS }, (_, s) => keys.usageDay(DAY, s)), keys.usageDay(DAY, "unsharded")]));
    } finally {
      reading.disconnect();
    }
  });
});
