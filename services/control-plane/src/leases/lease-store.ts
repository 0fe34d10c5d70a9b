/**
 * Concurrency slots: per owner (an account or an API key) a sorted set of
 * lease ids scored by expiry. Acquire, renew and release are Lua scripts over
 * one owner's keys; the clock is the caller's (`now`), passed to the scripts,
 * so expiry is testable and replicas agree without Redis TIME. This module
 * owns slots only: who may take one, and where, is decided by the callers.
 */
import type { RedisClient } from "../redis/client.js";
import { ACCOUNT_LAST_USED_FIELD } from "../accounts/account-store.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { createRedisScripts, type SlotReply } from "../redis/scripts.js";

/** Whose slot: an account's or an API key's. */
export interface SlotOwner {
  kind: "account" | "key";
  id: string;
}

/** Tokens reported for a finished request. */
export interface LeaseUsage {
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
  /** Of cacheCreationInputTokens, the 1-hour cache writes; 0 or absent when unknown. */
  cacheCreation1hInputTokens?: number;
  /** Of outputTokens, those spent thinking; 0 or absent when unknown. */
  reasoningTokens?: number;
}

/**
 * Writes that go out with a release: issued on the client, synchronously, in
 * the release's tick, so auto-pipelining sends them in the same write (one
 * per node on a cluster). Returns the replies to wait for.
 */
export type ReleaseWrites = (redis: RedisClient) => readonly Promise<unknown>[];

/** Slots over Redis. */
export interface LeaseStore {
  /** How long a lease lives without a renewal. */
  readonly ttlMs: number;
  /** Takes a slot for leaseId if the owner exists and holds fewer than `limit` (0 = unlimited). Stamps an account's last use. */
  acquire(leaseId: string, owner: SlotOwner, limit: number): Promise<SlotReply>;
  /** Extends the lease on every owner; false unless all of them still held it. */
  renew(leaseId: string, owners: readonly SlotOwner[]): Promise<boolean>;
  /**
   * Frees the lease on every owner and sends `writes` (usage, session, health)
   * in the same tick, so the whole release is one round trip. True when every
   * owner still held it; the writes run either way.
   */
  release(leaseId: string, owners: readonly SlotOwner[], writes?: ReleaseWrites): Promise<boolean>;
  /** Leases an account holds now (expired ones not counted). */
  activeCount(accountId: string): Promise<number>;
  /** activeCount for several accounts at once. */
  activeCounts(accountIds: readonly string[]): Promise<Map<string, number>>;
}

/** Options of createLeaseStore. */
export interface LeaseStoreOptions {
  redis: RedisClient;
  ttlMs: number;
  now?: () => number;
  keys?: RedisKeys;
  /** Times each Redis batch (acquire, renew, release, count); histogram.startTimer fits. */
  timer?: (labels: { operation: "acquire" | "renew" | "release" | "count" }) => () => unknown;
}

/** A lease store over one Redis client. */
export function createLeaseStore(options: LeaseStoreOptions): LeaseStore {
  const { redis, ttlMs } = options;
  const now = options.now ?? Date.now;
  const keys = options.keys ?? createRedisKeys();
  const scripts = createRedisScripts(redis);
  const leasesKey = (o: SlotOwner) => (o.kind === "account" ? keys.accountLeases(o.id) : keys.apiKeyLeases(o.id));
  const activeCount = (accountId: string) => redis.zcount(keys.accountLeases(accountId), `(${now()}`, "+inf");
  // Each method below is one batch (its commands leave in one tick), so its time is one round trip.
  const timed = <T>(operation: "acquire" | "renew" | "release" | "count", work: Promise<T>): Promise<T> => {
    if (!options.timer) return work;
    const stop = options.timer({ operation });
    return work.finally(() => void stop());
  };

  return {
    ttlMs,

    acquire(leaseId, owner, limit) {
      return timed("acquire", scripts.acquireSlot({
        leasesKey: leasesKey(owner),
        recordKey: owner.kind === "account" ? keys.account(owner.id) : keys.apiKey(owner.id),
        leaseId,
        nowMs: now(),
        ttlMs,
        limit,
        ...(owner.kind === "account" && { stampField: ACCOUNT_LAST_USED_FIELD }),
      }));
    },

    async renew(leaseId, owners) {
      const nowMs = now();
      const renewed = await timed("renew", Promise.all(owners.map((o) => scripts.renewSlot({ leasesKey: leasesKey(o), leaseId, nowMs, ttlMs }))));
      return renewed.every(Boolean);
    },

    async release(leaseId, owners, writes) {
      // Plain commands issued in one tick, not a MULTI: on a cluster the owners live on different nodes.
      const removed = owners.map((o) => redis.zrem(leasesKey(o), leaseId));
      const [held] = await timed("release", Promise.all([Promise.all(removed), Promise.all(writes?.(redis) ?? [])]));
      return held.every((n) => n === 1);
    },

    activeCount,

    async activeCounts(accountIds) {
      const counts = await timed("count", Promise.all(accountIds.map(activeCount)));
      return new Map(accountIds.map((id, i) => [id, counts[i] ?? 0]));
    },
  };
}
