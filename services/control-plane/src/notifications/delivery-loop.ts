/**
 * The delivery loop, one per replica: every poll it closes the fold groups
 * that are due into deliveries for the targets that want them, then claims due
 * deliveries and sends each one once. A failed try is retried with exponential
 * backoff (1 s, 2 s, 4 s … by default) up to maxAttempts; a refusal that a retry
 * cannot fix (a 4xx other than 408 and 429) ends it at once. Whatever the number
 * of replicas, each closing and each claim is atomic in Redis
 * (notification-queue), so one event reaches a target once. Each delivery, as
 * it ends, is written to its target's log.
 */
import type { Logger } from "@claude-relay/logging";
import type { DeliveryLog } from "./delivery-log.js";
import { subjectNameOf, type NotificationEventType } from "./notification-event.js";
import { eventTypeOfFoldKey, type ClaimedDelivery, type NotificationQueue } from "./notification-queue.js";
import type { NotificationTargetRecord, NotificationTargetStore, OpenedTarget } from "./target-store.js";
import { renderWebhook } from "./webhook-formats.js";
import type { WebhookSender } from "./webhook-sender.js";

/** A running loop. */
export interface DeliveryLoop {
  start(): void;
  /** Stops polling and waits for the tick in flight. */
  stop(): Promise<void>;
  /** The targets as last read (for sending when Redis cannot be read). */
  lastTargets(): readonly OpenedTarget[];
}

/** Options of createDeliveryLoop. */
export interface DeliveryLoopOptions {
  queue: NotificationQueue;
  targets: Pick<NotificationTargetStore, "listOpened">;
  deliveryLog: DeliveryLog;
  send: WebhookSender;
  log: Logger;
  now?: () => number;
  /** Wait between polls (default 500 ms). */
  pollMs?: number;
  /** Tries per delivery, the first included (default 5). */
  maxAttempts?: number;
  /** Wait before the first retry; each next one waits twice as long (default 1 s). */
  retryBaseMs?: number;
  /** Longest wait between tries (default 5 minutes). */
  retryMaxMs?: number;
  /** The target list is read again at least this often, for lastTargets (default 30 s). */
  targetsMaxAgeMs?: number;
}

/** Groups and deliveries taken per poll; the rest wait for the next one. */
const BATCH = 32;

/** True when the target is on and wants this event type (an empty list wants all). */
export function wantsEvent(target: Pick<NotificationTargetRecord, "enabled" | "events">, type: NotificationEventType): boolean {
  return target.enabled && (target.events.length === 0 || target.events.includes(type));
}

/** The wait before the try after `attempts` failed ones. */
export function retryDelayMs(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
}

/** Builds the loop; it does nothing until start(). */
export function createDeliveryLoop(options: DeliveryLoopOptions): DeliveryLoop {
  const { queue, targets, deliveryLog, send, log } = options;
  const now = options.now ?? Date.now;
  const pollMs = options.pollMs ?? 500;
  const maxAttempts = options.maxAttempts ?? 5;
  const retryBaseMs = options.retryBaseMs ?? 1_000;
  const retryMaxMs = options.retryMaxMs ?? 300_000;
  const targetsMaxAgeMs = options.targetsMaxAgeMs ?? 30_000;
  let known: OpenedTarget[] = [];
  let knownAtMs = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;
  let lastError = "";

  async function readTargets(): Promise<Map<string, OpenedTarget>> {
    known = await targets.listOpened();
    knownAtMs = now();
    return new Map(known.map((t) => [t.record.id, t]));
  }

  async function deliver(claimed: ClaimedDelivery, target: OpenedTarget | undefined): Promise<void> {
    // A target deleted or turned off since the group closed gets nothing more.
    if (!target || !target.record.enabled) return queue.finish(claimed.id);
    const result = await send(renderWebhook(target.endpoint, claimed.message, now()));
    if (!result.ok && result.retryable && claimed.attempts < maxAttempts) {
      log.debug({ targetId: target.record.id, attempts: claimed.attempts, statusCode: result.statusCode }, "notification delivery failed; retrying");
      return queue.retry(claimed.id, now() + retryDelayMs(claimed.attempts, retryBaseMs, retryMaxMs));
    }
    await queue.finish(claimed.id);
    const { message } = claimed;
    await deliveryLog.append(target.record.id, {
      atMs: now(),
      event: message.event.type,
      subject: subjectNameOf(message.event),
      count: message.count,
      statusCode: result.statusCode,
      attempts: claimed.attempts,
      error: result.ok ? "" : result.error,
      delivered: result.ok,
      test: false,
    });
    if (!result.ok) log.warn({ targetId: target.record.id, attempts: claimed.attempts, statusCode: result.statusCode, error: result.error }, "notification not delivered");
  }

  async function tick(): Promise<void> {
    const dueGroups = await queue.dueGroups(now(), BATCH);
    let byId = dueGroups.length > 0 || now() - knownAtMs >= targetsMaxAgeMs ? await readTargets() : undefined;
    for (const foldKey of dueGroups) {
      const type = eventTypeOfFoldKey(foldKey);
      const ids = [...(byId?.values() ?? [])].filter((t) => wantsEvent(t.record, type)).map((t) => t.record.id);
      await queue.closeGroup(foldKey, ids, now());
    }
    const due = await queue.dueDeliveries(now(), BATCH);
    if (due.length === 0) return;
    const claims = (await Promise.all(due.map((id) => queue.claim(id, now())))).filter((c): c is ClaimedDelivery => c !== undefined);
    if (claims.length === 0) return;
    byId ??= await readTargets();
    const current = byId;
    await Promise.all(claims.map((claimed) => deliver(claimed, current.get(claimed.targetId))));
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick()
        .then(() => {
          lastError = "";
        })
        .catch((err: unknown) => {
          // Once per distinct failure: a Redis outage would otherwise log every poll.
          const text = err instanceof Error ? err.message : String(err);
          if (text !== lastError) log.warn({ err }, "notification delivery loop failed");
          lastError = text;
        })
        .finally(() => {
          running = undefined;
          schedule();
        });
    }, pollMs);
    timer.unref();
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
    lastTargets: () => known,
  };
}
