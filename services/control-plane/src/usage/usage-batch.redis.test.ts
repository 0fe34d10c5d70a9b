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
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { loadPriceTable, priceRequest, type TokenCounts } from "./pricing.js";
import { createUsageRecorder, DAILY_TTL_SECONDS, HOURLY_TTL_SECONDS, type UsageEvent } from "./usage-recorder.js";

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

function eventOf(n: number, keyId: string, accountId: string): UsageEvent {
  return { leaseId: `lease-${n}`, keyId, accountId, model: MODEL, tokens: tokensOf(n), nowMs: NOW };
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

    // One token-window call per request (it stays per lease), and three counter calls in all:
    // the key's group, the account's and the day's. One call per group per request would be 600.
    expect(await scriptCalls(redis)).toBe(200 + 3);
    const expected = expectedCounters(200);
    for (const hash of [
      keys.apiKeyDailyUsage(key, DAY),
      keys.apiKeyHourlyUsage(key, HOUR),
      keys.apiKeyTotalUsage(key),
      keys.accountDailyUsage(acct, DAY),
      keys.accountHourlyUsage(acct, HOUR),
      keys.accountTotalUsage(acct),
      keys.usageDay(DAY),
      keys.usageHour(HOUR),
    ]) {
      expect(await redis.hgetall(hash)).toEqual(expected);
    }
    const prefixed = (id: string) => Object.fromEntries(Object.entries(expected).map(([name, value]) => [`${id}|${name}`, value]));
    expect(await redis.hgetall(keys.usageDayBy(DAY, "key"))).toEqual(prefixed(key));
    expect(await redis.hgetall(keys.usageDayBy(DAY, "account"))).toEqual(prefixed(acct));
    expect(await redis.hgetall(keys.usageDayBy(DAY, "model"))).toEqual(prefixed(MODEL));
    expect(await redis.hgetall(keys.usageHourByModel(HOUR))).toEqual(prefixed(MODEL));

    for (const hash of [keys.apiKeyHourlyUsage(key, HOUR), keys.usageHour(HOUR), keys.usageHourByModel(HOUR)]) {
      expect(await redis.ttl(hash)).toBeGreaterThan(HOURLY_TTL_SECONDS - 60);
      expect(await redis.ttl(hash)).toBeLessThanOrEqual(HOURLY_TTL_SECONDS);
    }
    for (const hash of [keys.accountDailyUsage(acct, DAY), keys.usageDay(DAY), keys.usageDayBy(DAY, "key")]) {
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

    const counterCalls = (await scriptCalls(redis)) - 200;
    expect(counterCalls).toBeGreaterThanOrEqual(3);
    expect(counterCalls).toBeLessThanOrEqual(20 * 3);
    expect(await redis.hgetall(keys.apiKeyTotalUsage(key))).toEqual(expectedCounters(200));
    expect(await redis.hgetall(keys.usageDay(DAY))).toEqual(expectedCounters(200));
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

    // Per request: its token window and its key's, account's and day's counters.
    expect(results).toHaveLength(3 * 4);
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
    expect(await redis.hget(keys.usageDayBy(DAY, "key"), `${keyA}|requests`)).toBe("1");
    expect(await redis.hget(keys.apiKeyTotalUsage(keyB), "requests")).toBe("1");

    await Promise.all(recorder.usageCommands(eventOf(2, keyB, acct)));
    expect(await redis.hget(keys.apiKeyTotalUsage(keyB), "requests")).toBe("2");
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

      await Promise.all(events.flatMap((event) => recorder.usageCommands(event)));

      expect(await cluster.hget(keys.usageDay(DAY), "requests")).toBe("4");
      expect(await cluster.hget(keys.apiKeyTotalUsage(keyA), "requests")).toBe("2");
      expect(await cluster.hget(keys.accountDailyUsage(acctB, DAY), "requests")).toBe("2");
      expect(await cluster.hget(keys.usageDayBy(DAY, "model"), "claude-opus-4-1|requests")).toBe("1");
      expect(await cluster.hget(keys.apiKeyWeeklyOpusUsage(keyB, "2025-01-13"), "requests")).toBe("1");
    } finally {
      cluster.disconnect();
    }
  });
});
