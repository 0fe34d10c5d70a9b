import { randomBytes } from "node:crypto";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CatalogChange } from "../cache/invalidation.js";
import { createRedis } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { shippedPrices } from "./price-record.js";
import { createPriceStore, PriceInputError, type PriceStore } from "./price-store.js";
import { loadShippedTables, priceRequest } from "./pricing.js";

const CLOCK = 1_760_000_000_000;
const shipped = shippedPrices(loadShippedTables());
const sonnet = shipped.get("claude-sonnet-4-5")!.price;
const dear = { input: 30, output: 150, cacheWrite5m: 37.5, cacheWrite1h: 60, cacheRead: 3 };

let redisServer: TestRedis;
let redis: Redis;
let keys: RedisKeys;
let store: PriceStore;
let announced: CatalogChange[];

beforeAll(async () => {
  redisServer = await startRedis();
  redis = createRedis(redisServer.url);
});

beforeEach(() => {
  keys = createRedisKeys({ prefix: `t-${randomBytes(6).toString("hex")}` });
  announced = [];
  store = build();
});

afterAll(async () => {
  redis?.disconnect();
  await redisServer?.close();
});

/** A store as one replica builds it; a second call is a restart. */
function build(): PriceStore {
  return createPriceStore({ redis, keys, shipped, now: () => CLOCK, changes: { publish: async (change) => void announced.push(change) } });
}

describe("the price store", () => {
  it("seeds every shipped price once, marked shipped, and announces it", async () => {
    expect(await store.seed()).toBe(shipped.size);
    expect(announced).toEqual([{ kind: "price", id: "*" }]);
    const listed = await store.list();
    expect(listed).toHaveLength(shipped.size);
    expect(listed.find((r) => r.model === "claude-sonnet-4-5")).toEqual({ model: "claude-sonnet-4-5", platform: "claude", source: "shipped", price: sonnet, updatedAtMs: 0 });
    expect(listed.map((r) => r.model)).toEqual([...listed.map((r) => r.model)].sort());
    expect(await build().seed()).toBe(0);
    expect(announced).toHaveLength(1);
  });

  it("keeps an admin price through a restart's seeding, and puts the shipped one back when it is deleted", async () => {
    await store.seed();
    const set = await store.set({ model: " Claude-Sonnet-4-5 ", price: dear });
    expect(set).toEqual({ model: "claude-sonnet-4-5", platform: "claude", source: "admin", price: dear, updatedAtMs: CLOCK });
    expect(announced.at(-1)).toEqual({ kind: "price", id: "claude-sonnet-4-5" });

    const restarted = build();
    await restarted.seed();
    const table = await restarted.table();
    const tokens = { inputTokens: 1_000, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
    // 1,000 × $30 per million = $0.03.
    expect(priceRequest(table, "claude-sonnet-4-5-20270101", tokens)).toEqual({ priced: true, pricedAs: "claude-sonnet-4-5", nanos: 30_000_000 });

    expect(await restarted.delete("claude-sonnet-4-5")).toEqual({
      status: "deleted",
      restored: { model: "claude-sonnet-4-5", platform: "claude", source: "shipped", price: sonnet, updatedAtMs: 0 },
    });
    expect(priceRequest(await restarted.table(), "claude-sonnet-4-5", tokens)).toMatchObject({ nanos: 3_000_000 });
    // Only an admin price can be deleted.
    expect(await restarted.delete("claude-sonnet-4-5")).toEqual({ status: "not-admin" });
  });

  it("prices a model no table ships, and forgets it when its price is deleted", async () => {
    const set = await store.set({ model: "claude-sonnet-9", price: dear });
    expect(set.platform).toBe("claude");
    expect(store.isShipped("claude-sonnet-9")).toBe(false);
    expect((await store.table()).models.get("claude-sonnet-9")).toMatchObject({ input: 30_000 });
    expect(await store.delete("claude-sonnet-9")).toEqual({ status: "deleted", restored: undefined });
    expect((await store.table()).models.has("claude-sonnet-9")).toBe(false);
    expect(await store.delete("claude-sonnet-9")).toEqual({ status: "missing" });
  });

  it("keeps the platform it is given, else the one the model had", async () => {
    await store.set({ model: "house-model", price: dear, platform: "openai" });
    expect((await store.set({ model: "house-model", price: rates(1) })).platform).toBe("openai");
    expect((await store.set({ model: "unknown-model", price: rates(1) })).platform).toBeUndefined();
  });

  it("refuses a bad model id or rate before writing, naming the field", async () => {
    await expect(store.set({ model: "anthropic/claude-x", price: dear })).rejects.toThrow(PriceInputError);
    await expect(store.set({ model: "claude-x", price: { ...dear, output: -1 } })).rejects.toThrow(/^rates.output: /);
    await expect(store.setMany([{ model: "claude-a", price: dear }, { model: "", price: dear }])).rejects.toThrow(/^model: must not be empty/);
    expect(await store.list()).toEqual([]);
    expect(announced).toEqual([]);
  });

  it("writes many prices at once as admin prices, with one announcement", async () => {
    const records = await store.setMany([
      { model: "claude-a", price: rates(1) },
      { model: "gemini-b", price: rates(2), platform: "gemini" },
    ]);
    expect(records.map((r) => [r.model, r.source, r.platform])).toEqual([
      ["claude-a", "admin", "claude"],
      ["gemini-b", "admin", "gemini"],
    ]);
    expect(announced).toEqual([{ kind: "price", id: "*" }]);
    expect((await store.list()).map((r) => r.model)).toEqual(["claude-a", "gemini-b"]);
  });

  it("prices nothing with an entry edited into something else by hand", async () => {
    await redis.hset(keys.prices(), "claude-broken", "{not json", "claude-half", JSON.stringify({ source: "admin", price: { input: 1 } }));
    expect(await store.list()).toEqual([]);
    expect((await store.table()).models.size).toBe(0);
  });
});

function rates(usd: number) {
  return { input: usd, output: usd, cacheWrite5m: usd, cacheWrite1h: usd, cacheRead: usd };
}
