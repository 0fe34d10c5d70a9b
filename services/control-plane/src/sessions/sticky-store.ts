/**
 * Sticky sessions: a session hash bound to the account that served it, so a
 * conversation keeps its prompt cache. The binding lives under `{sess:HASH}`
 * with a TTL that every use renews: reading it for a request renews it (GETEX,
 * Redis 6.2 or later), so a session that stays on its account costs no write.
 * Whether the bound account is still fit is pick-account's call; this module
 * only remembers.
 */
import type { RedisClient } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";

/** Session → account bindings. */
export interface StickyStore {
  /** The account the session is bound to, if any; a binding that is there gets its TTL restarted. */
  get(sessionHash: string): Promise<string | undefined>;
  /** Binds (or re-binds) the session to an account and restarts its TTL. */
  bind(sessionHash: string, accountId: string): Promise<void>;
}

/** Options of createStickyStore. */
export interface StickyStoreOptions {
  redis: RedisClient;
  /** How long an unused binding lasts (default 3600). */
  ttlSeconds?: number;
  keys?: RedisKeys;
}

/** A sticky store over one Redis client. */
export function createStickyStore(options: StickyStoreOptions): StickyStore {
  const { redis } = options;
  const ttlSeconds = options.ttlSeconds ?? 3600;
  const keys = options.keys ?? createRedisKeys();
  return {
    async get(sessionHash) {
      return (await redis.getex(keys.sticky(sessionHash), "EX", ttlSeconds)) ?? undefined;
    },
    async bind(sessionHash, accountId) {
      await redis.set(keys.sticky(sessionHash), accountId, "EX", ttlSeconds);
    },
  };
}
