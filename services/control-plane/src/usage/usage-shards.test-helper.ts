/**
 * Test helper: a day-wide usage hash read as one, the way tests read a single
 * hash: its fields summed over every shard and the unsharded copy, as the
 * strings HGETALL returns. A field no copy holds is absent.
 */
import type { RedisClient } from "../redis/client.js";
import type { UsageShard } from "../redis/keys.js";
import { USAGE_SHARDS_TO_READ } from "./usage-shards.js";

/** HGETALL over every copy of `keyOf`'s hash, summed field by field. */
export async function summedShards(redis: RedisClient, keyOf: (shard: UsageShard) => string): Promise<Record<string, string>> {
  const hashes = await Promise.all(USAGE_SHARDS_TO_READ.map((shard) => redis.hgetall(keyOf(shard))));
  const sums = new Map<string, number>();
  for (const hash of hashes) for (const [field, value] of Object.entries(hash)) sums.set(field, (sums.get(field) ?? 0) + Number(value));
  return Object.fromEntries([...sums].map(([field, sum]) => [field, String(sum)]));
}
