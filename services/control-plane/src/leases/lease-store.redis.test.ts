import { randomBytes, randomUUID } from "node:crypto";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedis } from "../redis/client.js";
import { createRedisKeys } from "../redis/keys.js";
import { createLeaseStore, type LeaseStore, type SlotOwner } from "./lease-store.js";

const TTL = 10_000;
let server: TestRedis;
let redis: Redis;
let store: LeaseStore;
let clock = 1_700_000_000_000;
const keys = createRedisKeys({ prefix: `test-${randomBytes(4).toString("hex")}` });

/** An account that exists (the acquire script refuses owners without a record). */
async function account(): Promise<SlotOwner> {
  const id = randomUUID();
  await redis.hset(keys.account(id), { type: "claude-console", lastUsedAtMs: "0" });
  return { kind: "account", id };
}

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url);
  store = createLeaseStore({ redis, ttlMs: TTL, now: () => clock, keys });
});

afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

describe("createLeaseStore", () => {
  it("grants up to the limit, refuses beyond it with the wait until the earliest expiry, and frees on release", async () => {
    const owner = await account();
    expect(await store.acquire("l1", owner, 2)).toEqual({ status: "granted", active: 1 });
    clock += 1_000;
    expect(await store.acquire("l2", owner, 2)).toEqual({ status: "granted", active: 2 });
    expect(await store.acquire("l3", owner, 2)).toEqual({ status: "full", active: 2, waitMs: TTL - 1_000 });
    expect(await store.activeCount(owner.id)).toBe(2);
    expect(await store.release("l1", [owner])).toBe(true);
    expect(await store.acquire("l3", owner, 2)).toMatchObject({ status: "granted" });
  });

  it("stamps the account's last use on a grant", async () => {
    const owner = await account();
    await store.acquire("stamp", owner, 0);
    expect(await redis.hget(keys.account(owner.id), "lastUsedAtMs")).toBe(String(clock));
  });

  it("lets expired leases go and refuses to renew them", async () => {
    const owner = await account();
    await store.acquire("old", owner, 1);
    clock += TTL - 1;
    expect(await store.renew("old", [owner])).toBe(true);
    clock += TTL - 1;
    expect(await store.acquire("new", owner, 1)).toMatchObject({ status: "full" });
    clock += 1;
    expect(await store.activeCount(owner.id)).toBe(0);
    expect(await store.renew("old", [owner])).toBe(false);
    expect(await store.acquire("new", owner, 1)).toEqual({ status: "granted", active: 1 });
  });

  it("renews only leases it holds, and only when every owner holds it", async () => {
    const a = await account();
    const b = await account();
    await store.acquire("both", a, 0);
    expect(await store.renew("never-issued", [a])).toBe(false);
    expect(await store.renew("both", [a, b])).toBe(false);
    await store.acquire("both", b, 0);
    expect(await store.renew("both", [a, b])).toBe(true);
    expect(await redis.zscore(keys.accountLeases(a.id), "both")).toBe(String(clock + TTL));
  });

  it("treats limit 0 as unlimited", async () => {
    const owner = await account();
    for (let i = 0; i < 50; i++) expect((await store.acquire(`u${i}`, owner, 0)).status).toBe("granted");
    expect(await store.activeCount(owner.id)).toBe(50);
  });

  it("refuses a slot on an owner whose record is gone", async () => {
    expect(await store.acquire("x", { kind: "account", id: randomUUID() }, 0)).toEqual({ status: "missing" });
    expect(await store.acquire("x", { kind: "key", id: randomUUID() }, 0)).toEqual({ status: "missing" });
  });

  it("never grants more than the limit to 200 concurrent acquires", async () => {
    const owner = await account();
    const limit = 7;
    const clients = [redis, createRedis(server.url), createRedis(server.url), createRedis(server.url)];
    try {
      const stores = clients.map((c) => createLeaseStore({ redis: c, ttlMs: TTL, now: () => clock, keys }));
      const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => stores[i % stores.length]!.acquire(`c${i}`, owner, limit)));
      expect(replies.filter((r) => r.status === "granted")).toHaveLength(limit);
      expect(await redis.zcard(keys.accountLeases(owner.id))).toBe(limit);
    } finally {
      for (const c of clients.slice(1)) c.disconnect();
    }
  });

  it("sends the release's writes with it, and frees nothing twice, even when the lease had expired", async () => {
    const owner = await account();
    const key: SlotOwner = { kind: "key", id: randomUUID() };
    await redis.hset(keys.apiKey(key.id), { keyHash: "x" });
    await store.acquire("used", owner, 0);
    clock += TTL * 2;
    const marker = `${keys.apiKey(key.id)}:marker`;
    expect(await store.release("used", [owner, key], (client) => [client.incr(marker)])).toBe(false);
    expect(await redis.get(marker)).toBe("1");
    await store.acquire("again", owner, 0);
    expect(await store.release("again", [owner])).toBe(true);
    expect(await store.release("again", [owner])).toBe(false);
  });

  it("reports active counts for several accounts at once", async () => {
    const a = await account();
    const b = await account();
    await store.acquire("a1", a, 0);
    await store.acquire("a2", a, 0);
    const counts = await store.activeCounts([a.id, b.id]);
    expect(counts.get(a.id)).toBe(2);
    expect(counts.get(b.id)).toBe(0);
  });
});
