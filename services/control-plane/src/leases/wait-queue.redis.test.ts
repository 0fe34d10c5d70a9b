import { randomBytes } from "node:crypto";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createRedis } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { waitGroupOf } from "./wait-group.js";
import { createWaitQueue, WAIT_TIMES_KEPT, type WaitQueue } from "./wait-queue.js";

let server: TestRedis;
let redis: Redis;
let keys: RedisKeys;
let queue: WaitQueue;
let clock = 1_700_000_000_000;
const ALIVE_MS = 1_000;
const options = { busyOnly: false, maxWaiters: 3 };

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url);
});

beforeEach(() => {
  keys = createRedisKeys({ prefix: `test-${randomBytes(6).toString("hex")}` });
  queue = createWaitQueue({ redis, keys, aliveMs: ALIVE_MS, now: () => clock });
});

afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

describe("createWaitQueue", () => {
  it("numbers waiters in the order they join, and keeps a waiter's place when it joins again", async () => {
    expect(await queue.join("g", "a", options)).toEqual({ kind: "joined", place: 0, waiters: 1, joinedAtMs: clock });
    clock += 10;
    expect(await queue.join("g", "b", options)).toEqual({ kind: "joined", place: 1, waiters: 2, joinedAtMs: clock });
    clock += 10;
    expect(await queue.join("g", "a", options)).toEqual({ kind: "joined", place: 0, waiters: 2, joinedAtMs: clock - 20 });
    expect(await queue.renew("g", ["b", "a", "nobody"])).toEqual({ waiters: 2, oldestJoinedAtMs: clock - 20, places: [1, 0, -1] });
  });

  it("refuses a waiter over the line's bound, and joins a busy-only waiter only behind someone", async () => {
    expect(await queue.join("g", "x", { busyOnly: true, maxWaiters: 3 })).toEqual({ kind: "empty" });
    for (const id of ["a", "b", "c"]) await queue.join("g", id, options);
    expect(await queue.join("g", "d", options)).toEqual({ kind: "full", waiters: 3 });
    await queue.leave("g", "a");
    expect(await queue.join("g", "d", { busyOnly: true, maxWaiters: 3 })).toMatchObject({ kind: "joined", place: 2 });
    expect((await queue.renew("g", ["b", "c", "d"])).places).toEqual([0, 1, 2]);
  });

  it("drops waiters nobody renewed in time, and lets a line nobody touches expire", async () => {
    await queue.join("g", "dead", options);
    await queue.join("g", "live", options);
    clock += ALIVE_MS / 2;
    await queue.renew("g", ["live"]);
    clock += ALIVE_MS / 2 + 1;
    expect(await queue.renew("g", ["live"])).toEqual({ waiters: 1, oldestJoinedAtMs: clock - ALIVE_MS - 1, places: [0] });
    const ttl = await redis.pttl(keys.waitQueue("g", "line"));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(10 * ALIVE_MS);
    expect(await redis.pttl(keys.waitQueue("g", "seq"))).toBeGreaterThan(0);
  });

  it("keeps the last waits of keys and accounts, newest first and capped", async () => {
    await queue.recordWait(120.4, "key-1", undefined);
    await queue.recordWait(900, "key-1", "acc-1");
    expect(await queue.waitTimes("key", "key-1")).toEqual([900, 120]);
    expect(await queue.waitTimes("account", "acc-1")).toEqual([900]);
    await Promise.all(Array.from({ length: WAIT_TIMES_KEPT + 5 }, (_, i) => queue.recordWait(i, "key-2", undefined)));
    expect(await queue.waitTimes("key", "key-2")).toHaveLength(WAIT_TIMES_KEPT);
  });

  it("lists the groups it was told about", async () => {
    const group = waitGroupOf("gemini", { accountId: "", group: "team" });
    await queue.describe(group);
    await queue.describe(group);
    expect(await queue.groups()).toEqual([group]);
  });
});
