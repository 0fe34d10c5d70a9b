/**
 * Sticky-session affinity results: whether a request with a session stayed on
 * its bound account (hit), moved to another (moved: the bound one was full,
 * unhealthy or excluded), or bound a session for the first time (new).
 * Counted in Redis (shared by every replica, shown by the admin API) and on
 * the `control_plane_sticky_total{result}` metric; a session's own moves are
 * counted on its record (session-store).
 */
import { Counter, type Registry } from "@claude-relay/metrics";
import type { RedisClient } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";

/** What happened to a session's binding on one granted request. */
export type AffinityResult = "hit" | "moved" | "new";

/** Counts affinity results. */
export interface AffinityCounter {
  /** Counts one result. */
  count(result: AffinityResult): Promise<void>;
  /** The counts since counting began, over every replica. */
  totals(): Promise<Record<AffinityResult, number>>;
}

/** Options of createAffinityCounter. */
export interface AffinityCounterOptions {
  redis: RedisClient;
  keys?: RedisKeys;
  /** Registers `control_plane_sticky_total` when given. */
  registry?: Registry;
}

/** The result of a granted request: the session had no binding, kept it, or lost it. */
export function affinityOf(boundAccountId: string | undefined, keptBinding: boolean): AffinityResult {
  if (boundAccountId === undefined) return "new";
  return keptBinding ? "hit" : "moved";
}

/** Builds the counter. */
export function createAffinityCounter(options: AffinityCounterOptions): AffinityCounter {
  const { redis } = options;
  const keys = options.keys ?? createRedisKeys();
  const metric = options.registry
    ? new Counter({
        name: "control_plane_sticky_total",
        help: "Granted requests with a session, by affinity result: hit, moved or new.",
        labelNames: ["result"],
        registers: [options.registry],
      })
    : undefined;
  return {
    async count(result) {
      metric?.inc({ result });
      await redis.hincrby(keys.stickyStats(), result, 1);
    },
    async totals() {
      const hash = await redis.hgetall(keys.stickyStats());
      return { hit: Number(hash.hit ?? 0), moved: Number(hash.moved ?? 0), new: Number(hash.new ?? 0) };
    },
  };
}
