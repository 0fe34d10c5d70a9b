/**
 * Which shard of the day-wide usage counters a request writes, and which
 * copies a reader sums (redis/keys.ts: USAGE_SHARDS, UsageShard). A request's
 * shard comes from its lease id, which is random per request: the writes of
 * one busy key or account spread like those of many, and every replica picks
 * the same shard for the same lease without asking anyone. All of one
 * request's day-wide counters go to its one shard, so its usage still takes one
 * script call per hash tag (usage-batch).
 */
import { USAGE_SHARDS, type UsageShard } from "../redis/keys.js";

/**
 * The shard of a lease's day-wide usage counters: FNV-1a (32 bits) of the lease id, its high half folded
 * into its low one, modulo USAGE_SHARDS. Without the fold the low bits of the hash, and so the shard, would
 * depend on the low bits of each character only.
 */
export function usageShardOf(leaseId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < leaseId.length; i++) {
    hash ^= leaseId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return ((hash ^ (hash >>> 16)) >>> 0) % USAGE_SHARDS;
}

/**
 * Every copy a reader sums for one period: each shard, then the unsharded copy
 * that versions before the shards wrote (during a rolling upgrade, and for the
 * days before it, until they expire).
 */
export const USAGE_SHARDS_TO_READ: readonly UsageShard[] = [...Array.from({ length: USAGE_SHARDS }, (_, shard) => shard), "unsharded"];
