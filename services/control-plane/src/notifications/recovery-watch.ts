/**
 * Recoveries nothing announces: a rate limit or an overload that runs out. No
 * event marks the moment (the stored state simply reads healthy once its
 * untilMs is past, account-health's viewHealth), so this module keeps a
 * schedule in Redis, RedisKeys.notifications("recoveries"): a sorted set of
 * account ids scored by when their timed state ends. Entering a timed state
 * adds the account (ZADD GT: a longer block moves its end later, a shorter one
 * never earlier); a sweep on every replica, once a second, takes the entries
 * that are due. Taking one is a ZREM, which only one replica wins, so a
 * recovery is reported once however many replicas sweep. The winner then reads
 * the account's health: still timed but ending later (a block since) puts it
 * back on the schedule; ended reports the recovery; anything else (reset by
 * an admin, which reports its own recovery, or unauthorized, banned or an open
 * breaker since) reports nothing.
 *
 * Why a schedule rather than noticing the end when a later request finds the
 * account usable: the request path would pay a read and a write for every
 * account it passes over, and an account nobody asks for would never be
 * reported back. The schedule costs one ZRANGEBYSCORE per replica per second
 * while nothing is due. The recoveries that do have an event (a probe closing
 * the breaker, a refresh, an admin's reset) are reported as they happen, by
 * health-notices.
 */
import type { AccountCondition } from "../accounts/account-health.js";
import type { RedisClient } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import type { TimedStatus } from "./health-notices.js";

/** The schedule of timed states and its sweep. */
export interface RecoveryWatch {
  /** The account is in a timed state until untilMs; its end will be reported. Returns at once. */
  watch(accountId: string, untilMs: number): void;
  /** One sweep: reports the timed states over by now; resolves with how many it reported. */
  sweep(): Promise<number>;
  start(): void;
  /** Stops sweeping and waits for the sweep in flight and the watches issued so far. */
  stop(): Promise<void>;
}

/** Options of createRecoveryWatch. */
export interface RecoveryWatchOptions {
  redis: Pick<RedisClient, "zadd" | "zrangebyscore" | "zrem">;
  keys?: Pick<RedisKeys, "notifications">;
  /** The health of these accounts (the health store's conditions); an account absent from the answer is healthy. */
  readHealth: (accountIds: readonly string[]) => Promise<ReadonlyMap<string, Pick<AccountCondition, "health">>>;
  /** Called once per timed state that ran out. */
  onRecovered: (accountId: string, from: TimedStatus) => void;
  now?: () => number;
  /** Wait between sweeps (default 1 s). */
  pollMs?: number;
  onError?: (err: unknown) => void;
}

/** Entries taken per sweep; the rest wait for the next one. */
const BATCH = 100;

/** Builds the watch; it sweeps nothing until start(). */
export function createRecoveryWatch(options: RecoveryWatchOptions): RecoveryWatch {
  const { redis, readHealth, onRecovered } = options;
  const keys = options.keys ?? createRedisKeys();
  const now = options.now ?? Date.now;
  const pollMs = options.pollMs ?? 1_000;
  const schedule = keys.notifications("recoveries");
  const pending = new Set<Promise<unknown>>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;
  let lastError = "";

  function watch(accountId: string, untilMs: number): void {
    const added = redis
      .zadd(schedule, "GT", untilMs, accountId)
      .catch((err: unknown) => options.onError?.(err))
      .finally(() => pending.delete(added));
    pending.add(added);
  }

  async function sweep(): Promise<number> {
    const nowMs = now();
    const due = await redis.zrangebyscore(schedule, "-inf", nowMs, "LIMIT", 0, BATCH);
    if (due.length === 0) return 0;
    const taken = (await Promise.all(due.map(async (id) => ((await redis.zrem(schedule, id)) === 1 ? id : undefined)))).filter(
      (id): id is string => id !== undefined,
    );
    if (taken.length === 0) return 0;
    const health = await readHealth(taken).catch(async (err: unknown) => {
      // Taken but not judged: put them back for the next sweep.
      await Promise.all(taken.map((id) => redis.zadd(schedule, "GT", nowMs, id)));
      throw err;
    });
    let reported = 0;
    const later: Promise<unknown>[] = [];
    for (const id of taken) {
      const state = health.get(id)?.health;
      if (state?.status !== "rate_limited" && state?.status !== "overloaded") continue;
      if (state.untilMs > nowMs) {
        later.push(redis.zadd(schedule, "GT", state.untilMs, id));
        continue;
      }
      onRecovered(id, state.status);
      reported++;
    }
    await Promise.all(later);
    return reported;
  }

  function next(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = sweep()
        .then(() => {
          lastError = "";
        })
        .catch((err: unknown) => {
          // Once per distinct failure: a Redis outage would otherwise be reported every sweep.
          const text = err instanceof Error ? err.message : String(err);
          if (text !== lastError) options.onError?.(err);
          lastError = text;
        })
        .finally(() => {
          running = undefined;
          next();
        });
    }, pollMs);
    timer.unref();
  }

  return {
    watch,
    sweep,
    start() {
      if (!stopped) return;
      stopped = false;
      next();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      await Promise.allSettled([...pending]);
    },
  };
}
