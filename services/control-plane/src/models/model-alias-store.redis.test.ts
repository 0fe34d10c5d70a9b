import { randomBytes } from "node:crypto";
import { createLogger } from "@claude-relay/logging";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccountCredential, AccountRecord } from "../accounts/account-store.js";
import { createCachedCatalog } from "../cache/cached-catalog.js";
import { createCacheInvalidation, type CacheInvalidation } from "../cache/invalidation.js";
import { createNodeConnection, createRedis, parseRedisTarget } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { createModelAliasStore, type ModelAliasStore } from "./model-alias-store.js";

const log = createLogger({ service: "control-plane", level: "silent" });
let server: TestRedis;
let redis: Redis;
const opened: CacheInvalidation[] = [];
let clock = 1_750_000_000_000;

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url);
});

afterAll(async () => {
  await Promise.all(opened.map((i) => i.close()));
  redis?.disconnect();
  await server?.close();
});

const namespace = (): RedisKeys => createRedisKeys({ prefix: `test-${randomBytes(4).toString("hex")}` });

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return Date.now() - start;
}

describe("createModelAliasStore", () => {
  it("sets, lists sorted by alias, repoints and deletes aliases, with the target's platform", async () => {
    const keys = namespace();
    const store = createModelAliasStore({ redis, keys, now: () => clock });
    expect(await store.list()).toEqual([]);
    expect(await store.set("gpt-4o", "claude-sonnet-4-5")).toEqual({ alias: "gpt-4o", targetModel: "claude-sonnet-4-5", platform: "claude", updatedAtMs: clock });
    await store.set("gpt-4o-mini", "gemini-2.5-flash");
    await store.set("Fast", "gemini-2.5-flash");
    expect((await store.list()).map((a) => [a.alias, a.platform])).toEqual([
      ["Fast", "gemini"],
      ["gpt-4o", "claude"],
      ["gpt-4o-mini", "gemini"],
    ]);

    clock += 60_000;
    expect(await store.set("gpt-4o", "gemini-2.5-pro")).toMatchObject({ platform: "gemini", updatedAtMs: clock });
    expect((await store.list()).find((a) => a.alias === "gpt-4o")).toEqual({ alias: "gpt-4o", targetModel: "gemini-2.5-pro", platform: "gemini", updatedAtMs: clock });

    expect(await store.delete("gpt-4o")).toBe(true);
    expect(await store.delete("gpt-4o")).toBe(false);
    expect((await store.list()).map((a) => a.alias)).toEqual(["Fast", "gpt-4o-mini"]);
    // One hash holds the whole table.
    expect(await redis.hkeys(keys.modelAliases())).toEqual(expect.arrayContaining(["Fast", "gpt-4o-mini"]));
  });

  it("refuses an alias or a target that breaks a rule, naming the field, and stores nothing", async () => {
    const keys = namespace();
    const store = createModelAliasStore({ redis, keys });
    await expect(store.set("claude-fast", "claude-sonnet-4-5")).rejects.toMatchObject({ code: "ERR_INVALID_MODEL_ALIAS", message: expect.stringMatching(/^alias: must not start with/) });
    await expect(store.set("gpt-4o", "llama-3")).rejects.toMatchObject({ code: "ERR_INVALID_MODEL_ALIAS", message: expect.stringMatching(/^target_model: must start with/) });
    await expect(store.set("gpt-4o", "gpt-4o")).rejects.toMatchObject({ code: "ERR_INVALID_MODEL_ALIAS", message: "target_model: must not be the alias itself" });
    await expect(store.set("", "claude-sonnet-4-5")).rejects.toMatchObject({ message: "alias: must not be empty" });
    expect(await redis.exists(keys.modelAliases())).toBe(0);
  });

  it("skips entries that no longer read as aliases", async () => {
    const keys = namespace();
    const store = createModelAliasStore({ redis, keys });
    await store.set("good", "claude-sonnet-4-5");
    await redis.hset(keys.modelAliases(), "not-json", "{", "no-target", "{}", "bad-target", JSON.stringify({ target: "llama-3" }), "claude-x", JSON.stringify({ target: "claude-y" }));
    expect((await store.list()).map((a) => a.alias)).toEqual(["good"]);
  });
});

describe("model aliases cached across two replicas", () => {
  it("serves the table from memory once warm, and a change on one replica reaches the other within a second", async () => {
    const keys = namespace();
    /** One replica: its own subscriber, store and cached catalog; counts the catalog's loads of the alias table. */
    const replica = () => {
      const invalidation = createCacheInvalidation({
        channel: keys.cacheInvalidation(),
        publisher: redis,
        connect: (attempt) => createNodeConnection(parseRedisTarget(server.url), attempt, { connectionName: `alias-test-${randomBytes(4).toString("hex")}` }),
        log,
        backoffMs: () => 50,
      });
      opened.push(invalidation);
      const store = createModelAliasStore({ redis, keys, changes: invalidation });
      const loads = { count: 0 };
      const catalog = createCachedCatalog({
        source: {
          findKeyByHash: async () => undefined,
          listAccounts: async (): Promise<AccountRecord[]> => [],
          credential: async (): Promise<AccountCredential | undefined> => undefined,
          listModelAliases: () => (loads.count++, store.list()),
        },
        invalidation,
      });
      invalidation.start();
      return { invalidation, store, catalog, loads };
    };
    const a = replica();
    const b = replica();
    await waitFor(async () => a.invalidation.live && b.invalidation.live);
    const aliasesOnB = async () => (await b.catalog.listModelAliases()).map((x) => `${x.alias}=${x.targetModel}`);

    await a.store.set("gpt-4o", "claude-sonnet-4-5");
    const learned = await waitFor(async () => (await aliasesOnB()).includes("gpt-4o=claude-sonnet-4-5"));
    // The read that saw the alias may have started before the change was announced, and then is not kept.
    await aliasesOnB();
    const loadsWarm = b.loads.count;
    for (let i = 0; i < 5; i++) expect(await aliasesOnB()).toEqual(["gpt-4o=claude-sonnet-4-5"]);
    expect(b.loads.count).toBe(loadsWarm);

    await a.store.set("gpt-4o", "gemini-2.5-pro");
    const repointed = await waitFor(async () => (await aliasesOnB()).includes("gpt-4o=gemini-2.5-pro"));
    expect(repointed).toBeLessThan(1_000);

    await a.store.delete("gpt-4o");
    const deleted = await waitFor(async () => (await aliasesOnB()).length === 0);
    expect(deleted).toBeLessThan(1_000);
    expect(learned).toBeLessThan(1_000);
    b.catalog.stop();
    a.catalog.stop();
  });
});
