import { randomBytes } from "node:crypto";
import { createLogger } from "@claude-relay/logging";
import { freePort, startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeConnection, createRedis, parseRedisTarget } from "../redis/client.js";
import { createCacheInvalidation, type CacheInvalidation, type Invalidation } from "./invalidation.js";

const log = createLogger({ service: "control-plane", level: "silent" });
let server: TestRedis;
let publisher: Redis;
const opened: CacheInvalidation[] = [];

beforeAll(async () => {
  server = await startRedis();
  publisher = createRedis(server.url);
});

afterAll(async () => {
  await Promise.all(opened.map((i) => i.close()));
  publisher?.disconnect();
  await server?.close();
});

/** One replica's invalidation on its own channel namespace, recording what it was told. */
function replica(channel: string, url = server.url) {
  const name = `inval-test-${randomBytes(6).toString("hex")}`;
  const seen: Invalidation[] = [];
  const invalidation = createCacheInvalidation({
    channel,
    publisher,
    connect: (attempt) => createNodeConnection(parseRedisTarget(url), attempt, { connectionName: name }),
    log,
    backoffMs: () => 50,
  });
  invalidation.onInvalidate((i) => seen.push(i));
  opened.push(invalidation);
  return { invalidation, seen, name };
}

async function waitFor(check: () => boolean, timeoutMs = 5_000): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return Date.now() - start;
}

describe("createCacheInvalidation", () => {
  it("is live only once subscribed, and tells another replica of a change within a second", async () => {
    const channel = `test-${randomBytes(4).toString("hex")}:cache-invalidation`;
    const a = replica(channel);
    const b = replica(channel);
    expect(a.invalidation.live).toBe(false);
    a.invalidation.start();
    b.invalidation.start();
    await waitFor(() => a.invalidation.live && b.invalidation.live);
    expect(b.seen).toEqual(["all"]);

    await a.invalidation.publish({ kind: "api-key", id: "key-1" });
    // The publishing replica drops its own copy before PUBLISH goes out.
    expect(a.seen).toContainEqual({ kind: "api-key", id: "key-1" });
    const elapsed = await waitFor(() => b.seen.some((i) => i !== "all" && i.id === "key-1"));
    expect(elapsed).toBeLessThan(1_000);
    expect(b.seen.at(-1)).toEqual({ kind: "api-key", id: "key-1" });
  });

  it("drops everything when its connection is killed, and again once it has subscribed anew", async () => {
    const channel = `test-${randomBytes(4).toString("hex")}:cache-invalidation`;
    const a = replica(channel);
    const b = replica(channel);
    a.invalidation.start();
    b.invalidation.start();
    await waitFor(() => a.invalidation.live && b.invalidation.live);
    b.seen.length = 0;

    const clients = String(await publisher.client("LIST"));
    const id = /id=(\d+) .*name=(\S+)/g;
    const target = [...clients.matchAll(id)].find((m) => m[2] === b.name)?.[1];
    expect(target).toBeDefined();
    await publisher.client("KILL", "ID", target as string);

    await waitFor(() => !b.invalidation.live || b.seen.length >= 2);
    await waitFor(() => b.invalidation.live);
    // One "all" when the connection went, one after the new SUBSCRIBE.
    expect(b.seen).toEqual(["all", "all"]);
    await a.invalidation.publish({ kind: "account", id: "acct-9" });
    await waitFor(() => b.seen.length === 3);
    expect(b.seen[2]).toEqual({ kind: "account", id: "acct-9" });
  });

  it("stays not live and keeps retrying while Redis is unreachable, then closes cleanly", async () => {
    const deadUrl = `redis://127.0.0.1:${await freePort()}`;
    const attempts: number[] = [];
    const invalidation = createCacheInvalidation({
      channel: "unused",
      publisher,
      connect: (attempt) => {
        attempts.push(attempt);
        return createNodeConnection(parseRedisTarget(deadUrl), attempt);
      },
      log,
      backoffMs: () => 20,
    });
    invalidation.start();
    await waitFor(() => attempts.length >= 3);
    expect(invalidation.live).toBe(false);
    await invalidation.close();
    const count = attempts.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(attempts.length).toBe(count);
  });
});
