/**
 * Lua commands on a real redis-server of our own (SCRIPT FLUSH needs a server
 * nobody else uses): the body goes out once, then only its SHA, and a server
 * that forgot the script gets it again.
 */
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineLuaCommand } from "./lua-command.js";

/** Calls of one command so far, from INFO commandstats. */
async function calls(redis: Redis, command: "eval" | "evalsha"): Promise<number> {
  const info = await redis.info("commandstats");
  const match = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, "m").exec(info);
  return Number(match?.[1] ?? 0);
}

describe("defineLuaCommand", () => {
  let server: TestRedis;
  let redis: Redis;

  beforeAll(async () => {
    server = await startRedis({ own: true });
    redis = new Redis(server.url, { enableAutoPipelining: true, lazyConnect: false });
  });

  afterAll(async () => {
    redis?.disconnect();
    await server?.close();
  });

  it("sends the script body once and then calls it by its SHA, also under auto-pipelining", async () => {
    const update = defineLuaCommand(redis, "testUpdateRecord", "update-record", 1);
    await redis.hset("record:a", "name", "before");
    await redis.config("RESETSTAT");

    expect(await update(["record:a"], ["name", "first"])).toBe(1);
    // Issued in one tick: one auto-pipeline, the shape that used to resend the body every time.
    const replies = await Promise.all([update(["record:a"], ["name", "second"]), update(["record:missing"], ["name", "x"]), update(["record:a"], ["name", "third"])]);

    expect(replies).toEqual([1, 0, 1]);
    expect(await redis.hget("record:a", "name")).toBe("third");
    expect(await calls(redis, "eval")).toBe(1);
    expect(await calls(redis, "evalsha")).toBe(3);
  });

  it("sends the body again when the server no longer holds the script", async () => {
    const update = defineLuaCommand(redis, "testUpdateRecordFlushed", "update-record", 1);
    await redis.hset("record:b", "name", "before");
    expect(await update(["record:b"], ["name", "loaded"])).toBe(1);

    await redis.script("FLUSH");
    expect(await update(["record:b"], ["name", "after flush"])).toBe(1);
    expect(await redis.hget("record:b", "name")).toBe("after flush");
    // Known again: the next call goes by SHA without an error.
    await redis.config("RESETSTAT");
    expect(await update(["record:b"], ["name", "by sha"])).toBe(1);
    expect(await calls(redis, "evalsha")).toBe(1);
    expect(await calls(redis, "eval")).toBe(0);
  });

  it("rejects a call with the wrong number of keys", () => {
    const update = defineLuaCommand(redis, "testUpdateRecordKeys", "update-record", 1);
    expect(() => update(["a", "b"], [])).toThrow("testUpdateRecordKeys takes 1 keys, got 2");
  });

  it("passes as many keys as a call has when the count is any, still by SHA after the first call", async () => {
    const addCounters = defineLuaCommand(redis, "testAddCounters", "add-counters", "any");
    await redis.config("RESETSTAT");

    expect(await addCounters(["counters:one"], [0, 1, "requests", 2])).toBe(1);
    expect(await addCounters(["counters:one", "counters:two", "counters:three"], [0, 1, "requests", 1, 60, 2, "a|requests", 1, "b|requests", 3, 0, 0])).toBe(3);

    expect(await redis.hgetall("counters:one")).toEqual({ requests: "3" });
    expect(await redis.hgetall("counters:two")).toEqual({ "a|requests": "1", "b|requests": "3" });
    expect(await redis.ttl("counters:two")).toBeGreaterThan(50);
    expect(await redis.exists("counters:three")).toBe(0);
    expect(await calls(redis, "eval")).toBe(1);
    expect(await calls(redis, "evalsha")).toBe(1);
  });

  it("rejects a call without keys when the count is any: nothing would route it on a cluster", () => {
    const addCounters = defineLuaCommand(redis, "testAddCountersNoKeys", "add-counters", "any");
    expect(() => addCounters([], [])).toThrow("testAddCountersNoKeys takes at least 1 keys, got 0");
  });
});
