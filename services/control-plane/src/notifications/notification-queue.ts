/**
 * The notification queue in Redis, in two stages, each step one atomic script
 * (redis/lua/notify-*.lua) over keys under the one `{notify}` tag:
 * 1. enqueue folds an event into its group (same type and subject): the group
 *    is due once no identical event came for the quiet time, or a fold window
 *    after its first event at the latest;
 * 2. closeGroup turns a due group into one delivery per target, and only one
 *    caller gets to; claim takes a due delivery for one try, moving it out of
 *    reach for the claim time, so two loops never send the same delivery.
 * What to send and when to retry is delivery-loop's; this module only moves
 * records.
 */
import { randomUUID } from "node:crypto";
import type { RedisClient } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { defineLuaCommand } from "../redis/lua-command.js";
import { subjectIdOf, type NotificationEvent, type NotificationEventType, type NotificationMessage } from "./notification-event.js";

/** A delivery claimed for one try. */
export interface ClaimedDelivery {
  id: string;
  targetId: string;
  /** Tries so far, this one included. */
  attempts: number;
  message: NotificationMessage;
}

/** The queue's steps. */
export interface NotificationQueue {
  /** Folds the event into its group; resolves with the group's count. */
  enqueue(event: NotificationEvent): Promise<number>;
  /** Fold keys of groups due at nowMs, oldest first. */
  dueGroups(nowMs: number, limit: number): Promise<string[]>;
  /** Closes a due group into deliveries to `targetIds`; its message when this call closed it, else undefined. */
  closeGroup(foldKey: string, targetIds: readonly string[], nowMs: number): Promise<NotificationMessage | undefined>;
  /** Ids of deliveries due at nowMs, oldest first. */
  dueDeliveries(nowMs: number, limit: number): Promise<string[]>;
  /** Claims a due delivery for one try; undefined when it is not due or another loop has it. */
  claim(id: string, nowMs: number): Promise<ClaimedDelivery | undefined>;
  /** Puts a claimed delivery back, due at dueMs. */
  retry(id: string, dueMs: number): Promise<void>;
  /** Removes a delivery that is done (sent, or given up). */
  finish(id: string): Promise<void>;
}

/** Options of createNotificationQueue. */
export interface NotificationQueueOptions {
  redis: RedisClient;
  keys?: Pick<RedisKeys, "notifications">;
  now?: () => number;
  /** A group is sent once no identical event came for this long (default 2 s). */
  quietMs?: number;
  /** …and this long after its first event at the latest (default 30 s). */
  foldWindowMs?: number;
  /** How long a claim holds; longer than one try (default 30 s). */
  claimMs?: number;
  /** How long an undelivered delivery is kept (default 1 day). */
  deliveryTtlMs?: number;
}

/** The fold key of an event type and subject. */
export function foldKeyOf(event: NotificationEvent): string {
  return `${event.type}|${subjectIdOf(event)}`;
}

/** The event type a fold key starts with. */
export function eventTypeOfFoldKey(foldKey: string): NotificationEventType {
  return foldKey.slice(0, foldKey.indexOf("|")) as NotificationEventType;
}

/** A queue over one Redis client. */
export function createNotificationQueue(options: NotificationQueueOptions): NotificationQueue {
  const { redis } = options;
  const keys = options.keys ?? createRedisKeys();
  const now = options.now ?? Date.now;
  const quietMs = options.quietMs ?? 2_000;
  const foldWindowMs = options.foldWindowMs ?? 30_000;
  const claimMs = options.claimMs ?? 30_000;
  const deliveryTtlMs = options.deliveryTtlMs ?? 86_400_000;
  const fold = defineLuaCommand(redis, "crNotifyFold", "notify-fold", 2);
  const close = defineLuaCommand(redis, "crNotifyClose", "notify-close", "any");
  const claimScript = defineLuaCommand(redis, "crNotifyClaim", "notify-claim", 2);
  const groups = keys.notifications("groups");
  const deliveries = keys.notifications("deliveries");
  const groupKey = (foldKey: string) => keys.notifications(`group:${foldKey}`);
  const deliveryKey = (id: string) => keys.notifications(`delivery:${id}`);

  return {
    async enqueue(event) {
      const foldKey = foldKeyOf(event);
      return Number(await fold([groupKey(foldKey), groups], [now(), quietMs, foldWindowMs, JSON.stringify(event), foldKey, randomUUID()]));
    },

    dueGroups(nowMs, limit) {
      return redis.zrangebyscore(groups, "-inf", nowMs, "LIMIT", 0, limit);
    },

    async closeGroup(foldKey, targetIds, nowMs) {
      const ids = targetIds.map(() => randomUUID());
      const reply = await close(
        [groups, groupKey(foldKey), deliveries, ...ids.map(deliveryKey)],
        [nowMs, foldKey, deliveryTtlMs, ...ids.flatMap((id, i) => [id, targetIds[i] as string])],
      );
      return Array.isArray(reply) ? toMessage(pairs(reply)) : undefined;
    },

    dueDeliveries(nowMs, limit) {
      return redis.zrangebyscore(deliveries, "-inf", nowMs, "LIMIT", 0, limit);
    },

    async claim(id, nowMs) {
      const reply = await claimScript([deliveries, deliveryKey(id)], [nowMs, id, claimMs]);
      if (!Array.isArray(reply)) return undefined;
      const fields = pairs(reply);
      return { id, targetId: fields.targetId ?? "", attempts: Number(fields.attempts ?? 1), message: toMessage(fields) };
    },

    async retry(id, dueMs) {
      await redis.zadd(deliveries, "XX", dueMs, id);
    },

    async finish(id) {
      await redis.multi().zrem(deliveries, id).del(deliveryKey(id)).exec();
    },
  };
}

function pairs(reply: unknown[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}

function toMessage(fields: Record<string, string>): NotificationMessage {
  return {
    id: fields.id ?? "",
    event: JSON.parse(fields.event ?? "{}") as NotificationEvent,
    count: Number(fields.count ?? 1),
    firstAtMs: Number(fields.firstAtMs ?? 0),
    lastAtMs: Number(fields.lastAtMs ?? 0),
  };
}
