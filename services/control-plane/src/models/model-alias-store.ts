/**
 * The model alias table in Redis: one hash (RedisKeys.modelAliases), field =
 * alias, value = JSON `{target, updatedAtMs}`; the platform is read from the
 * target's prefix, never stored. Every write is announced on the invalidation
 * channel, so each replica's catalog cache drops its copy and the hot path
 * (ListModels) reads the table from memory once warm. What an alias may be is
 * model-alias's; this store refuses anything else with ModelAliasInputError.
 */
import type { CatalogChanges } from "../cache/invalidation.js";
import type { RedisClient } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { byName, checkModelAlias, type ModelAliasRecord } from "./model-alias.js";

/** Read, set and delete model aliases. */
export interface ModelAliasStore {
  /** Every alias, sorted by alias. */
  list(): Promise<ModelAliasRecord[]>;
  /** Creates the alias, or points an existing one at a new model. */
  set(alias: string, targetModel: string): Promise<ModelAliasRecord>;
  /** Removes the alias; false when there was none. */
  delete(alias: string): Promise<boolean>;
}

/** Options of createModelAliasStore. */
export interface ModelAliasStoreOptions {
  redis: Pick<RedisClient, "hgetall" | "hset" | "hdel">;
  /** Told of every write, so per-replica caches drop the table. */
  changes?: CatalogChanges;
  keys?: Pick<RedisKeys, "modelAliases">;
  now?: () => number;
}

/** Thrown by ModelAliasStore.set when the alias or its target breaks a rule of model-alias; the message names the field. */
export class ModelAliasInputError extends Error {
  readonly code = "ERR_INVALID_MODEL_ALIAS";
  constructor(message: string) {
    super(message);
    this.name = "ModelAliasInputError";
  }
}

/** The stored form of one alias. */
interface StoredAlias {
  target: string;
  updatedAtMs: number;
}

/** A model alias store over one Redis client. */
export function createModelAliasStore(options: ModelAliasStoreOptions): ModelAliasStore {
  const { redis } = options;
  const keys = options.keys ?? createRedisKeys();
  const now = options.now ?? Date.now;
  const changed = async (alias: string) => options.changes?.publish({ kind: "model-alias", id: alias });

  return {
    async list() {
      const fields = await redis.hgetall(keys.modelAliases());
      return Object.entries(fields)
        .flatMap(([alias, value]) => {
          const record = toRecord(alias, value);
          return record ? [record] : [];
        })
        .sort((a, b) => byName(a.alias, b.alias));
    },

    async set(alias, targetModel) {
      const check = checkModelAlias(alias, targetModel);
      if (!check.ok) throw new ModelAliasInputError(`${check.field}: ${check.problem}`);
      const stored: StoredAlias = { target: targetModel, updatedAtMs: now() };
      await redis.hset(keys.modelAliases(), alias, JSON.stringify(stored));
      await changed(alias);
      return { alias, targetModel, platform: check.platform, updatedAtMs: stored.updatedAtMs };
    },

    async delete(alias) {
      const removed = await redis.hdel(keys.modelAliases(), alias);
      if (removed === 0) return false;
      await changed(alias);
      return true;
    },
  };
}

/** A stored entry as a record; undefined for one that no longer reads as an alias (edited by hand), which is then not served. */
function toRecord(alias: string, value: string): ModelAliasRecord | undefined {
  let stored: Partial<StoredAlias> | null;
  try {
    stored = JSON.parse(value) as Partial<StoredAlias> | null;
  } catch {
    return undefined;
  }
  const target = typeof stored?.target === "string" ? stored.target : "";
  const check = checkModelAlias(alias, target);
  if (!check.ok) return undefined;
  return { alias, targetModel: target, platform: check.platform, updatedAtMs: typeof stored?.updatedAtMs === "number" ? stored.updatedAtMs : 0 };
}
