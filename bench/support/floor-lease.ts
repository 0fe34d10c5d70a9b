/**
 * The lease floor's one exact Redis lease per request: the least a relay that
 * takes a cross-replica concurrency slot on every request must do. One Lua
 * call before the upstream request (drop expired members, count, add under the
 * limit: the same shape as the control plane's account slot) and one ZREM after
 * it, on one account's sorted set.
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import type { Around } from "./pipe.js";

const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local limit = tonumber(ARGV[3])
if limit > 0 and redis.call('ZCARD', KEYS[1]) >= limit then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
return 1`;

export interface FloorLeaseOptions {
  redisUrl: string;
  /** Slots on the one account; the bench sets it above any concurrency it drives, so it never refuses. */
  limit: number;
  ttlMs: number;
}

/** The lease wrapped around each request, and a `close` for the Redis connection. */
export function createFloorLease(options: FloorLeaseOptions): { around: Around; close(): Promise<void> } {
  const redis = new Redis(options.redisUrl, { enableAutoPipelining: false, maxRetriesPerRequest: 1 });
  redis.defineCommand("floorAcquire", { numberOfKeys: 1, lua: ACQUIRE });
  const key = "{acct:floor}:leases";
  const acquire = (redis as unknown as { floorAcquire(...args: (string | number)[]): Promise<number> }).floorAcquire.bind(redis);
  const around: Around = async () => {
    const now = Date.now();
    const id = randomUUID();
    const granted = await acquire(key, now, now + options.ttlMs, options.limit, id);
    if (granted !== 1) return undefined;
    return { done: () => void redis.zrem(key, id).catch(() => undefined) };
  };
  return { around, close: async () => void (await redis.quit().catch(() => undefined)) };
}
