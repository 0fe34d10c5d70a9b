/**
 * The usage group commit on a real redis-server of our own (the call counts
 * come from INFO commandstats, which needs a server nobody else uses), and on
 * a one-node Redis Cluster, which refuses any call whose keys span slots.
 */
import { execFile } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createRedis, createRedisClient } from "../redis/client.js";
import { createRedisKeys, USAGE_SHARDS, type RedisKeys } from "../redis/keys.js";
import { defineLuaCommand } from "../redis/lua-command.js";
import { loadPriceTable, priceRequest, type TokenCounts } from "./pricing.js";
import { createCounterBatch } from "./usage-batch.js";
import { createUsageRecorder, DAILY_TTL_SECONDS, HOURLY_TTL_SECONDS, type UsageEvent } from "./usage-recorder.js";
import { usageShardOf } from "./usage-shards.js";
import { summedShards } from "./usage-shards.test-helper.js";

const run = promisify(execFile);
const prices = loadPriceTable();
const NOW = Date.parse("2025-01-15T13:45:00Z");
const DAY = "2025-01-15";
const HOUR = "2025-01-15T13";
const MODEL = "claude-sonnet-4-5";

/** The n-th of a run of requests, each with different token counts. */
function tokensOf(n: number): TokenCounts {
  return { inputTokens: n + 1, outputTokens: 2 * n, cacheCreationInputTokens: 3, cacheReadInputTokens: n % 7 };
}

/** What the n-th request counts in its key's token window. */
function windowTokensOf(n: number): number {
  const { inputTokens, outputTokens, cacheCreationInputTokens, cacheReadInputTokens } = tokensOf(n);
  return inputTokens + outputTokens + cacheCreationInputTokens + cacheReadInputTokens;
}

function eventOf(n: number, keyId: string, accountId: string): UsageEvent {
  return { leaseId: `lease-${n}`, keyId, accountId, model: MODEL, tokens: tokensOf(n), nowMs: NOW };
}

/** The shards of the day that requests 0..count-1 write, each once. */
function shardsOf(count: number): number[] {
  return [...new Set(Array.from({ length: count }, (_, n) => usageShardOf(eventOf(n, "k", "a").leaseId)))];
}

/** What one counter hash holds after requests 0..count-1, summed here one by one. */
function expectedCounters(count: number): Record<string, string> {
  const sum = { requests: 0, input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cost_nanos: 0 };
  for (let n = 0; n < count; n++) {
    const tokens = tokensOf(n);
    sum.requests += 1;
    sum.input_tokens += tokens.inputTokens;
    sum.output_tokens += tokens.outputTokens;
    sum.cache_creation_input_tokens += tokens.cacheCreationInputTokens;
    sum.cache_read_input_tokens += tokens.cacheReadInputTokens;
    const cost = priceRequest(prices, MODEL, tokens);
    sum.cost_nanos += cost.priced ? cost.nanos : 0;
  }
  return Object.fromEntries(Object.entries(sum).map(([name, value]) => [name, String(value)]));
}

/** Script calls (EVAL and EVALSHA) the server has run since the last RESETSTAT. */
async function scriptCalls(redis: Redis): Promise<number> {
  const info = await redis.info("commandstats");
  const calls = (command: string) => Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, "m").exec(info)?.[1] ?? 0);
  return calls("eval") + calls("evalsha");
}

/** The client, counting the counter calls (scripts on usage hashes) issued through it. */
function countingCounterCalls(redis: Redis): { client: Redis; issued: () => number } {
  let issued = 0;
  const client = new Proxy(redis, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if ((prop !== "eval" && prop !== "evalsha") || typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (String(args[2]).includes(":usage:")) issued++;
        return value.apply(target, args);
      };
    },
  });
  return { client, issued: () => issued };
}

