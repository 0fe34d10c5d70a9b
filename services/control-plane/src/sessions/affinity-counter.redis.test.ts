/**
 * The affinity counter on a real redis-server: counting sends nothing, a flush
 * sends one HINCRBY per result in one write (the writes of its own connection
 * are recorded), and a write that fails keeps its counts for the next one.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { createMetricsRegistry } from "@claude-relay/metrics";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createRedis } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { recordWrites } from "../redis/record-writes.test-helper.js";
import { createAffinityCounter, type AffinityCounter, type AffinityCounterOptions } from "./affinity-counter.js";

let server: TestRedis;
let redis: Redis;
let keys: RedisKeys;
/** Connections and counters of one test, closed after it. */
let opened: Redis[] = [];
let counters: AffinityCounter[] = [];

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url);
});

beforeEach(() => {
  keys = createRedisKeys({ prefix: `test-${randomBytes(6).toString("hex")}` });
});

afterEach(async () => {
  await Promise.allSettled(counters.map((counter) => counter.close()));
  for (const connection of opened) connection.disconnect();
  [opened, counters] = [[], []];
});

afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

/** A counter on a connection of its own (connected), whose writes are recorded. */
async function counterOnOwnConnection(options: Partial<AffinityCounterOptions> = {}) {
  const connection = createRedis(server.url);
  opened.push(connection);
  await connection.ping();
  const writes = recordWrites(connection);
  const counter = createAffinityCounter({ redis: connection, keys, flushMs: 60_000, ...options });
  counters.push(counter);
  return { connection, counter, writes };
}

const stored = () => redis.hgetall(keys.stickyStats());

/** Resolves once check() holds; fails after timeoutMs. */
async function until(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(10);
  }
}

describe("createAffinityCounter", () => {
  it("counts on the metric and in memory, sending nothing to Redis", async () => {
    const registry = createMetricsRegistry("control-plane");
    const { counter, writes } = await counterOnOwnConnection({ registry });
    counter.count("hit");
    counter.count("hit");
    counter.count("new");
    await sleep(50);

    expect(writes.batches).toEqual([]);
    expect(await stored()).toEqual({});
    const metric = await registry.getSingleMetricAsString("control_plane_sticky_total");
    expect(metric).toMatch(/result="hit"[^\n]* 2$/m);
    expect(metric).toMatch(/result="new"[^\n]* 1$/m);
  });

  it("writes the summed counts in one write, one HINCRBY per result counted", async () => {
    const { counter, writes } = await counterOnOwnConnection();
    for (let i = 0; i < 5; i++) counter.count("hit");
    counter.count("moved");
    await sleep(1); // counts of several ticks go together
    counter.count("hit");

    await counter.flush();
    expect(writes.batches).toEqual([
      [
        { name: "hincrby", first: keys.stickyStats() },
        { name: "hincrby", first: keys.stickyStats() },
      ],
    ]);
    expect(await stored()).toEqual({ hit: "6", moved: "1" });

    // Nothing counted since: nothing to write.
    await counter.flush();
    expect(writes.batches).toHaveLength(1);
  });

  it("adds this replica's unwritten counts to the totals in Redis", async () => {
    const other = createAffinityCounter({ redis, keys, flushMs: 60_000 });
    counters.push(other);
    other.count("hit");
    other.count("new");
    await other.flush();
    const { counter } = await counterOnOwnConnection();
    counter.count("hit");
    counter.count("moved");

    expect(await counter.totals()).toEqual({ hit: 2, moved: 1, new: 1 });
    expect(await other.totals()).toEqual({ hit: 1, moved: 0, new: 1 });
    await counter.flush();
    expect(await counter.totals()).toEqual({ hit: 2, moved: 1, new: 1 });
  });

  it("writes what it counted every flushMs, one write for counts of many ticks", async () => {
    const { counter, writes } = await counterOnOwnConnection({ flushMs: 100 });
    counter.count("new");
    await new Promise((resolve) => setImmediate(resolve));
    counter.count("new");

    await until(async () => (await stored()).new === "2");
    await sleep(150);
    expect(writes.batches).toHaveLength(1);
  });

  it("writes what is left on close, and no more by itself afterwards", async () => {
    const { counter, writes } = await counterOnOwnConnection({ flushMs: 20 });
    counter.count("moved");
    counter.count("hit");

    await counter.close();
    expect(await stored()).toEqual({ hit: "1", moved: "1" });
    counter.count("hit");
    await sleep(100);
    expect(writes.batches).toHaveLength(1);
    expect(await counter.totals()).toEqual({ hit: 2, moved: 1, new: 0 });
  });

  it("keeps the counts of a write that failed and writes them with the next flush", async () => {
    const { connection, counter } = await counterOnOwnConnection();
    counter.count("hit");
    counter.count("hit");
    connection.disconnect();

    await expect(counter.flush()).rejects.toThrow(/Connection is closed/);
    expect(await stored()).toEqual({});
    await connection.connect();
    counter.count("hit");
    await counter.flush();
    expect(await stored()).toEqual({ hit: "3" });
  });

  it("retries a failed write by itself after flushMs", async () => {
    const { connection, counter } = await counterOnOwnConnection({ flushMs: 50 });
    counter.count("new");
    connection.disconnect();
    await expect(counter.flush()).rejects.toThrow(/Connection is closed/);

    await connection.connect();
    await until(async () => (await stored()).new === "1");
  });
});
