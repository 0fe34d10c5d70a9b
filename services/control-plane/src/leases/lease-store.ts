/**
 * Concurrency slots: per owner (an account or an API key) a sorted set of
 * lease ids scored by expiry. Acquire, renew and release are Lua scripts over
 * one owner's keys; the clock is the caller's (`now`), passed to the scripts,
 * so expiry is testable and replicas agree without Redis TIME. This module
 * owns slots only: who may take one, and where, is decided by the callers.
 */
import type { Redis } from "ioredis";
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
}

/** Slots over Redis. */
export interface LeaseStore {
  /** How long a lease lives without a renewal. */
  readonly ttlMs: number;
  /** Takes a slot for leaseId if the owner exists and holds fewer than `limit` (0 = unlimited). Stamps an account's last use. */
  acquire(leaseId: string, owner: SlotOwner, limit: number): Promise<SlotReply>;
  /** Extends the lease on every owner; false unless all of them still held it. */
  renew(leaseId: string, owners: readonly SlotOwner[]): Promise<boolean>;
  /**
   * Frees the lease on every owner and, when usage is given, counts one request
   * and its tokens on each owner's daily counters even if the lease had expired.
   * True when every owner still held it.
   */
  release(leaseId: string, owners: readonly SlotOwner[], usage?: LeaseUsage): Promise<boolean>;
  /** Leases an account holds now (expired ones not counted). */
  activeCount(accountId: string): Promise<number>;
  /** activeCount for several accounts at once. */
  activeCounts(accountIds: readonly string[]): Promise<Map<string, number>>;
}

/** Options of createLeaseStore. */
export interface LeaseStoreOptions {
  redis: Redis;
  ttlMs: number;
  now?: () => number;
  keys?: RedisKeys;
}

/** Daily usage counters are kept this long. */
const USAGE_TTL_SECONDS = 90 * 24 * 3600;

/** A lease store over one Redis client. */
export function createLeaseStore(options: LeaseStoreOptions): LeaseStore {
  const { redis, ttlMs } = options;
  const now = options.now ?? Date.now;
  const keys = options.keys ?? createRedisKeys();
  const scripts = createRedisScripts(redis);
  const leasesKey = (o: SlotOwner) => (o.kind === "account" ? keys.accountLeases(o.id) : keys.apiKeyLeases(o.id));
  const activeCount = (accountId: string) => redis.zcount(keys.accountLeases(accountId), `(${now()}`, "+inf");

  return {
    ttlMs,

    acquire(leaseId, owner, limit) {
      return scripts.acquireSlot({
        leasesKey: leasesKey(owner),
        recordKey: owner.kind === "account" ? keys.account(owner.id) : keys.apiKey(owner.id),
        leaseId,
        nowMs: now(),
        ttlMs,
        limit,
        ...(owner.kind === "account" && { stampField: ACCOUNT_LAST_USED_FIELD }),
      });
    },

    async renew(leaseId, owners) {
      const nowMs = now();
      const renewed = await Promise.all(owners.map((o) => scripts.renewSlot({ leasesKey: leasesKey(o), leaseId, nowMs, ttlMs })));
      return renewed.every(Boolean);
    },

    async release(leaseId, owners, usage) {
      const day = new Date(now()).toISOString().slice(0, 10);
      const increments: Record<string, number> = usage
        ? {
            requests: 1,
            input_tokens: usage.inputTokens,
            output_tokens: usage.outputTokens,
            cache_creation_input_tokens: usage.cacheCreationInputTokens,
            cache_read_input_tokens: usage.cacheReadInputTokens,
          }
        : {};
      const held = await Promise.all(
        owners.map((o) =>
          scripts.releaseSlot({
            leasesKey: leasesKey(o),
            usageKey: o.kind === "account" ? keys.accountDailyUsage(o.id, day) : keys.apiKeyDailyUsage(o.id, day),
            leaseId,
            usageTtlSeconds: USAGE_TTL_SECONDS,
            increments,
          }),
        ),
      );
      return held.every(Boolean);
    },

    activeCount,

    async activeCounts(accountIds) {
      const counts = await Promise.all(accountIds.map(activeCount));
      return new Map(accountIds.map((id, i) => [id, counts[i] ?? 0]));
    },
  };
}
