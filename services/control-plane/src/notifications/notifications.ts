/**
 * Webhook notifications assembled: the target store, the queue, the delivery
 * log, the sender, this replica's delivery loop and the notifier others emit
 * through, with the hooks app.ts hands to the modules that see events (the
 * health store, the OAuth refresher, Acquire, the Redis client). Built by
 * app.ts only; the loop runs between start() and stop().
 */
import type { Logger } from "@claude-relay/logging";
import type { AccountRecord } from "../accounts/account-store.js";
import type { CredentialCipher } from "../accounts/credential-cipher.js";
import type { HealthChange } from "../accounts/health-store.js";
import type { ApiKeyRecord } from "../keys/api-key-store.js";
import type { AcquireInput, AcquireResult } from "../leases/acquire-lease.js";
import type { RedisClient } from "../redis/client.js";
import type { RedisKeys } from "../redis/keys.js";
import { createDeliveryLog, type DeliveryLog } from "./delivery-log.js";
import { createDeliveryLoop } from "./delivery-loop.js";
import { createHealthNotices, createRefreshFailureNotices } from "./health-notices.js";
import { createNotificationQueue } from "./notification-queue.js";
import { createNotifier, type Notifier } from "./notifier.js";
import { watchRefusals } from "./refusal-notices.js";
import { createNotificationTargetStore, type NotificationTargetStore } from "./target-store.js";
import { createWebhookSender } from "./webhook-sender.js";

/** The notifications' slice of the configuration. */
export interface NotificationsConfig {
  quietMs: number;
  foldWindowMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  timeoutMs: number;
  /** Wait between polls of the loop (default 500 ms). */
  pollMs?: number;
  /** A Redis outage shorter than this is not reported (default 10 s). */
  redisGraceMs?: number;
}

/** Options of createNotifications. */
export interface NotificationsOptions {
  redis: RedisClient;
  keys: RedisKeys;
  cipher: CredentialCipher;
  config: NotificationsConfig;
  log: Logger;
  now?: () => number;
}

/** Built notifications. */
export interface Notifications {
  targets: NotificationTargetStore;
  deliveryLog: DeliveryLog;
  notifier: Notifier;
  /** The health store's onChange. */
  onHealthChange(change: HealthChange): void;
  /** The OAuth refresher's onFailure. */
  onRefreshFailure(accountId: string, reason: string): void;
  /** Acquire, reporting its KEY_LIMIT and NO_ACCOUNT refusals. */
  watchAcquire(acquire: (input: AcquireInput) => Promise<AcquireResult>, findKeyByHash: (keyHash: string) => Promise<ApiKeyRecord | undefined>): (input: AcquireInput) => Promise<AcquireResult>;
  /** Names accounts in events; set once the catalog exists (until then events carry ids only). */
  setAccountLookup(listAccounts: () => Promise<AccountRecord[]>): void;
  start(): void;
  /** Stops the loop and waits for the events already emitted to be queued. */
  stop(): Promise<void>;
}

/** Builds notifications; nothing runs until start(). */
export function createNotifications(options: NotificationsOptions): Notifications {
  const { redis, keys, cipher, config, log } = options;
  const now = options.now ?? Date.now;
  const targets = createNotificationTargetStore({ redis, keys, cipher, now });
  const deliveryLog = createDeliveryLog({ redis, keys });
  const queue = createNotificationQueue({ redis, keys, now, quietMs: config.quietMs, foldWindowMs: config.foldWindowMs, claimMs: config.timeoutMs * 2 + 5_000 });
  const send = createWebhookSender({ timeoutMs: config.timeoutMs });
  const loop = createDeliveryLoop({
    queue,
    targets,
    deliveryLog,
    send,
    log,
    now,
    maxAttempts: config.maxAttempts,
    retryBaseMs: config.retryBaseMs,
    ...(config.pollMs !== undefined && { pollMs: config.pollMs }),
  });
  const notifier = createNotifier({
    queue,
    targets,
    deliveryLog,
    send,
    loop,
    log,
    now,
    ...(config.redisGraceMs !== undefined && { redisGraceMs: config.redisGraceMs }),
  });
  let listAccounts: () => Promise<AccountRecord[]> = async () => [];
  const accountNotices = {
    emit: notifier.emit,
    findAccount: async (id: string) => (await listAccounts()).find((a) => a.id === id),
    now,
    onError: (err: unknown) => log.warn({ err }, "notification event not built"),
  };

  return {
    targets,
    deliveryLog,
    notifier,
    onHealthChange: createHealthNotices(accountNotices),
    onRefreshFailure: createRefreshFailureNotices(accountNotices),
    watchAcquire: (acquire, findKeyByHash) => watchRefusals(acquire, { emit: notifier.emit, findKeyByHash, now, onError: accountNotices.onError }),
    setAccountLookup(lookup) {
      listAccounts = lookup;
    },
    start: () => loop.start(),
    async stop() {
      await loop.stop();
      await notifier.drain();
    },
  };
}
