/**
 * Reads back the counters usage-recorder writes: one series (the total, or
 * one key, account, model, platform or front door) by day or by hour, and a
 * dimension's breakdown (every key, account, model, platform or front door
 * used) summed over days. Platforms are read from the "<platform>|<counter>"
 * fields of the overall day and hour hashes, front doors from their
 * "door:<front door>|<counter>" fields in the same hashes. Admin-side only, so
 * it may read many hashes; each read is one command, issued together.
 */
import type { RedisClient } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { FRONT_DOOR_FIELD_PREFIX } from "./front-doors.js";
import { hoursOf } from "./usage-periods.js";
import { modelLabel, USAGE_COUNTERS, type UsageCounter } from "./usage-recorder.js";

/** Counter totals; cost in nano-dollars. */
export type UsageTotals = Record<UsageCounter, number>;

/** What a series is about; a platform's id is its name ("claude", "gemini"), a front door's too ("openai-chat"). */
export type UsageSubject = { kind: "total" } | { kind: "key" | "account" | "model" | "platform" | "front-door"; id: string };

/** A breakdown dimension. */
export type UsageDimension = "key" | "account" | "model" | "platform" | "front-door";

/** Reads usage counters. */
export interface UsageReader {
  /** One total per day, in the order given. */
  daily(subject: UsageSubject, days: readonly string[]): Promise<UsageTotals[]>;
  /** The 24 hourly totals of a day, hour 0 first. */
  hourly(subject: UsageSubject, day: string): Promise<UsageTotals[]>;
  /** Every id of the dimension used on the days, with its totals over them. */
  breakdown(dimension: UsageDimension, days: readonly string[]): Promise<Map<string, UsageTotals>>;
}

/** All counters at 0. */
export function emptyTotals(): UsageTotals {
  return Object.fromEntries(USAGE_COUNTERS.map((c) => [c, 0])) as UsageTotals;
}

/** Adds `more` into `into` and returns it. */
export function addTotals(into: UsageTotals, more: UsageTotals): UsageTotals {
  for (const c of USAGE_COUNTERS) into[c] += more[c];
  return into;
}

/** Orders by cost, then requests, most first. */
export function byCostThenRequests(a: UsageTotals, b: UsageTotals): number {
  return b.cost_nanos - a.cost_nanos || b.requests - a.requests;
}

/** A reader over one Redis client. */
export function createUsageReader(options: { redis: RedisClient; keys?: RedisKeys }): UsageReader {
  const { redis } = options;
  const keys = options.keys ?? createRedisKeys();

  /** The totals of one period: a plain hash, or the "<id>|" fields of a hash (per model, platform or front door). */
  async function read(hashKey: string, id?: string): Promise<UsageTotals> {
    if (id === undefined) return parseTotals(await redis.hgetall(hashKey));
    const values = await redis.hmget(hashKey, ...USAGE_COUNTERS.map((c) => `${id}|${c}`));
    return parseTotals(Object.fromEntries(USAGE_COUNTERS.map((c, i) => [c, values[i] ?? "0"])));
  }

  /** The hash a dimension's breakdown of one day is in: platforms and front doors share the day's own. */
  const breakdownKey = (dimension: UsageDimension, day: string) =>
    dimension === "platform" || dimension === "front-door" ? keys.usageDay(day) : keys.usageDayBy(day, dimension);

  function periodKey(subject: UsageSubject, period: string, hourly: boolean): [string, string?] {
    switch (subject.kind) {
      case "total":
        return [hourly ? keys.usageHour(period) : keys.usageDay(period)];
      case "key":
        return [hourly ? keys.apiKeyHourlyUsage(subject.id, period) : keys.apiKeyDailyUsage(subject.id, period)];
      case "account":
        return [hourly ? keys.accountHourlyUsage(subject.id, period) : keys.accountDailyUsage(subject.id, period)];
      case "model":
        return [hourly ? keys.usageHourByModel(period) : keys.usageDayBy(period, "model"), modelLabel(subject.id)];
      case "platform":
        return [hourly ? keys.usageHour(period) : keys.usageDay(period), subject.id];
      case "front-door":
        return [hourly ? keys.usageHour(period) : keys.usageDay(period), `${FRONT_DOOR_FIELD_PREFIX}${subject.id}`];
    }
  }

  return {
    daily(subject, days) {
      return Promise.all(days.map((day) => read(...periodKey(subject, day, false))));
    },

    hourly(subject, day) {
      return Promise.all(hoursOf(day).map((hour) => read(...periodKey(subject, hour, true))));
    },

    async breakdown(dimension, days) {
      const hashes = await Promise.all(days.map((day) => redis.hgetall(breakdownKey(dimension, day))));
      const out = new Map<string, UsageTotals>();
      for (const hash of hashes) {
        for (const [field, value] of Object.entries(hash)) {
          const cut = field.lastIndexOf("|");
          const counter = field.slice(cut + 1) as UsageCounter;
          // The day's own counters ("requests", no "|") sit beside its platforms' and front doors' fields: skipped here.
          if (cut <= 0 || !USAGE_COUNTERS.includes(counter)) continue;
          const id = idOf(dimension, field.slice(0, cut));
          if (id === undefined) continue;
          let totals = out.get(id);
          if (!totals) out.set(id, (totals = emptyTotals()));
          totals[counter] += Number(value) || 0;
        }
      }
      return out;
    },
  };
}

/**
 * The id a field's prefix names in a dimension's breakdown, or undefined when the field belongs to another
 * dimension: platforms and front doors share the day's hash, told apart by FRONT_DOOR_FIELD_PREFIX.
 */
function idOf(dimension: UsageDimension, prefix: string): string | undefined {
  const isDoor = prefix.startsWith(FRONT_DOOR_FIELD_PREFIX);
  if (dimension === "front-door") return isDoor ? prefix.slice(FRONT_DOOR_FIELD_PREFIX.length) : undefined;
  return dimension === "platform" && isDoor ? undefined : prefix;
}

function parseTotals(hash: Record<string, string>): UsageTotals {
  const totals = emptyTotals();
  for (const c of USAGE_COUNTERS) totals[c] = Number(hash[c] ?? 0) || 0;
  return totals;
}
