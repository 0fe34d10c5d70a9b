/**
 * Composition root: builds every adapter and module of the control plane in
 * order, starts its servers (operator, admin, lease), and closes everything in reverse.
 */
import { readFileSync } from "node:fs";
import type { Logger } from "@claude-relay/logging";
import { createMetricsRegistry, createMetricsServer, type Registry } from "@claude-relay/metrics";
import { createAccountStore } from "./accounts/account-store.js";
import { createCredentialCipher, parseEncryptionKey } from "./accounts/credential-cipher.js";
import { createHealthStore } from "./accounts/health-store.js";
import { createOAuthAuthorization } from "./accounts/oauth-authorization.js";
import { createOAuthRefresher } from "./accounts/oauth-refresh.js";
import { bootstrapAdmin, createAdminUsers } from "./auth/admin-users.js";
import { createAdminSessions } from "./auth/admin-sessions.js";
import { createServiceTokens } from "./auth/service-tokens.js";
import { createSignInThrottle } from "./auth/sign-in-throttle.js";
import { createAuditLog } from "./audit/audit-log.js";
import { createCachedCatalog } from "./cache/cached-catalog.js";
import { createCacheInvalidation } from "./cache/invalidation.js";
import { providersConfigOf, type ControlPlaneConfig } from "./config.js";
import { createAdminHttpServer } from "./http/server.js";
import { createApiKeyStore } from "./keys/api-key-store.js";
import { createKeyCheck } from "./keys/check-key.js";
import { createKeyLimits } from "./keys/key-limits.js";
import { createAttemptLimiter } from "./keys/attempt-limiter.js";
import { createKeyUsageLookup } from "./keys/key-usage.js";
import { createAcquireLease, type LeaseCatalog } from "./leases/acquire-lease.js";
import { createQueuedAcquire } from "./leases/queued-acquire.js";
import { createQueueMetrics } from "./leases/queue-metrics.js";
import { createWaitQueue } from "./leases/wait-queue.js";
import { createLastReads } from "./leases/last-reads.js";
import { createLeaseStore } from "./leases/lease-store.js";
import { createReleaseLease } from "./leases/release-lease.js";
import { createRenewLease } from "./leases/renew-lease.js";
import { createListModels } from "./models/list-models.js";
import type { ModelAliasCatalog } from "./models/model-alias.js";
import { createModelAliasStore } from "./models/model-alias-store.js";
import { createNotifications } from "./notifications/notifications.js";
import { createNodeConnection, createRedisClient, parseRedisTarget, type RedisClient } from "./redis/client.js";
import { createRedisKeys, type RedisKeys } from "./redis/keys.js";
import { pingRedis } from "./redis/ping.js";
import { createAccountMetrics } from "./observability/account-metrics.js";
import { createLeaseMetrics } from "./rpc/lease-metrics.js";
import { createLeaseServer } from "./rpc/lease-server.js";
import { createAffinityCounter } from "./sessions/affinity-counter.js";
import { createSessionStore } from "./sessions/session-store.js";
import { createStickyStore } from "./sessions/sticky-store.js";
import { buildAccountProviders } from "./providers/registry.js";
import { createPriceBook } from "./usage/price-book.js";
import { shippedPrices } from "./usage/price-record.js";
import { createPriceStore } from "./usage/price-store.js";
import { loadShippedTables } from "./usage/pricing.js";
import { createUsageReader } from "./usage/usage-reader.js";
import { createUsageRecorder } from "./usage/usage-recorder.js";

/** What tests may replace. */
export interface ControlPlaneOverrides {
  now?: () => number;
  /** A key namespace, so tests on a shared Redis stay apart. */
  keys?: RedisKeys;
  registry?: Registry;
  /** Receives the one line that shows a generated admin password (default stdout). */
  print?: (line: string) => void;
  /** The command client to use instead of one opened from REDIS_URL (e.g. one that counts round trips); closed with the app. */
  redis?: RedisClient;
}

