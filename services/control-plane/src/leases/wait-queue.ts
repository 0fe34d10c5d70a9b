/**
 * The wait-for-a-slot queue in Redis: one first-come-first-served line per
 * wait group (wait-group.ts), shared by every control plane. A waiter is
 * numbered on arrival and keeps its number while its replica renews it; one
 * that stops being renewed (its replica died) is dropped by the next join or
 * renewal of the line, so a line never waits on a waiter nobody serves. The
 * clock is the caller's, as for slots (lease-store.ts).
 *
 * Alongside: a description of every group that ever had a line (for the
 * admin's queue view) and, per key and per account, how long its last waits
 * took (a capped list, read for percentiles).
 */
import type { RedisClient } from "../redis/client.js";
import { defineLuaCommand } from "../redis/lua-command.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import type { WaitGroup } from "./wait-group.js";

/** What joining a line got. */
export type JoinReply =
  /** In the line; `place` 0 is first in turn. `joinedAtMs` is when the waiter first joined, on any replica. */
  | { kind: "joined"; place: number; waiters: number; joinedAtMs: number }
  /** The line holds its most waiters already. */
  | { kind: "full"; waiters: number }
  /** Asked to join only a busy line, and nobody waits. */
  | { kind: "empty" };

/** What renewing a replica's waiters of one line found. */
export interface RenewReply {
  /** Waiters in the line, on every replica. */
  waiters: number;
  /** When the first in turn joined, ms; undefined when the line is empty. */
  oldestJoinedAtMs: number | undefined;
  /** The place of each waiter asked about, in order; -1 for one no longer in the line. */
  places: number[];
}

/** The queue's Redis side. */
export interface WaitQueue {
  /** Joins the line (or finds the waiter there), unless it is full, or empty and `busyOnly`. */
  join(groupId: string, waiterId: string, options: { busyOnly: boolean; maxWaiters: number }): Promise<JoinReply>;
  /** Keeps these waiters in the line and tells their places. */
  renew(groupId: string, waiterIds: readonly string[]): Promise<RenewReply>;
  /** Leaves the line; nothing happens for a waiter that is not in it. */
  leave(groupId: string, waiterId: string): Promise<void>;
  /** Records a group's description for the admin's view (idempotent). */
  describe(group: WaitGroup): Promise<void>;
  /** Every group described so far. */
  groups(): Promise<WaitGroup[]>;
  /** Records how long a wait took, for its key and, once served, its account. */
  recordWait(ms: number, keyId: string, accountId: string | undefined): Promise<void>;
  /** The last wait times of a key or an account, newest first. */
  waitTimes(owner: "key" | "account", id: string): Promise<number[]>;
}

/** Options of createWaitQueue. */
export interface WaitQueueOptions {
  redis: RedisClient;
  /** A waiter not renewed for this long is dropped from its line. */
  aliveMs: number;
  now?: () => number;
  keys?: RedisKeys;
}

/** Wait times kept per key and per account. */
export const WAIT_TIMES_KEPT = 1_000;

/** Builds the queue over one Redis client. */
export function createWaitQueue(options: WaitQueueOptions): WaitQueue {
  const { redis, aliveMs } = options;
  const now = options.now ?? Date.now;
  const keys = options.keys ?? createRedisKeys();
  const joinScript = defineLuaCommand(redis, "crWaitJoin", "wait-join", 4);
  const renewScript = defineLuaCommand(redis, "crWaitRenew", "wait-renew", 4);
  const lineKeys = (groupId: string) => (["line", "alive", "since", "seq"] as const).map((part) => keys.waitQueue(groupId, part));

  return {
    async join(groupId, waiterId, { busyOnly, maxWaiters }) {
      const [place = -1, waiters = 0, joinedAtMs = 0] = (await joinScript(lineKeys(groupId), [waiterId, now(), aliveMs, maxWaiters, busyOnly ? "busy-only" : ""])) as number[];
      if (place === -2) return { kind: "empty" };
      if (place === -1) return { kind: "full", waiters };
      return { kind: "joined", place, waiters, joinedAtMs };
    },

    async renew(groupId, waiterIds) {
      const [waiters = 0, oldest = -1, ...places] = (await renewScript(lineKeys(groupId), [now(), aliveMs, ...waiterIds])) as number[];
      return { waiters, oldestJoinedAtMs: oldest >= 0 ? oldest : undefined, places };
    },

    async leave(groupId, waiterId) {
      // One slot (the group's tag): the three go out together and need no script.
      await Promise.all([
        redis.zrem(keys.waitQueue(groupId, "line"), waiterId),
        redis.zrem(keys.waitQueue(groupId, "alive"), waiterId),
        redis.hdel(keys.waitQueue(groupId, "since"), waiterId),
      ]);
    },

    async describe(group) {
      await redis.hset(keys.waitGroups(), group.id, JSON.stringify(group));
    },

    async groups() {
      const all = await redis.hgetall(keys.waitGroups());
      return Object.values(all).flatMap((json) => {
        try {
          return [JSON.parse(json) as WaitGroup];
        } catch {
          return [];
        }
      });
    },

    async recordWait(ms, keyId, accountId) {
      const value = String(Math.max(0, Math.round(ms)));
      const owners: ["key" | "account", string][] = [["key", keyId]];
      if (accountId) owners.push(["account", accountId]);
      await Promise.all(owners.flatMap(([owner, id]) => [redis.lpush(keys.waitTimes(owner, id), value), redis.ltrim(keys.waitTimes(owner, id), 0, WAIT_TIMES_KEPT - 1)]));
    },

    async waitTimes(owner, id) {
      return (await redis.lrange(keys.waitTimes(owner, id), 0, -1)).map(Number).filter(Number.isFinite);
    },
  };
}