const endOfTick = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe("usage group commit on one server", () => {
  let server: TestRedis;
  let redis: Redis;
  let keys: RedisKeys;

  beforeAll(async () => {
    server = await startRedis({ own: true });
    redis = createRedis(server.url);
  });

  beforeEach(() => {
    keys = createRedisKeys({ prefix: `batch-${randomBytes(6).toString("hex")}` });
  });

  afterAll(async () => {
    redis?.disconnect();
    await server?.close();
  });

  it("sums 200 concurrent requests exactly, with the same TTLs, in one counter call per hash-tag group", async () => {
    const [acct, key] = [randomUUID(), randomUUID()];
    const recorder = createUsageRecorder({ redis, keys, prices });
    await redis.config("RESETSTAT");

    await Promise.all(Array.from({ length: 200 }, (_, n) => recorder.usageCommands(eventOf(n, key, acct))).flat());

    // The key's group, the account's, and one per shard of the day the 200 lease ids fall in (all 16):
    // 18 calls. One call per group per request would be 600.
    const shards = shardsOf(200);
    expect(shards).toHaveLength(USAGE_SHARDS);
    expect(await scriptCalls(redis)).toBe(2 + shards.length);
    const expected = expectedCounters(200);
    for (const hash of [
      keys.apiKeyDailyUsage(key, DAY),
      keys.apiKeyHourlyUsage(key, HOUR),
      keys.apiKeyTotalUsage(key),
      keys.accountDailyUsage(acct, DAY),
      keys.accountHourlyUsage(acct, HOUR),
      keys.accountTotalUsage(acct),
    ]) {
      expect(await redis.hgetall(hash)).toEqual(expected);
    }
    expect(await summedShards(redis, (s) => keys.usageDay(DAY, s))).toEqual(expected);
    expect(await summedShards(redis, (s) => keys.usageHour(HOUR, s))).toEqual(expected);
    const prefixed = (id: string) => Object.fromEntries(Object.entries(expected).map(([name, value]) => [`${id}|${name}`, value]));
    expect(await summedShards(redis, (s) => keys.usageDayBy(DAY, "key", s))).toEqual(prefixed(key));
    expect(await summedShards(redis, (s) => keys.usageDayBy(DAY, "account", s))).toEqual(prefixed(acct));
    expect(await summedShards(redis, (s) => keys.usageDayBy(DAY, "model", s))).toEqual(prefixed(MODEL));
    expect(await summedShards(redis, (s) => keys.usageHourByModel(HOUR, s))).toEqual(prefixed(MODEL));

    const shard = shards[0] as number;
    for (const hash of [keys.apiKeyHourlyUsage(key, HOUR), keys.usageHour(HOUR, shard), keys.usageHourByModel(HOUR, shard)]) {
      expect(await redis.ttl(hash)).toBeGreaterThan(HOURLY_TTL_SECONDS - 60);
      expect(await redis.ttl(hash)).toBeLessThanOrEqual(HOURLY_TTL_SECONDS);
    }
    for (const hash of [keys.accountDailyUsage(acct, DAY), keys.usageDay(DAY, shard), keys.usageDayBy(DAY, "key", shard)]) {
      expect(await redis.ttl(hash)).toBeGreaterThan(DAILY_TTL_SECONDS - 60);
      expect(await redis.ttl(hash)).toBeLessThanOrEqual(DAILY_TTL_SECONDS);
    }
    expect(await redis.ttl(keys.apiKeyTotalUsage(key))).toBe(-1);
    expect(await redis.ttl(keys.accountTotalUsage(acct))).toBe(-1);
  });

  it("sums requests that arrive over many ticks exactly, and never splits one tick's requests over two flushes", async () => {
    const [acct, key] = [randomUUID(), randomUUID()];
    const recorder = createUsageRecorder({ redis, keys, prices });
    await redis.config("RESETSTAT");

    // 20 ticks of 10 requests each, while earlier flushes are still in flight.
    const writes: Promise<unknown>[] = [];
    for (let tick = 0; tick < 20; tick++) {
      for (let i = 0; i < 10; i++) writes.push(...recorder.usageCommands(eventOf(tick * 10 + i, key, acct)));
      await endOfTick();
    }
    await Promise.all(writes);

    // Per flush: the key's call, the account's, and one per shard its requests fall in.
    const counterCalls = await scriptCalls(redis);
    expect(counterCalls).toBeGreaterThanOrEqual(2 + USAGE_SHARDS);
    expect(counterCalls).toBeLessThanOrEqual(20 * (2 + 10));
    expect(await redis.hgetall(keys.apiKeyTotalUsage(key))).toEqual(expectedCounters(200));
    expect(await summedShards(redis, (s) => keys.usageDay(DAY, s))).toEqual(expectedCounters(200));
  });

  it("writes a request that arrives during a flush with the next flush, and answers it only then", async () => {
    const [acct, key] = [randomUUID(), randomUUID()];
    const counting = countingCounterCalls(redis);
    const recorder = createUsageRecorder({ redis: counting.client, keys, prices });
    const admin = createRedis(server.url);
    try {
      // Holds every client's commands for a while, so the first flush stays in flight.
      await admin.client("PAUSE", 400);
      const answered: string[] = [];
      const first = Promise.all(recorder.usageCommands(eventOf(0, key, acct))).then(() => answered.push("first"));
      await sleep(50);
      const second = Promise.all(recorder.usageCommands(eventOf(1, key, acct))).then(() => answered.push("second"));
      await sleep(50);
      // Only the first flush went out (key, account and day groups); the second request waits for it.
      expect(counting.issued()).toBe(3);
      expect(answered).toEqual([]);

      let answeredWithFirst: string[] = [];
      await first.then(() => {
        answeredWithFirst = [...answered];
      });
      expect(answeredWithFirst).toEqual(["first"]);
      await second;
      expect(answered).toEqual(["first", "second"]);
      expect(counting.issued()).toBe(6);
      expect(await redis.hgetall(keys.apiKeyTotalUsage(key))).toEqual(expectedCounters(2));
    } finally {
      admin.disconnect();
    }
  });

  it("rejects every request of a flush that cannot reach Redis, without unhandled rejections", async () => {
    const broken = createRedis(server.url);
    await broken.ping();
    broken.disconnect();
    const recorder = createUsageRecorder({ redis: broken, keys, prices });

    const results = await Promise.allSettled(Array.from({ length: 3 }, (_, n) => recorder.usageCommands(eventOf(n, randomUUID(), randomUUID()))).flat());

    // Per request: its key's (counters and token window), account's and day's calls.
    expect(results).toHaveLength(3 * 3);
    for (const result of results) {
      expect(result.status).toBe("rejected");
      expect(String((result as PromiseRejectedResult).reason)).toMatch(/Connection is closed/);
    }
  });

  it("rejects the requests whose group's call failed, writes the others, and keeps writing afterwards", async () => {
    const [acct, keyA, keyB] = [randomUUID(), randomUUID(), randomUUID()];
    const recorder = createUsageRecorder({ redis, keys, prices });
    // Not a hash: the script's HINCRBY on key A's lifetime counters fails.
    await redis.set(keys.apiKeyTotalUsage(keyA), "not a hash");

    const ofA = Promise.allSettled(recorder.usageCommands(eventOf(0, keyA, acct)));
    const ofB = Promise.allSettled(recorder.usageCommands(eventOf(1, keyB, acct)));
    const [resultsA, resultsB] = await Promise.all([ofA, ofB]);

    const rejectedA = resultsA.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(rejectedA).toHaveLength(1);
    expect(String(rejectedA[0]?.reason)).toMatch(/WRONGTYPE/);
    expect(resultsB.every((r) => r.status === "fulfilled")).toBe(true);
    expect(await redis.hget(keys.accountTotalUsage(acct), "requests")).toBe("2");
    expect((await summedShards(redis, (s) => keys.usageDayBy(DAY, "key", s)))[`${keyA}|requests`]).toBe("1");
    expect(await redis.hget(keys.apiKeyTotalUsage(keyB), "requests")).toBe("1");

    await Promise.all(recorder.usageCommands(eventOf(2, keyB, acct)));
    expect(await redis.hget(keys.apiKeyTotalUsage(keyB), "requests")).toBe("2");
  });

  describe("the key's token window, in the key's call", () => {
    const WINDOW_MS = 60_000;
    const limited = { rateWindowSeconds: WINDOW_MS / 1000, rateLimitTokens: 1_000_000 };

    /** The window as stored: member → score, its total, and both TTLs (ms). */
    async function windowOf(keyId: string) {
      const flat = await redis.zrange(keys.apiKeyTokenWindow(keyId), 0, -1, "WITHSCORES");
      const members: Record<string, string> = {};
      for (let i = 0; i < flat.length; i += 2) members[flat[i] as string] = flat[i + 1] as string;
      const ttls = await Promise.all([redis.pttl(keys.apiKeyTokenWindow(keyId)), redis.pttl(keys.apiKeyTokenWindowTotal(keyId))]);
      return { members, total: await redis.get(keys.apiKeyTokenWindowTotal(keyId)), ttls };
    }

    it("counts 200 concurrent requests of a key with a token limit one entry each, as one request a call does, in one call per group", async () => {
      const [acct, batched, oneByOne] = [randomUUID(), randomUUID(), randomUUID()];
      await Promise.all([redis.hset(keys.apiKey(batched), limited), redis.hset(keys.apiKey(oneByOne), limited)]);
      const recorder = createUsageRecorder({ redis, keys, prices });
      await redis.config("RESETSTAT");

      await Promise.all(Array.from({ length: 200 }, (_, n) => recorder.usageCommands(eventOf(n, batched, acct))).flat());

      // The key's group (counters and window), the account's and the day's shards': not 200 window calls.
      expect(await scriptCalls(redis)).toBe(2 + shardsOf(200).length);
      const window = await windowOf(batched);
      expect(window.members).toEqual(Object.fromEntries(Array.from({ length: 200 }, (_, n) => [`lease-${n}:${windowTokensOf(n)}`, String(NOW)])));
      expect(window.total).toBe(String(Array.from({ length: 200 }, (_, n) => windowTokensOf(n)).reduce((a, b) => a + b)));
      for (const ttl of window.ttls) {
        expect(ttl).toBeGreaterThan(WINDOW_MS - 5_000);
        expect(ttl).toBeLessThanOrEqual(WINDOW_MS);
      }
      expect(await redis.hgetall(keys.apiKeyTotalUsage(batched))).toEqual(expectedCounters(200));

      // The same requests one call each, every flush carrying a single entry, leave the same window.
      for (let n = 0; n < 200; n++) await Promise.all(recorder.usageCommands(eventOf(n, oneByOne, acct)));
      const alone = await windowOf(oneByOne);
      expect(alone.members).toEqual(window.members);
      expect(alone.total).toBe(window.total);
    });

    it("keeps no window for a key without a token limit, and no entry for a request without tokens", async () => {
      const acct = randomUUID();
      const [noRecord, noTokenLimit, noWindow, withLimit] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      await Promise.all([
        redis.hset(keys.apiKey(noTokenLimit), { rateWindowSeconds: 60, rateLimitTokens: 0, rateLimitRequests: 10 }),
        redis.hset(keys.apiKey(noWindow), { rateWindowSeconds: 0, rateLimitTokens: 1_000 }),
        redis.hset(keys.apiKey(withLimit), limited),
      ]);
      const recorder = createUsageRecorder({ redis, keys, prices });
      const noTokens: TokenCounts = { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };

      const events = [noRecord, noTokenLimit, noWindow].flatMap((keyId) => Array.from({ length: 5 }, (_, n) => eventOf(n, keyId, acct)));
      events.push({ ...eventOf(0, withLimit, acct), tokens: noTokens }, eventOf(1, withLimit, acct));
      await Promise.all(events.flatMap((event) => recorder.usageCommands(event)));

      for (const keyId of [noRecord, noTokenLimit, noWindow]) {
        expect(await redis.exists(keys.apiKeyTokenWindow(keyId), keys.apiKeyTokenWindowTotal(keyId))).toBe(0);
        expect(await redis.hget(keys.apiKeyTotalUsage(keyId), "requests")).toBe("5");
      }
      const window = await windowOf(withLimit);
      expect(window.members).toEqual({ [`lease-1:${windowTokensOf(1)}`]: String(NOW) });
      expect(window.total).toBe(String(windowTokensOf(1)));
      expect(await redis.hget(keys.apiKeyTotalUsage(withLimit), "requests")).toBe("2");
    });

    it("writes several windows of one tag in one call, skipping entries without tokens", async () => {
      const batch = createCounterBatch(defineLuaCommand(redis, "testAddWindows", "add-counters", "any"));
      // Two windows of one owner, under its record's tag.
      const windowNamed = (name: string) => ({
        record: keys.apiKey("o"),
        window: `${keys.apiKeyTokenWindow("o")}:${name}`,
        total: `${keys.apiKeyTokenWindowTotal("o")}:${name}`,
      });
      const [a, b] = [windowNamed("a"), windowNamed("b")];
      await redis.hset(a.record, limited);

      const replies = await Promise.all([
        batch.addToWindow(a, { member: "l1:4", tokens: 4, endMs: NOW }),
        batch.addToWindow(b, { member: "l2:0", tokens: 0, endMs: NOW + 1 }),
        batch.addToWindow(a, { member: "l3:6", tokens: 6, endMs: NOW + 2 }),
        batch.addToWindow(b, { member: "l4:-1", tokens: -1, endMs: NOW + 3 }),
      ]);

      // One call for all four, answering with its two items.
      expect(new Set(replies)).toEqual(new Set([2]));
      expect(await redis.zrange(a.window, 0, -1, "WITHSCORES")).toEqual(["l1:4", String(NOW), "l3:6", String(NOW + 2)]);
      expect(await redis.get(a.total)).toBe("10");
      expect(await redis.exists(b.window, b.total)).toBe(0);
    });
  });
});

