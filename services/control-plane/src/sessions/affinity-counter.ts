/**
 * Sticky-session affinity results: whether a request with a session stayed on
 * its bound account (hit), moved to another (moved: the bound one was full,
 * unhealthy or excluded), or bound a session for the first time (new).
 * Counted at once on the `control_plane_sticky_total{result}` metric, and in
 * Redis (shared by every replica, shown by the admin API) through counts
 * gathered per replica: they are written at most every `flushMs` (a second by
 * default), one HINCRBY per result in one write, and on close, so counting
 * costs the hot path no command. A write that fails keeps its counts for the
 * next one. totals() adds this replica's unwritten counts to Redis's. A
 * session's own moves are counted on its record (session-store).
 */
import { Counter, type Registry } from "@claude-relay/metrics";
import type { RedisClient } from "../redis/client.js";
import { createDeferredFlush } from "../redis/deferred-flush.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";

/** What happened to a session's binding on one granted request. */
export type AffinityResult = "hit" | "moved" | "new";

/** Counts affinity results. */
export interface AffinityCounter {
  /** Counts one result on the metric and in this replica's counts, written with the next flush. */
  count(result: AffinityResult): void;
  /** The counts since counting began, over every replica, with this replica's not yet written. */
  totals(): Promise<Record<AffinityResult, number>>;
  /** Writes this replica's counts; when the write fails it rejects, and the counts wait for the next flush. */
  flush(): Promise<void>;
  /** Stops the flush timer and writes what is left, rejecting like flush(). */
  close(): Promise<void>;
}

/** Options of createAffinityCounter. */
export interface AffinityCounterOptions {
  redis: RedisClient;
  keys?: RedisKeys;
  /** Registers `control_plane_sticky_total` when given. */
  registry?: Registry;
  /** How long counts wait before they are written (default 1000 ms). */
  flushMs?: number;
}

const RESULTS: readonly AffinityResult[] = ["hit", "moved", "new"];
const DEFAULT_FLUSH_MS = 1_000;

/** The result of a granted request: the session had no binding, kept it, or lost it. */
export function affinityOf(boundAccountId: string | undefined, keptBinding: boolean): AffinityResult {
  if (boundAccountId === undefined) return "new";
  return keptBinding ? "hit" : "moved";
}

/** Builds the counter; its timer runs only while counts wait, and never keeps the process alive. */
export function createAffinityCounter(options: AffinityCounterOptions): AffinityCounter {
  const { redis } = options;
  const keys = options.keys ?? createRedisKeys();
  const flushMs = options.flushMs ?? DEFAULT_FLUSH_MS;
  const metric = options.registry
    ? new Counter({
        name: "control_plane_sticky_total",
        help: "Granted requests with a session, by affinity result: hit, moved or new.",
        labelNames: ["result"],
        registers: [options.registry],
      })
    : undefined;
  // Every result is exported from the start, so the affinity ratio has its series before the first move.
  for (const result of RESULTS) metric?.inc({ result }, 0);
  const pending: Record<AffinityResult, number> = { hit: 0, moved: 0, new: 0 };
  const deferred = createDeferredFlush(flushMs, () => flush());

  function flush(): Promise<void> {
    deferred.cancel();
    // Issued in one tick, so auto-pipelining sends them in one write. Each count leaves `pending`
    // as its command is issued: a read issued after it finds the count in Redis (totals()).
    const writes = RESULTS.filter((result) => pending[result] > 0).map((result) => {
      const by = pending[result];
      pending[result] = 0;
      return redis.hincrby(keys.stickyStats(), result, by).then(
        () => undefined,
        (err: unknown) => {
          pending[result] += by;
          deferred.schedule();
          throw err;
        },
      );
    });
    return Promise.all(writes).then(() => undefined);
  }

  return {
    count(result) {
      metric?.inc({ result });
      pending[result] += 1;
      deferred.schedule();
    },
    async totals() {
      // Taken as HGETALL is issued: writes issued before it are in its reply, counts still here are not.
      const unwritten = { ...pending };
      const hash = await redis.hgetall(keys.stickyStats());
      return {
        hit: Number(hash.hit ?? 0) + unwritten.hit,
        moved: Number(hash.moved ?? 0) + unwritten.moved,
        new: Number(hash.new ?? 0) + unwritten.new,
      };
    },
    flush,
    close() {
      deferred.close();
      return flush();
    },
  };
}
