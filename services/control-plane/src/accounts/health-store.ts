/**
 * Account health in Redis, under the account's `{acct:ID}` tag: one hash with
 * the state, the half-open probe and the subscription windows, and a sorted set
 * of recent breaker failures. Every change is one Lua script over that one
 * account's keys (health-event.lua, probe-claim.lua), so replicas never race on
 * it and it runs unchanged on a cluster. What an outcome means is decided by
 * account-health (pure); this module stores it and reads it back. Nothing here
 * waits for anything but its own command, so Release can issue it in the same
 * tick as its other writes and they go out as one pipeline.
 */
import { randomUUID } from "node:crypto";
import type { RedisClient } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { defineLuaCommand } from "../redis/lua-command.js";
import {
  DEFAULT_HEALTH_CONFIG,
  healthEventFor,
  windowsFromOutcome,
  type AccountCondition,
  type HealthConfig,
  type HealthEvent,
  type HealthOutcome,
  type HealthStatus,
} from "./account-health.js";
import type { RateWindow } from "./rate-limit-headers.js";

/** An account's stored health, for the admin API. */
export interface StoredHealth extends AccountCondition {
  health: { status: HealthStatus; reason: string; untilMs: number; sinceMs: number };
  /** Breaker failures within the window. */
  failureCount: number;
}

/** Health per account over Redis. */
export interface HealthStore {
  /** The conditions of several accounts at once (one command each, issued together); absent = healthy. */
  conditions(accountIds: readonly string[]): Promise<Map<string, AccountCondition>>;
  /** One account's health, windows and failure count. */
  read(accountId: string): Promise<StoredHealth>;
  /**
   * Applies a Release outcome (event and windows) in one script call; undefined when the account is gone.
   * With `knownHealthy` (the caller last read the account as healthy, no probe in flight), a success that
   * brings no windows changes nothing the script would keep, so it is not sent: see recordOutcome below.
   */
  recordOutcome(accountId: string, leaseId: string, outcome: HealthOutcome, knownHealthy?: boolean): Promise<HealthStatus | undefined>;
  /**
   * Applies an event directly (unauthorized after a failed refresh, reauthorized, reset); `leaseId` names
   * the request it ended, when there was one (a probe's lease ends the probe).
   */
  apply(accountId: string, event: HealthEvent, leaseId?: string): Promise<HealthStatus | undefined>;
  /** Claims a half-open account's single probe for a lease; false when another one runs or the breaker re-opened. */
  claimProbe(accountId: string, leaseId: string): Promise<boolean>;
  /** Gives back a probe claimed for a lease that will not run, so another request can probe. */
  releaseProbe(accountId: string, leaseId: string): Promise<void>;
}

/** One health event as applied, for an observer (notifications). */
export interface HealthChange {
  accountId: string;
  event: HealthEvent;
  /** The status after the event. */
  status: HealthStatus;
  /** The stored state before it, as the script read it (a timed state may be over by then: see its untilMs). */
  previous: { status: HealthStatus; untilMs: number };
}

/** Options of createHealthStore. */
export interface HealthStoreOptions {
  redis: RedisClient;
  keys?: RedisKeys;
  config?: HealthConfig;
  now?: () => number;
  /** How long a probe claim holds when its Release never comes; the lease TTL. */
  probeTtlMs: number;
  /** Told of every event applied to an existing account, after it is stored; must not throw. */
  onChange?: (change: HealthChange) => void;
}

/** A health store over one Redis client. */
export function createHealthStore(options: HealthStoreOptions): HealthStore {
  const { redis, probeTtlMs } = options;
  const keys = options.keys ?? createRedisKeys();
  const config = options.config ?? DEFAULT_HEALTH_CONFIG;
  const now = options.now ?? Date.now;
  const healthEvent = defineLuaCommand(redis, "crHealthEvent", "health-event", 3);
  const probeClaim = defineLuaCommand(redis, "crProbeClaim", "probe-claim", 1);

  async function run(accountId: string, leaseId: string, event: HealthEvent, windows: RateWindow[] | undefined, nowMs: number) {
    const block = event.kind === "block" ? event : undefined;
    const reason = event.kind === "block" || event.kind === "failure" ? event.reason : "";
    const reply = await healthEvent(
      [keys.account(accountId), keys.accountHealth(accountId), keys.accountFailures(accountId)],
      [
        nowMs,
        leaseId,
        event.kind,
        block?.status ?? "",
        reason,
        block?.untilMs ?? 0,
        config.breakerFailures,
        config.breakerWindowMs,
        config.breakerOpenMs,
        windows ? JSON.stringify(windows) : "",
        leaseId || randomUUID(),
      ],
    );
    // The script answers [after, before, before's untilMs], or nil (false) for an account that is gone.
    if (!Array.isArray(reply)) return undefined;
    const [after, before, beforeUntilMs] = reply.map(String) as [HealthStatus, HealthStatus, string];
    if (options.onChange && event.kind !== "none") options.onChange({ accountId, event, status: after, previous: { status: before, untilMs: Number(beforeUntilMs) } });
    return after;
  }

  return {
    async conditions(accountIds) {
      const nowMs = now();
      const hashes = await Promise.all(accountIds.map((id) => redis.hgetall(keys.accountHealth(id))));
      const out = new Map<string, AccountCondition>();
      accountIds.forEach((id, i) => {
        const hash = hashes[i];
        if (hash && Object.keys(hash).length > 0) out.set(id, toCondition(hash, nowMs));
      });
      return out;
    },

    async read(accountId) {
      const [hash, failureCount] = await Promise.all([
        redis.hgetall(keys.accountHealth(accountId)),
        redis.zcount(keys.accountFailures(accountId), `(${now() - config.breakerWindowMs}`, "+inf"),
      ]);
      const condition = toCondition(hash, now());
      return { ...condition, health: { ...condition.health, sinceMs: Number(hash.sinceMs ?? 0) }, failureCount };
    },

    recordOutcome(accountId, leaseId, outcome, knownHealthy = false) {
      const nowMs = now();
      const event = healthEventFor(outcome, nowMs, config);
      const windows = windowsFromOutcome(outcome, nowMs, config);
      // On a healthy account a success only trims old breaker failures, which the next failure trims
      // anyway. Had the account turned unhealthy since that read, a success that is not the probe leaves
      // an open breaker open and a half-open one to its probe: the probe, not this request, closes it.
      if (knownHealthy && event.kind === "success" && windows === undefined) return Promise.resolve("healthy");
      return run(accountId, leaseId, event, windows, nowMs);
    },

    apply(accountId, event, leaseId = "") {
      return run(accountId, leaseId, event, undefined, now());
    },

    async claimProbe(accountId, leaseId) {
      return (await probeClaim([keys.accountHealth(accountId)], [leaseId, now(), probeTtlMs])) === 1;
    },

    async releaseProbe(accountId, leaseId) {
      await run(accountId, leaseId, { kind: "none" }, undefined, now());
    },
  };
}

function toCondition(hash: Record<string, string>, nowMs: number): AccountCondition & { health: { status: HealthStatus } } {
  return {
    health: { status: (hash.status as HealthStatus | undefined) ?? "healthy", reason: hash.reason ?? "", untilMs: Number(hash.untilMs ?? 0) },
    probeInFlight: Boolean(hash.probeLeaseId) && Number(hash.probeUntilMs ?? 0) > nowMs,
    windows: parseWindows(hash.windows),
  };
}

function parseWindows(json: string | undefined): RateWindow[] {
  if (!json) return [];
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) ? (parsed as RateWindow[]) : [];
  } catch {
    return [];
  }
}
