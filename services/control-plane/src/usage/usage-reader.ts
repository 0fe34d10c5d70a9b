/**
 * Reads back the counters usage-recorder writes: one series (the total, or
 * one key, account, model, platform or front door) by day or by hour, and a
 * dimension's breakdown (every key, account, model, platform or front door
 * used) summed over days. Platforms are read from the "<platform>|<counter>"
 * fields of the overall day and hour hashes, front doors from their
 * "door:<front door>|<counter>" fields in the same hashes. The day-wide hashes
 * come in shards (redis/keys.ts: USAGE_SHARDS), and beside them the unsharded
 * copy earlier versions wrote: a period's value is their sum. A key's or an
 * account's own series is one hash under its owner's tag, and so are its
 * lifetime counters and a key's day by model. Admin-side only, so
 * it may read many hashes; each read is one command, issued together, and the
 * same hash asked for twice while its read is in flight is read once (a
 * summary reads the day's totals, platforms and front doors from one hash).
 */
import type { RedisClient } from "../redis/client.js";
import { createRedisKeys, type RedisKeys, type UsageShard } from "../redis/keys.js";
import { FRONT_DOOR_FIELD_PREFIX } from "./front-doors.js";
import { hoursOf } from "./usage-periods.js";
import { USAGE_SHARDS_TO_READ } from "./usage-shards.js";
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
  /** A key's or an account's totals over its whole life. */
  lifetime(subject: { kind: "key" | "account"; id: string }): Promise<UsageTotals>;
  /** Every model one key used on the days, with its totals over them (counted since keys kept models). */
  keyModels(keyId: string, days: readonly string[]): Promise<Map<string, UsageTotals>>;
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

  /** HGETALL, shared by the callers that ask for the same hash while its read is in flight. */
  const inFlight = new Map<string, Promise<Record<string, string>>>();
  const hgetall = (key: string): Promise<Record<string, string>> => {
    let read = inFlight.get(key);
    if (read === undefined) {
      read = redis.hgetall(key).finally(() => inFlight.delete(key));
      inFlight.set(key, read);
    }
    return read;
  };

  /** The totals of one period: the sum of its hashes, whole, or only their "<id>|" fields (per model, platform or front door). */
  async function read(hashKeys: readonly string[], id?: string): Promise<UsageTotals> {
    const totals = emptyTotals();
    if (id === undefined) {
      for (const hash of await Promise.all(hashKeys.map(hgetall))) addTotals(totals, parseTotals(hash));
      return totals;
    }
    const fields = USAGE_COUNTERS.map((c) => `${id}|${c}`);
    for (const values of await Promise.all(hashKeys.map((key) => redis.hmget(key, ...fields)))) {
      USAGE_COUNTERS.forEach((c, i) => {
        totals[c] += Number(values[i] ?? 0) || 0;
      });
    }
    return totals;
  }

  /** Every copy of a day-wide hash: its shards and the unsharded one. */
  const copies = (keyOf: (shard: UsageShard) => string) => USAGE_SHARDS_TO_READ.map(keyOf);

  /** The hashes a dimension's breakdown of one day is in: platforms and front doors share the day's own. */
  const breakdownKeys = (dimension: UsageDimension, day: string) =>
    dimension === "platform" || dimension === "front-door" ? copies((s) => keys.usageDay(day, s)) : copies((s) => keys.usageDayBy(day, dimension, s));

  /** The hashes of one subject's period, and the field prefix to read in them (none: the whole hash). */
  function periodKeys(subject: UsageSubject, period: string, hourly: boolean): [string[], string?] {
    const overall = copies((s) => (hourly ? keys.usageHour(period, s) : keys.usageDay(period, s)));
    switch (subject.kind) {
      case "total":
        return [overall];
      case "key":
        return [[hourly ? keys.apiKeyHourlyUsage(subject.id, period) : keys.apiKeyDailyUsage(subject.id, period)]];
      case "account":
        return [[hourly ? keys.accountHourlyUsage(subject.id, period) : keys.accountDailyUsage(subject.id, period)]];
      case "model":
        return [copies((s) => (hourly ? keys.usageHourByModel(period, s) : keys.usageDayBy(period, "model", s))), modelLabel(subject.id)];
      case "platform":
        return [overall, subject.id];
      case "front-door":
        return [overall, `${FRONT_DOOR_FIELD_PREFIX}${subject.id}`];
    }
  }

  return {
    daily(subject, days) {
      return Promise.all(days.map((day) => read(...periodKeys(subject, day, false))));
    },

    hourly(subject, day) {
      return Promise.all(hoursOf(day).map((hour) => read(...periodKeys(subject, hour, true))));
    },

    async breakdown(dimension, days) {
      const hashes = await Promise.all(days.flatMap((day) => breakdownKeys(dimension, day)).map(hgetall));
      return sumByPrefix(hashes, (prefix) => idOf(dimension, prefix));
    },

    async lifetime(subject) {
      return parseTotals(await hgetall(subject.kind === "key" ? keys.apiKeyTotalUsage(subject.id) : keys.accountTotalUsage(subject.id)));
    },

    async keyModels(keyId, days) {
      const hashes = await Promise.all(days.map((day) => hgetall(keys.apiKeyDailyUsageByModel(keyId, day))));
      return sumByPrefix(hashes, (prefix) => prefix);
    },
  };
}

/** Sums "<id>|<counter>" fields per id; `idOf` names the id of a prefix, or undefined to skip the field. */
function sumByPrefix(hashes: readonly Record<string, string>[], idOf: (prefix: string) => string | undefined): Map<string, UsageTotals> {
  const out = new Map<string, UsageTotals>();
  for (const hash of hashes) {
    for (const [field, value] of Object.entries(hash)) {
      const cut = field.lastIndexOf("|");
      const counter = field.slice(cut + 1) as UsageCounter;
      // The day's own counters ("requests", no "|") sit beside its platforms' and front doors' fields: skipped here.
      if (cut <= 0 || !USAGE_COUNTERS.includes(counter)) continue;
      const id = idOf(field.slice(0, cut));
      if (id === undefined) continue;
      let totals = out.get(id);
      if (!totals) out.set(id, (totals = emptyTotals()));
      totals[counter] += Number(value) || 0;
    }
  }
  return out;
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