/** A built, not yet started, control plane. */
export interface ControlPlane {
  /** Bootstraps the first admin and starts the operator, admin and lease servers; resolves with the bound ports. */
  start(): Promise<{ grpcPort: number; httpPort: number; metricsPort: number }>;
  /**
   * Drains: /readyz and the gRPC health check turn NOT_SERVING and Acquire UNAVAILABLE at once,
   * the admin and lease servers stop accepting, running calls (Renew and Release included) finish,
   * the operator port closes, this replica's affinity counts and session index entries are written,
   * then Redis closes.
   */
  close(): Promise<void>;
}

/** Builds the control plane from its configuration. */
export function buildControlPlane(config: ControlPlaneConfig, log: Logger, overrides: ControlPlaneOverrides = {}): ControlPlane {
  const now = overrides.now ?? Date.now;
  const keys = overrides.keys ?? createRedisKeys();
  // consumes REDIS_URL, REDIS_CLUSTER_NODES; provides the one client (server or cluster) every store shares.
  const redisTarget = parseRedisTarget(config.REDIS_URL, config.REDIS_CLUSTER_NODES);
  const redis = overrides.redis ?? createRedisClient(redisTarget);
  redis.on("error", (err: Error) => log.warn({ err: { message: err.message } }, "redis connection error"));
  // consumes nothing; provides the app's own metrics registry.
  const registry = overrides.registry ?? createMetricsRegistry("control-plane");
  // consumes CONTROL_PLANE_ENCRYPTION_KEY; provides sealing of account credentials.
  const cipher = createCredentialCipher(parseEncryptionKey(config.CONTROL_PLANE_ENCRYPTION_KEY.reveal()));
  // consumes redis, cipher, CONTROL_PLANE_NOTIFY_*; provides webhook targets, emit() for the event sources below and this replica's delivery loop.
  const notifications = createNotifications({
    redis,
    keys,
    cipher,
    log,
    now,
    config: {
      quietMs: config.CONTROL_PLANE_NOTIFY_QUIET_MS,
      foldWindowMs: config.CONTROL_PLANE_NOTIFY_FOLD_WINDOW_MS,
      maxAttempts: config.CONTROL_PLANE_NOTIFY_MAX_ATTEMPTS,
      retryBaseMs: config.CONTROL_PLANE_NOTIFY_RETRY_BASE_MS,
      timeoutMs: config.CONTROL_PLANE_NOTIFY_TIMEOUT_MS,
      redisGraceMs: config.CONTROL_PLANE_NOTIFY_REDIS_GRACE_MS,
    },
  });
  redis.on("error", (err: Error) => notifications.notifier.redisDown(err.message));
  redis.on("ready", () => notifications.notifier.redisUp());
  // consumes redis (PUBLISH) and a subscriber connection of its own; provides cross-replica cache invalidation.
  const invalidation = createCacheInvalidation({
    channel: keys.cacheInvalidation(),
    publisher: redis,
    connect: (attempt) => createNodeConnection(redisTarget, attempt, { connectionName: "claude-relay-control-plane-sub" }),
    log,
  });
  // consumes CONTROL_PLANE_OAUTH_*, CONTROL_PLANE_GEMINI_*, CONTROL_PLANE_OPENAI_*; provides each platform's OAuth endpoints, test request, credentials file and account setup.
  const providers = buildAccountProviders(providersConfigOf(config, now));
  // consumes redis, cipher, invalidation, providers; provides accounts and their credentials, announcing every change.
  const accounts = createAccountStore({ redis, cipher, now, keys, changes: invalidation, defaultBaseUrls: providers.defaultBaseUrls() });
  // consumes redis, invalidation; provides client keys by id and by hash, announcing every change.
  const apiKeys = createApiKeyStore({ redis, now, keys, changes: invalidation });
  // consumes redis, invalidation; provides the OpenAI front door's model aliases, announcing every change.
  const modelAliases = createModelAliasStore({ redis, keys, now, changes: invalidation });
  // consumes registry; provides the lease service's metrics, Redis batch latency among them.
  const leaseMetrics = createLeaseMetrics(registry);
  // consumes redis, CONTROL_PLANE_LEASE_TTL_MS; provides slots per account and per key.
  const leases = createLeaseStore({ redis, ttlMs: config.CONTROL_PLANE_LEASE_TTL_MS, now, keys, timer: (labels) => leaseMetrics.redisDuration.startTimer(labels) });
  // consumes redis, CONTROL_PLANE_STICKY_TTL_SECONDS; provides session → account bindings.
  const sticky = createStickyStore({ redis, ttlSeconds: config.CONTROL_PLANE_STICKY_TTL_SECONDS, keys });
  // consumes redis, CONTROL_PLANE_RATE_LIMIT_*/OVERLOAD_*/BREAKER_*; provides account health, probes and windows.
  const health = createHealthStore({
    redis,
    keys,
    now,
    probeTtlMs: config.CONTROL_PLANE_LEASE_TTL_MS,
    onChange: notifications.onHealthChange,
    config: {
      rateLimitDefaultMs: config.CONTROL_PLANE_RATE_LIMIT_DEFAULT_MS,
      overloadCooldownMs: config.CONTROL_PLANE_OVERLOAD_COOLDOWN_MS,
      breakerFailures: config.CONTROL_PLANE_BREAKER_FAILURES,
      breakerWindowMs: config.CONTROL_PLANE_BREAKER_WINDOW_MS,
      breakerOpenMs: config.CONTROL_PLANE_BREAKER_OPEN_MS,
    },
  });
  notifications.setHealthLookup(health.conditions);
  // consumes redis, accounts, health, providers; provides single-flight refresh at each account's token endpoint and the PKCE steps of every OAuth type.
  const oauth = createOAuthRefresher({
    redis, keys, accounts, health, tokens: providers.tokenClient, aheadMs: config.CONTROL_PLANE_OAUTH_REFRESH_AHEAD_MS, log, now, onFailure: notifications.onRefreshFailure,
  });
  const oauthAuthorization = createOAuthAuthorization({ redis, keys, now, flows: providers.oauthFlows() });
  // consumes redis, CONTROL_PLANE_LEASE_TTL_MS; provides each key's windows, cost limits and first-use expiry with its slot.
  const keyLimits = createKeyLimits({ redis, ttlMs: config.CONTROL_PLANE_LEASE_TTL_MS, keys, now });
  // consumes prices.json, gemini-prices.json, openai-prices.json; provides the shipped prices, whose models are also the ones ListModels offers.
  const shippedTables = loadShippedTables();
  const listedModels = { models: new Map(shippedTables.flatMap(({ table }) => [...table.models])) };
  // consumes redis, invalidation, the shipped prices; provides the price table in Redis (seeded at start, edited through the admin API) and this replica's copy.
  const prices = createPriceStore({ redis, keys, now, changes: invalidation, shipped: shippedPrices(shippedTables) });
  const priceBook = createPriceBook({ load: prices.table, invalidation, now });
  // consumes priceBook, registry; provides usage and cost counters written with every Release (the key cost limits read them), and their reading.
  const usage = createUsageRecorder({ redis, prices: priceBook, keys, registry, log, flushAfterMs: config.CONTROL_PLANE_USAGE_FLUSH_MS });
  const usageReader = createUsageReader({ redis, keys });
  // consumes redis, registry; provides session records and sticky affinity counts (the session index and the counts written every second and on close).
  const sessionRecords = createSessionStore({ redis, keys, now });
  const affinity = createAffinityCounter({ redis, keys, registry });
  // consumes the stores, invalidation; provides the hot path's reads of keys, accounts and model aliases from a per-replica cache.
  const source: LeaseCatalog & ModelAliasCatalog = {
    findKeyByHash: apiKeys.findByHash,
    listAccounts: accounts.list,
    credential: accounts.credential,
    listModelAliases: modelAliases.list,
  };
  const catalog = createCachedCatalog({ source, invalidation, registry, now });
  notifications.setAccountLookup(catalog.listAccounts);
  // consumes catalog, leases, health; provides per-account slot and health gauges, read on scrape.
  createAccountMetrics({ registry, listAccounts: catalog.listAccounts, leases, health, log, now });
  // What this replica's Acquires last read: the next Acquire's guess, and Release's word on a healthy account.
  const lastReads = createLastReads();
  // consumes catalog, apiKeys, keyLimits, usageReader, CONTROL_PLANE_KEY_USAGE_*; provides a key holder's report on their key, for GetKeyUsage and /stats.
  const keyUsage = createKeyUsageLookup({
    catalog,
    apiKeys,
    keyLimits,
    usage: usageReader,
    limiter: createAttemptLimiter({ maxAttempts: config.CONTROL_PLANE_KEY_USAGE_MAX_ATTEMPTS, windowMs: config.CONTROL_PLANE_KEY_USAGE_WINDOW_SECONDS * 1000, now }),
    now,
  });
  // Set by close(): readiness turns 503 and Acquire UNAVAILABLE at once, while calls in flight finish.
  let draining = false;
  // consumes catalog, leases, sticky, invalidation, CONTROL_PLANE_INTERNAL_TOKEN; provides the relay's LeaseService over gRPC.
  // consumes redis, CONTROL_PLANE_QUEUE_*; provides the wait-for-a-slot lines shared by every replica, and their metrics.
  const waitQueue = createWaitQueue({ redis, keys, now, aliveMs: config.CONTROL_PLANE_QUEUE_ALIVE_MS });
  const queued = createQueuedAcquire({
    acquire: notifications.watchAcquire(
      createAcquireLease({ catalog, leases, sticky, health, oauth, keyLimits, sessions: sessionRecords, affinity, lastReads, log, now }),
      catalog.findKeyByHash,
    ),
    catalog,
    queue: waitQueue,
    defaultWaitMs: config.CONTROL_PLANE_QUEUE_WAIT_MS,
    maxWaiters: config.CONTROL_PLANE_QUEUE_MAX_WAITERS,
    pollMs: config.CONTROL_PLANE_QUEUE_POLL_MS,
    observer: createQueueMetrics(registry),
    log,
    now,
  });
  const releaseLease = createReleaseLease({ leases, health, lastReadHealthy: lastReads.readHealthy, usage, sessions: sessionRecords, sticky, catalog, log, now });
  const leaseServer = createLeaseServer({
    acquire: queued.acquire,
    renew: createRenewLease({ leases }),
    release: (input) =>
      releaseLease(input).finally(() => queued.slotFreed()),
    listModels: createListModels({ catalog, prices: listedModels, now }),
    checkKey: createKeyCheck({ catalog, now }),
    keyUsage,
    invalidation,
    internalToken: config.CONTROL_PLANE_INTERNAL_TOKEN,
    metrics: leaseMetrics,
    log,
    isServing: async () => (await pingRedis(redis)) && !draining,
    isDraining: () => draining,
    exchangeBatches: config.CONTROL_PLANE_EXCHANGE_BATCHES,
    ...(config.CONTROL_PLANE_GRPC_MAX_CONNECTION_AGE_MS > 0 && {
      maxConnectionAge: { ageMs: config.CONTROL_PLANE_GRPC_MAX_CONNECTION_AGE_MS, graceMs: config.CONTROL_PLANE_GRPC_MAX_CONNECTION_AGE_GRACE_MS },
    }),
  });
  // consumes redis; provides admin users (scrypt) and admin sessions.
  const users = createAdminUsers({ redis, keys, now });
  const sessions = createAdminSessions({ redis, keys, now });
  // consumes redis, CONTROL_PLANE_LOGIN_*; provides failed sign-in limits per address and per user.
  const signInThrottle = createSignInThrottle({
    redis,
    keys,
    now,
    maxFailures: config.CONTROL_PLANE_LOGIN_MAX_FAILURES,
    windowMs: config.CONTROL_PLANE_LOGIN_WINDOW_SECONDS * 1000,
  });
  // consumes redis; provides service tokens for internal services, their last use written in the background.
  const serviceTokens = createServiceTokens({ redis, keys, now, onError: (err) => log.warn({ err }, "service token last use not written") });
  // consumes redis, CONTROL_PLANE_AUDIT_MAX_EVENTS; provides the audit log of admin writes.
  const audit = createAuditLog({ redis, keys, maxEvents: config.CONTROL_PLANE_AUDIT_MAX_EVENTS });
  // consumes registry, redis; provides /metrics (and /livez, /readyz) on the operator port, away from the admin API.
  const operator = createMetricsServer({ registry, isReady: async () => (await pingRedis(redis)) && !draining });
  // consumes every store, registry, CONTROL_PLANE_TRUST_PROXY; provides the admin API (Connect, gRPC-Web, gRPC), reflection, /livez and /readyz over HTTP/1.1 and h2c.
  const trustProxy = config.CONTROL_PLANE_TRUST_PROXY;
  // consumes CONTROL_PLANE_HTTP_TLS_*; provides the admin port's certificate, when it speaks TLS.
  const tls =
    config.CONTROL_PLANE_HTTP_TLS_CERT_FILE && config.CONTROL_PLANE_HTTP_TLS_KEY_FILE
      ? { cert: readFileSync(config.CONTROL_PLANE_HTTP_TLS_CERT_FILE), key: readFileSync(config.CONTROL_PLANE_HTTP_TLS_KEY_FILE) }
      : undefined;
  const http = createAdminHttpServer({
    ...(tls && { tls }),
    redis, users, sessions, signInThrottle, audit, trustProxy, accounts, apiKeys, leases, health, oauthAuthorization, providers, oauth, log, registry, now,
    keyLimits, usage: usageReader, sessionRecords, affinity, modelAliases, serviceTokens, prices, keyUsage, waitQueue, isDraining: () => draining,
    // A whole LiteLLM price table (about 1.5 MB) fits in one ImportPrices.
    readMaxBytes: 8 * 1024 * 1024,
    notifications: { targets: notifications.targets, deliveryLog: notifications.deliveryLog, notifier: notifications.notifier },
  });

  return {
    async start() {
      invalidation.start();
      notifications.start();
      const seeded = await prices.seed();
      if (seeded > 0) log.info({ models: seeded }, "shipped prices added to the price table");
      await bootstrapAdmin({
        users,
        username: config.ADMIN_USERNAME,
        password: config.ADMIN_PASSWORD,
        dataDir: config.CONTROL_PLANE_DATA_DIR,
        ...(overrides.print && { print: overrides.print }),
      });
      const metricsPort = await operator.listen(config.CONTROL_PLANE_METRICS_PORT, config.CONTROL_PLANE_METRICS_HOST ?? config.CONTROL_PLANE_HOST);
      try {
        const httpPort = await http.listen(config.CONTROL_PLANE_HTTP_PORT, config.CONTROL_PLANE_HOST);
        try {
          const grpcPort = await leaseServer.listen(config.CONTROL_PLANE_HOST, config.CONTROL_PLANE_GRPC_PORT);
          return { grpcPort, httpPort, metricsPort };
        } catch (err) {
          await http.close();
          throw err;
        }
      } catch (err) {
        await operator.close();
        throw err;
      }
    },

    async close() {
      draining = true;
      // Waiters go back to their relays, keeping their places for another replica.
      queued.close();
      await Promise.allSettled([http.close(), leaseServer.close()]);
      await operator.close();
      // No Acquire or Release runs any more: the counts and index entries this replica gathered are written while Redis is still open.
      await affinity.close().catch((err: unknown) => log.warn({ err }, "sticky affinity counts not written at close"));
      await sessionRecords.close().catch((err: unknown) => log.warn({ err }, "session index entries not written at close"));
      await oauth.drain();
      await notifications.stop();
      catalog.stop();
      priceBook.stop();
      await invalidation.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