describe("usage group commit on a Redis Cluster", () => {
  let node: TestRedis;

  beforeAll(async () => {
    // A lone node never learns its own address from a peer: it is told it, for CLUSTER SLOTS.
    const args = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-announce-ip", "127.0.0.1"];
    node = await startRedis({ own: true, args });
    await run("redis-cli", ["-p", String(node.port), "CLUSTER", "ADDSLOTSRANGE", "0", "16383"]);
    const deadline = Date.now() + 20_000;
    while (!(await run("redis-cli", ["-p", String(node.port), "CLUSTER", "INFO"])).stdout.includes("cluster_state:ok")) {
      if (Date.now() > deadline) throw new Error("cluster not ok");
      await sleep(100);
    }
  }, 30_000);

  afterAll(async () => {
    await node?.close();
  });

  it("keeps every call inside one slot, with several keys, accounts and models in one flush", async () => {
    const cluster = createRedisClient({ mode: "cluster", nodes: [node.url] });
    try {
      const keys = createRedisKeys({ prefix: `cluster-${randomBytes(4).toString("hex")}` });
      const recorder = createUsageRecorder({ redis: cluster, keys, prices });
      const [acctA, acctB, keyA, keyB] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      const events = [eventOf(0, keyA, acctA), eventOf(1, keyB, acctA), eventOf(2, keyA, acctB), { ...eventOf(3, keyB, acctB), model: "claude-opus-4-1" }];
      await cluster.hset(keys.apiKey(keyA), { rateWindowSeconds: 60, rateLimitTokens: 1_000 });

      await Promise.all(events.flatMap((event) => recorder.usageCommands(event)));

      expect((await summedShards(cluster, (s) => keys.usageDay(DAY, s))).requests).toBe("4");
      expect(await cluster.hget(keys.apiKeyTotalUsage(keyA), "requests")).toBe("2");
      expect(await cluster.hget(keys.accountDailyUsage(acctB, DAY), "requests")).toBe("2");
      expect((await summedShards(cluster, (s) => keys.usageDayBy(DAY, "model", s)))["claude-opus-4-1|requests"]).toBe("1");
      expect(await cluster.hget(keys.apiKeyWeeklyOpusUsage(keyB, "2025-01-13"), "requests")).toBe("1");
      // Key A's window rode in its group's call: its record, window and total share the key's slot.
      expect(await cluster.get(keys.apiKeyTokenWindowTotal(keyA))).toBe(String(windowTokensOf(0) + windowTokensOf(2)));
      expect(await cluster.exists(keys.apiKeyTokenWindow(keyB))).toBe(0);
    } finally {
      cluster.disconnect();
    }
  });
});
