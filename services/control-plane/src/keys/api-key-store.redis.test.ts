import { randomBytes } from "node:crypto";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedis } from "../redis/client.js";
import { createRedisKeys } from "../redis/keys.js";
import { createApiKeyStore, hashApiKey, type ApiKeyStore } from "./api-key-store.js";

let server: TestRedis;
let redis: Redis;
let store: ApiKeyStore;
const keys = createRedisKeys({ prefix: `test-${randomBytes(4).toString("hex")}` });
let clock = 1_700_000_000_000;

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url);
  store = createApiKeyStore({ redis, now: () => clock, keys });
});

afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

describe("hashApiKey", () => {
  it("is the lower-case hex SHA-256 of the key", () => {
    expect(hashApiKey("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("createApiKeyStore", () => {
  it("creates a cr_ key of 43 base64url characters and stores only its hash", async () => {
    const { record, plaintextKey } = await store.create({ name: "ci", concurrencyLimit: 2, allowedModels: ["claude-sonnet-4-5", " "] });
    expect(plaintextKey).toMatch(/^cr_[A-Za-z0-9_-]{43}$/);
    expect(record).toMatchObject({ name: "ci", keyPrefix: plaintextKey.slice(0, 7), keyHash: hashApiKey(plaintextKey), enabled: true, createdAtMs: clock, expiresAtMs: 0, concurrencyLimit: 2, allowedModels: ["claude-sonnet-4-5"], revokedAtMs: 0 });
    const raw = JSON.stringify(await redis.hgetall(keys.apiKey(record.id)));
    expect(raw).not.toContain(plaintextKey);
    expect(raw).not.toContain(plaintextKey.slice(3));
  });

  it("finds a key by the hash of its plaintext, and nothing by a wrong hash", async () => {
    const { record, plaintextKey } = await store.create({ name: "lookup" });
    expect(await store.findByHash(hashApiKey(plaintextKey))).toEqual(record);
    expect(await store.findByHash(hashApiKey(`${plaintextKey}x`))).toBeUndefined();
    expect(await store.findByHash("not-a-hash")).toBeUndefined();
    expect(await store.get(record.id)).toEqual(record);
  });

  it("lists keys oldest first", async () => {
    clock += 1000;
    const first = await store.create({ name: "first" });
    clock += 1000;
    const second = await store.create({ name: "second" });
    const ids = (await store.list()).map((r) => r.id);
    expect(ids.indexOf(first.record.id)).toBeLessThan(ids.indexOf(second.record.id));
  });

  it("revokes a key once and keeps the first revocation time", async () => {
    const { record, plaintextKey } = await store.create({ name: "revoked" });
    clock += 5000;
    const revoked = await store.revoke(record.id);
    expect(revoked).toMatchObject({ enabled: false, revokedAtMs: clock });
    clock += 5000;
    expect((await store.revoke(record.id))?.revokedAtMs).toBe(revoked?.revokedAtMs);
    expect((await store.findByHash(hashApiKey(plaintextKey)))?.revokedAtMs).toBe(revoked?.revokedAtMs);
    expect(await store.revoke("00000000-0000-0000-0000-000000000000")).toBeUndefined();
  });

  it("refuses a key without a name", async () => {
    await expect(store.create({ name: "  " })).rejects.toMatchObject({ code: "ERR_INVALID_API_KEY" });
  });
});

describe("a key's wait bound", () => {
  it("reads as the default when never set, and keeps 0 apart from the default", async () => {
    const { record: plain } = await store.create({ name: "default wait" });
    expect(plain.queueWaitMs).toBeUndefined();
    expect((await store.get(plain.id))?.queueWaitMs).toBeUndefined();
    const { record: never } = await store.create({ name: "never waits", queueWaitMs: 0 });
    expect((await store.get(never.id))?.queueWaitMs).toBe(0);
  });

  it("is set at creation, changed by an update, cleared back to the default by null, and left alone otherwise", async () => {
    const { record, plaintextKey } = await store.create({ name: "waits", queueWaitMs: 30_000 });
    expect(await store.findByHash(hashApiKey(plaintextKey))).toEqual(record);
    expect((await store.update(record.id, { queueWaitMs: 5_000 }))?.queueWaitMs).toBe(5_000);
    expect((await store.update(record.id, { name: "renamed" }))?.queueWaitMs).toBe(5_000);
    const cleared = await store.update(record.id, { queueWaitMs: null });
    expect(cleared).toMatchObject({ name: "renamed" });
    expect(cleared?.queueWaitMs).toBeUndefined();
    expect((await store.get(record.id))?.queueWaitMs).toBeUndefined();
  });

  it("reads a key stored before the bound existed as the default", async () => {
    const { record } = await store.create({ name: "old", queueWaitMs: 1_000 });
    await redis.hdel(keys.apiKey(record.id), "queueWaitMs");
    expect((await store.get(record.id))?.queueWaitMs).toBeUndefined();
  });

  it("refuses a negative, fractional or over-long bound", async () => {
    const { record } = await store.create({ name: "bounded" });
    for (const queueWaitMs of [-1, 1.5, 600_001]) {
      await expect(store.create({ name: "bad", queueWaitMs })).rejects.toMatchObject({ code: "ERR_INVALID_API_KEY" });
      await expect(store.update(record.id, { queueWaitMs })).rejects.toMatchObject({ code: "ERR_INVALID_API_KEY" });
    }
    expect((await store.update(record.id, { queueWaitMs: 600_000 }))?.queueWaitMs).toBe(600_000);
  });
});
