/**
 * The latest delivery results of each target, newest first: a capped Redis list
 * per target (RedisKeys.notifications("log:<target id>")) of JSON entries. One
 * entry per delivery as it ended (sent, or given up after its last try), and
 * one per test send. Only what the admin UI shows is kept: never the body.
 */
import type { RedisClient } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import type { NotificationEventType } from "./notification-event.js";

/** One delivery as it ended. */
export interface DeliveryLogEntry {
  atMs: number;
  event: NotificationEventType;
  /** What the event was about, as a person reads it. */
  subject: string;
  count: number;
  /** The target's HTTP status; 0 when no answer came. */
  statusCode: number;
  attempts: number;
  /** Why the last try failed; "" when delivered. */
  error: string;
  delivered: boolean;
  test: boolean;
}

/** Appends and reads delivery results. */
export interface DeliveryLog {
  append(targetId: string, entry: DeliveryLogEntry): Promise<void>;
  /** Newest first. */
  list(targetId: string): Promise<DeliveryLogEntry[]>;
}

/** Options of createDeliveryLog. */
export interface DeliveryLogOptions {
  redis: Pick<RedisClient, "multi" | "lrange">;
  keys?: Pick<RedisKeys, "notifications">;
  /** Entries kept per target (default 50). */
  maxEntries?: number;
}

/** A delivery log over one Redis client. */
export function createDeliveryLog(options: DeliveryLogOptions): DeliveryLog {
  const { redis } = options;
  const keys = options.keys ?? createRedisKeys();
  const maxEntries = options.maxEntries ?? 50;
  const logKey = (targetId: string) => keys.notifications(`log:${targetId}`);
  return {
    async append(targetId, entry) {
      await redis.multi().lpush(logKey(targetId), JSON.stringify(entry)).ltrim(logKey(targetId), 0, maxEntries - 1).exec();
    },
    async list(targetId) {
      return (await redis.lrange(logKey(targetId), 0, maxEntries - 1)).map((line) => JSON.parse(line) as DeliveryLogEntry);
    },
  };
}
