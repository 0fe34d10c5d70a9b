/**
 * Webhook notifications assembled: the target store, the queue, the delivery
 * log, the sender, this replica's delivery loop, its sweep of timed states
 * that run out (recovery-watch) and the notifier others emit through, with
 * the hooks app.ts hands to the modules that see events (the health store,
 * the OAuth refresher, Acquire, the Redis client). Built by app.ts only; the
 * loop and the sweep run between start() and stop().
 */
import type { Logger } from "@claude-relay/logging";
import type { AccountCondition } from "../accounts/account-health.js";
import type { AccountRecord } from "../accounts/account-store.js";
import type { CredentialCipher } from "../accounts/credential-cipher.js";
import type { HealthChange } from "../accounts/health-store.js";
import type { ApiKeyRecord } from "../keys/api-key-store.js";
import type { AcquireInput, AcquireResult } from "../leases/acquire-lease.js";
import type { RedisClient } from "../redis/client.js";
import type { RedisKeys } from "../redis/keys.js";
import { createDeliveryLog, type DeliveryLog } from "./delivery-log.js";
import { createDeliveryLoop } from "./delivery-loop.js";
import { createHealthNotices, createRefreshFailureNotices, createTimedRecoveryNotices } from "./health-notices.js";
import { createNotificationQueue } from "./notification-queue.js";
import { createNotifier, type Notifier } from "./notifier.js";
import { createRecoveryWatch } from "./recovery-watch.js";
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
  /** Wait between sweeps for timed states that ran out (default 1 s). */
  recoverySweepMs?: number;
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
  /** Reads account health for the recovery sweep; set once the health store exists (until then the sweep waits). */
  setHealthLookup(conditions: (accountIds: readonly string[]) => Promise<ReadonlyMap<string, AccountCondition>>): void;
  start(): void;
  /** Stops the loop and the sweep, and waits for the events already emitted to be queued. */
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
  let readHealth: ((accountIds: readonly string[]) => Promise<ReadonlyMap<string, AccountCondition>>) | undefined;
  const accountNotices = {
    emit: notifier.emit,
    findAccount: async (id: string) => (await listAccounts()).find((a) => a.id === id),
    now,
    onError: (err: unknown) => log.warn({ err }, "notification event not built"),
  };
  const recoveries = createRecoveryWatch({
    redis,
    keys,
    now,
    readHealth: (ids) => (readHealth ? readHealth(ids) : Promise.reject(new Error("account health is not readable yet"))),
    onRecovered: createTimedRecoveryNotices(accountNotices),
    onError: (err: unknown) => log.warn({ err }, "recovery sweep failed"),
    ...(config.recoverySweepMs !== undefined && { pollMs: config.recoverySweepMs }),
  });

  return {
    targets,
    deliveryLog,
    notifier,
    onHealthChange: createHealthNotices({ ...accountNotices, watchRecovery: recoveries.watch }),
    onRefreshFailure: createRefreshFailureNotices(accountNotices),
    watchAcquire: (acquire, findKeyByHash) => watchRefusals(acquire, { emit: notifier.emit, findKeyByHash, now, onError: accountNotices.onError }),
    setAccountLookup(lookup) {
      listAccounts = lookup;
    },
    setHealthLookup(conditions) {
      readHealth = conditions;
    },
    start() {
      loop.start();
      recoveries.start();
    },
    async stop() {
      await Promise.all([loop.stop(), recoveries.stop()]);
      await notifier.drain();
    },
  };
}
