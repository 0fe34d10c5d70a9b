/**
 * What the rest of the control plane calls to notify: emit(event) only queues
 * the event in Redis, in the background, and never throws or waits, so a
 * caller on the request path pays nothing but the enqueue. Delivery is the
 * loop's. Two paths send at once instead: a test send (one try, answered to
 * the admin), and this replica losing Redis, which cannot go through Redis; it
 * is sent by this replica alone, from the target list it last read, once per
 * outage that lasts longer than a grace time.
 */
import { hostname } from "node:os";
import type { Logger } from "@claude-relay/logging";
import { wantsEvent, type DeliveryLoop } from "./delivery-loop.js";
import type { DeliveryLog, DeliveryLogEntry } from "./delivery-log.js";
import { safeReason, subjectNameOf, type NotificationEvent, type NotificationMessage } from "./notification-event.js";
import type { NotificationQueue } from "./notification-queue.js";
import type { NotificationTargetStore } from "./target-store.js";
import { renderWebhook } from "./webhook-formats.js";
import type { WebhookSender } from "./webhook-sender.js";

/** Emits notification events. */
export interface Notifier {
  /** Queues the event for every target that wants it; returns at once. */
  emit(event: NotificationEvent): void;
  /** Sends a sample event to one target now (one try, even when it is off); undefined when there is no such target. */
  sendTest(targetId: string): Promise<DeliveryLogEntry | undefined>;
  /** This replica's Redis connection failed; alerts once the outage outlasts the grace time. */
  redisDown(reason: string): void;
  /** This replica's Redis connection is back. */
  redisUp(): void;
  /** Resolves once the events emitted so far are queued (or failed to be). */
  drain(): Promise<void>;
}

/** Options of createNotifier. */
export interface NotifierOptions {
  queue: Pick<NotificationQueue, "enqueue">;
  targets: Pick<NotificationTargetStore, "listOpened">;
  deliveryLog: DeliveryLog;
  send: WebhookSender;
  /** The loop whose last target list the Redis alert goes to. */
  loop: Pick<DeliveryLoop, "lastTargets">;
  log: Logger;
  now?: () => number;
  /** How this replica is named in its own alerts (default the host name). */
  replica?: string;
  /** A Redis outage shorter than this is not reported (default 10 s). */
  redisGraceMs?: number;
}

/** Builds the notifier. */
export function createNotifier(options: NotifierOptions): Notifier {
  const { queue, targets, deliveryLog, send, loop, log } = options;
  const now = options.now ?? Date.now;
  const replica = options.replica ?? hostname();
  const redisGraceMs = options.redisGraceMs ?? 10_000;
  const pending = new Set<Promise<unknown>>();
  let downTimer: NodeJS.Timeout | undefined;
  let downReported = false;
  let downReason = "";

  async function sendRedisAlert(): Promise<void> {
    downTimer = undefined;
    downReported = true;
    const atMs = now();
    const message: NotificationMessage = {
      id: `redis-${replica}-${atMs}`,
      event: { type: "replica.redis_unreachable", atMs, replica, reason: safeReason(downReason) },
      count: 1,
      firstAtMs: atMs,
      lastAtMs: atMs,
    };
    const wanting = loop.lastTargets().filter((t) => wantsEvent(t.record, message.event.type));
    await Promise.all(
      wanting.map(async (target) => {
        const result = await send(renderWebhook(target.endpoint, message, now()));
        if (!result.ok) log.warn({ targetId: target.record.id, statusCode: result.statusCode, error: result.error }, "Redis outage alert not delivered");
      }),
    );
  }

  return {
    emit(event) {
      const queued = queue
        .enqueue(event)
        .catch((err: unknown) => log.warn({ err, type: event.type }, "notification not queued"))
        .finally(() => pending.delete(queued));
      pending.add(queued);
    },

    async sendTest(targetId) {
      const target = (await targets.listOpened()).find((t) => t.record.id === targetId);
      if (!target) return undefined;
      const atMs = now();
      const message: NotificationMessage = {
        id: `test-${atMs}`,
        event: { type: "account.unauthorized", atMs, account: { id: "example", name: "example-account", platform: "claude" }, reason: "a test from the admin UI", untilMs: 0 },
        count: 1,
        firstAtMs: atMs,
        lastAtMs: atMs,
        test: true,
      };
      const result = await send(renderWebhook(target.endpoint, message, atMs));
      const entry: DeliveryLogEntry = {
        atMs: now(),
        event: message.event.type,
        subject: subjectNameOf(message.event),
        count: 1,
        statusCode: result.statusCode,
        attempts: 1,
        error: result.ok ? "" : result.error,
        delivered: result.ok,
        test: true,
      };
      await deliveryLog.append(targetId, entry);
      return entry;
    },

    redisDown(reason) {
      downReason = reason;
      if (downReported || downTimer) return;
      downTimer = setTimeout(() => {
        sendRedisAlert().catch((err: unknown) => log.warn({ err }, "Redis outage alert failed"));
      }, redisGraceMs);
      downTimer.unref();
    },

    redisUp() {
      clearTimeout(downTimer);
      downTimer = undefined;
      downReported = false;
    },

    async drain() {
      clearTimeout(downTimer);
      downTimer = undefined;
      await Promise.allSettled([...pending]);
    },
  };
}
