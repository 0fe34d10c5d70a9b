import { randomBytes, randomUUID } from "node:crypto";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createHealthStore, type HealthStore } from "../accounts/health-store.js";
import { createRedis } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import type { TimedStatus } from "./health-notices.js";
import { createRecoveryWatch, type RecoveryWatch } from "./recovery-watch.js";

let server: TestRedis;
let redis: Redis;
let others: Redis[];
let keys: RedisKeys;
let health: HealthStore;
let clock: number;
let recovered: [string, TimedStatus][];
const started: RecoveryWatch[] = [];

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url);
  others = [createRedis(server.url), createRedis(server.url)];
});

afterAll(async () => {
  for (const client of [redis, ...others]) client?.disconnect();
  await server?.close();
});

beforeEach(() => {
  keys = createRedisKeys({ prefix: `t-${randomBytes(6).toString("hex")}` });
  clock = 1_900_000_000_000;
  health = createHealthStore({ redis, keys, now: () => clock, probeTtlMs: 30_000 });
  recovered = [];
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((watch) => watch.stop()));
});

/** One replica's watch, on its own connection, over the real health store. */
function replica(client: Redis = redis, pollMs?: number): RecoveryWatch {
  const watch = createRecoveryWatch({
    redis: client,
    keys,
    now: () => clock,
    readHealth: health.conditions,
    onRecovered: (id, from) => recovered.push([id, from]),
    ...(pollMs !== undefined && { pollMs }),
  });
  started.push(watch);
  return watch;
}

async function account(): Promise<string> {
  const id = randomUUID();
  await redis.hset(keys.account(id), { type: "claude-console", name: id });
  return id;
}

async function block(id: string, status: TimedStatus, untilMs: number): Promise<void> {
  await health.apply(id, { kind: "block", status, reason: "upstream answered 429", untilMs });
}

/** The schedule as stored: account id → end (ms). */
async function schedule(): Promise<Record<string, number>> {
  const flat = await redis.zrange(keys.notifications("recoveries"), 0, -1, "WITHSCORES");
  const out: Record<string, number> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = Number(flat[i + 1]);
  return out;
}

describe("createRecoveryWatch", () => {
  it("reports a rate limit that ran out once, however many replicas sweep at once", async () => {
    const id = await account();
    await block(id, "rate_limited", clock + 1_000);
    const replicas = [replica(redis), replica(others[0]), replica(others[1])];
    replicas[0]!.watch(id, clock + 1_000);
    await replicas[0]!.stop();
    expect(await Promise.all(replicas.map((r) => r.sweep()))).toEqual([0, 0, 0]);
    clock += 1_000;
    const counts = await Promise.all(Array.from({ length: 9 }, (_, i) => replicas[i % 3]!.sweep()));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1);
    expect(recovered).toEqual([[id, "rate_limited"]]);
    expect(await schedule()).toEqual({});
  });

  it("never moves an end earlier, and puts back an account whose block was extended since it was scheduled", async () => {
    const id = await account();
    const watch = replica();
    await block(id, "overloaded", clock + 1_000);
    watch.watch(id, clock + 1_000);
    watch.watch(id, clock + 500);
    await watch.stop();
    expect(await schedule()).toEqual({ [id]: clock + 1_000 });
    // A longer block whose own watch has not landed yet.
    await block(id, "overloaded", clock + 5_000);
    clock += 1_000;
    expect(await watch.sweep()).toBe(0);
    await watch.stop();
    expect(await schedule()).toEqual({ [id]: clock + 4_000 });
    clock += 4_000;
    expect(await watch.sweep()).toBe(1);
    expect(recovered).toEqual([[id, "overloaded"]]);
  });

  it("reports nothing for an account reset, unauthorized or banned before its time ran out", async () => {
    const [reset, unauthorized, banned] = [await account(), await account(), await account()];
    const watch = replica();
    for (const id of [reset, unauthorized, banned]) {
      await block(id, "rate_limited", clock + 1_000);
      watch.watch(id, clock + 1_000);
    }
    await health.apply(reset, { kind: "reset" });
    await health.apply(unauthorized, { kind: "block", status: "unauthorized", reason: "upstream answered 401", untilMs: 0 });
    await health.apply(banned, { kind: "block", status: "banned", reason: "deactivated", untilMs: 0 });
    clock += 1_000;
    await watch.stop();
    expect(await watch.sweep()).toBe(0);
    expect(recovered).toEqual([]);
    expect(await schedule()).toEqual({});
  });

  it("puts taken accounts back when their health cannot be read", async () => {
    const id = await account();
    await block(id, "rate_limited", clock + 1_000);
    const failing = createRecoveryWatch({
      redis,
      keys,
      now: () => clock,
      readHealth: () => Promise.reject(new Error("health not readable")),
      onRecovered: () => undefined,
    });
    failing.watch(id, clock + 1_000);
    await failing.stop();
    clock += 2_000;
    await expect(failing.sweep()).rejects.toThrow("health not readable");
    expect(await schedule()).toEqual({ [id]: clock });
    expect(await replica().sweep()).toBe(1);
  });

  it("sweeps on its own once started", async () => {
    const id = await account();
    await block(id, "rate_limited", clock + 1_000);
    const watch = replica(redis, 20);
    watch.watch(id, clock + 1_000);
    watch.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(recovered).toEqual([]);
    clock += 1_000;
    await vi.waitFor(() => expect(recovered).toEqual([[id, "rate_limited"]]), { timeout: 2_000, interval: 20 });
  });
});
