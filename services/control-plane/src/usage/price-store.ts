/**
 * The price table in Redis: one hash (RedisKeys.prices), field = model id in
 * lower case, value = JSON `{platform, source, price, updatedAtMs}` with the
 * price in US dollars per million tokens (price-record). It is seeded from the
 * tables shipped with the control plane, field by field with HSETNX, so a model
 * Redis holds already (an admin's price above all) is never overwritten by a
 * restart or an upgrade, and replicas starting together cannot clobber each
 * other. Deleting an admin price writes the shipped one back, or removes the
 * model when none was shipped. Every write is announced on the invalidation
 * channel, so each replica's price book (price-book.ts) drops its copy.
 */
import type { CatalogChanges } from "../cache/invalidation.js";
import { isPlatformName } from "../providers/platform-proto.js";
import type { PlatformName } from "../providers/account-types.js";
import { platformOfModel } from "../models/model-alias.js";
import type { RedisClient } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import type { PriceTable } from "./pricing.js";
import { modelIdProblem, normalizeModelId, priceProblem, toModelPrice, type PriceOrigin, type PriceRecord, type ShippedPrice, type UsdPrice } from "./price-record.js";

/** One price to keep, as an admin gives it. */
export interface PriceInput {
  model: string;
  price: UsdPrice;
  /** Default: the platform the model had, else the shipped one, else the one its name says. */
  platform?: PlatformName;
}

/** What deleting a price did. */
export type PriceDeletion = { status: "missing" } | { status: "not-admin" } | { status: "deleted"; restored: PriceRecord | undefined };

/** Read and change the price table. */
export interface PriceStore {
  /** Every price, sorted by model. */
  list(): Promise<PriceRecord[]>;
  /** The table requests are priced with. */
  table(): Promise<PriceTable>;
  /** Keeps one admin price; refuses a bad model id or rate with PriceInputError. */
  set(input: PriceInput): Promise<PriceRecord>;
  /** Keeps many admin prices in one write (an import); refuses as set() does, before writing any. */
  setMany(inputs: readonly PriceInput[]): Promise<PriceRecord[]>;
  /** Removes an admin price, putting the shipped one back when there is one. */
  delete(model: string): Promise<PriceDeletion>;
  /** Adds every shipped price Redis does not hold yet; resolves with how many were added. */
  seed(): Promise<number>;
  /** True when the shipped tables price this model. */
  isShipped(model: string): boolean;
}

/** Options of createPriceStore. */
export interface PriceStoreOptions {
  redis: Pick<RedisClient, "hgetall" | "hget" | "hset" | "hsetnx" | "hdel">;
  /** The shipped prices by model id (price-record's shippedPrices). */
  shipped: ReadonlyMap<string, ShippedPrice>;
  /** Told of every write, so per-replica price books drop the table. */
  changes?: CatalogChanges;
  keys?: Pick<RedisKeys, "prices">;
  now?: () => number;
}

/** Thrown by PriceStore.set and setMany when a model id or a rate breaks a rule; the message names the field. */
export class PriceInputError extends Error {
  readonly code = "ERR_INVALID_PRICE";
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = "PriceInputError";
  }
}

/** The stored form of one price. */
interface StoredPrice {
  platform?: PlatformName;
  source: PriceOrigin;
  price: UsdPrice;
  updatedAtMs: number;
}

/** A price store over one Redis client. */
export function createPriceStore(options: PriceStoreOptions): PriceStore {
  const { redis, shipped } = options;
  const keys = options.keys ?? createRedisKeys();
  const now = options.now ?? Date.now;
  const changed = async (model: string) => options.changes?.publish({ kind: "price", id: model });

  const readAll = async (): Promise<PriceRecord[]> =>
    Object.entries(await redis.hgetall(keys.prices())).flatMap(([model, value]) => {
      const record = toRecord(model, value);
      return record ? [record] : [];
    });

  const prepare = (input: PriceInput, existing: PriceRecord | undefined, updatedAtMs: number): PriceRecord => {
    const model = normalizeModelId(input.model);
    const idProblem = modelIdProblem(model);
    if (idProblem !== undefined) throw new PriceInputError("model", idProblem);
    const problem = priceProblem(input.price);
    if (problem) throw new PriceInputError(problem.field, problem.problem);
    const platform = input.platform ?? existing?.platform ?? shipped.get(model)?.platform ?? platformOfModel(model);
    return { model, platform, source: "admin", price: input.price, updatedAtMs };
  };

  return {
    async list() {
      return (await readAll()).sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
    },

    async table() {
      const records = await readAll();
      return { source: "the price table in Redis", models: new Map(records.map((r) => [r.model, toModelPrice(r.price)])) };
    },

    async set(input) {
      const model = normalizeModelId(input.model);
      const existing = model === "" ? undefined : toRecord(model, await redis.hget(keys.prices(), model));
      const record = prepare(input, existing, now());
      await redis.hset(keys.prices(), record.model, stored(record));
      await changed(record.model);
      return record;
    },

    async setMany(inputs) {
      if (inputs.length === 0) return [];
      const at = now();
      const records = inputs.map((input) => prepare(input, undefined, at));
      const fields = Object.fromEntries(records.map((r) => [r.model, stored(r)]));
      await redis.hset(keys.prices(), fields);
      await changed("*");
      return records;
    },

    async delete(input) {
      const model = normalizeModelId(input);
      if (model === "") return { status: "missing" };
      const existing = toRecord(model, await redis.hget(keys.prices(), model));
      if (existing === undefined) return { status: "missing" };
      if (existing.source !== "admin") return { status: "not-admin" };
      const original = shipped.get(model);
      let restored: PriceRecord | undefined;
      if (original) {
        restored = { model, platform: original.platform, source: "shipped", price: original.price, updatedAtMs: 0 };
        await redis.hset(keys.prices(), model, stored(restored));
      } else {
        await redis.hdel(keys.prices(), model);
      }
      await changed(model);
      return { status: "deleted", restored };
    },

    async seed() {
      const added = await Promise.all(
        [...shipped].map(([model, { platform, price }]) => redis.hsetnx(keys.prices(), model, stored({ model, platform, source: "shipped", price, updatedAtMs: 0 }))),
      );
      const count = added.filter((reply) => reply === 1).length;
      if (count > 0) await changed("*");
      return count;
    },

    isShipped(model) {
      return shipped.has(normalizeModelId(model));
    },
  };
}

function stored(record: PriceRecord): string {
  const value: StoredPrice = { source: record.source, price: record.price, updatedAtMs: record.updatedAtMs, ...(record.platform && { platform: record.platform }) };
  return JSON.stringify(value);
}

/** A stored entry as a record; undefined for one that no longer reads as a price (edited by hand), which then prices nothing. */
function toRecord(model: string, value: string | null): PriceRecord | undefined {
  if (value === null) return undefined;
  let parsed: Partial<StoredPrice> | null;
  try {
    parsed = JSON.parse(value) as Partial<StoredPrice> | null;
  } catch {
    return undefined;
  }
  const price = parsed?.price;
  if (typeof price !== "object" || price === null || priceProblem(price) !== undefined) return undefined;
  const source: PriceOrigin = parsed?.source === "shipped" ? "shipped" : "admin";
  const platform = typeof parsed?.platform === "string" && isPlatformName(parsed.platform) ? parsed.platform : undefined;
  return { model, platform, source, price, updatedAtMs: typeof parsed?.updatedAtMs === "number" ? parsed.updatedAtMs : 0 };
}
