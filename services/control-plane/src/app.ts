/**
 * Composition root: builds every adapter and module of the control plane in
 * order, starts the two servers, and closes everything in reverse.
 */
import type { Logger } from "@claude-relay/logging";
import { createMetricsRegistry, type Registry } from "@claude-relay/metrics";
import { createAccountStore } from "./accounts/account-store.js";
import { createCredentialCipher, parseEncryptionKey } from "./accounts/credential-cipher.js";
import { bootstrapAdmin, createAdminUsers } from "./auth/admin-users.js";
import { createAdminSessions } from "./auth/admin-sessions.js";
import type { ControlPlaneConfig } from "./config.js";
import { createAdminHttpServer } from "./http/server.js";
import { createApiKeyStore } from "./keys/api-key-store.js";
import { createAcquireLease, type LeaseCatalog } from "./leases/acquire-lease.js";
import { createLeaseStore } from "./leases/lease-store.js";
import { createReleaseLease } from "./leases/release-lease.js";
import { createRenewLease } from "./leases/renew-lease.js";
import { createRedis } from "./redis/client.js";
import { createRedisKeys, type RedisKeys } from "./redis/keys.js";
import { createLeaseMetrics } from "./rpc/lease-metrics.js";
import { createLeaseServer } from "./rpc/lease-server.js";
import { createStickyStore } from "./sessions/sticky-store.js";

/** What tests may replace. */
export interface ControlPlaneOverrides {
  now?: () => number;
  /** A key namespace, so tests on a shared Redis stay apart. */
  keys?: RedisKeys;
  registry?: Registry;
  /** Receives the one line that shows a generated admin password (default stdout). */
  print?: (line: string) => void;
}

/** A built, not yet started, control plane. */
export interface ControlPlane {
  /** Bootstraps the first admin and starts both servers; resolves with the bound ports. */
  start(): Promise<{ grpcPort: number; httpPort: number }>;
  /** Stops accepting, lets running calls finish, then closes Redis. */
  close(): Promise<void>;
}

/** Builds the control plane from its configuration. */
export function buildControlPlane(config: ControlPlaneConfig, log: Logger, overrides: ControlPlaneOverrides = {}): ControlPlane {
  const now = overrides.now ?? Date.now;
  const keys = overrides.keys ?? createRedisKeys();
  // consumes REDIS_URL; provides the one connection every store shares.
  const redis = createRedis(config.REDIS_URL);
  redis.on("error", (err: Error) => log.warn({ err: { message: err.message } }, "redis connection error"));
  // consumes nothing; provides the app's own metrics registry.
  const registry = overrides.registry ?? createMetricsRegistry("control-plane");
  // consumes CONTROL_PLANE_ENCRYPTION_KEY; provides sealing of account credentials.
  const cipher = createCredentialCipher(parseEncryptionKey(config.CONTROL_PLANE_ENCRYPTION_KEY.reveal()));
  // consumes redis, cipher; provides accounts and their credentials.
  const accounts = createAccountStore({ redis, cipher, now, keys });
  // consumes redis; provides client keys by id and by hash.
  const apiKeys = createApiKeyStore({ redis, now, keys });
  // consumes redis, CONTROL_PLANE_LEASE_TTL_MS; provides slots per account and per key.
  const leases = createLeaseStore({ redis, ttlMs: config.CONTROL_PLANE_LEASE_TTL_MS, now, keys });
  // consumes redis, CONTROL_PLANE_STICKY_TTL_SECONDS; provides session → account bindings.
  const sticky = createStickyStore({ redis, ttlSeconds: config.CONTROL_PLANE_STICKY_TTL_SECONDS, keys });
  // consumes the stores; provides the hot path's reads. A per-replica cache with pub/sub invalidation slots in here.
  const catalog: LeaseCatalog = { findKeyByHash: apiKeys.findByHash, listAccounts: accounts.list, credential: accounts.credential };
  // consumes catalog, leases, sticky, CONTROL_PLANE_INTERNAL_TOKEN; provides the relay's LeaseService over gRPC.
  const leaseServer = createLeaseServer({
    acquire: createAcquireLease({ catalog, leases, sticky, log, now }),
    renew: createRenewLease({ leases }),
    release: createReleaseLease({ leases, log }),
    internalToken: config.CONTROL_PLANE_INTERNAL_TOKEN,
    metrics: createLeaseMetrics(registry),
    log,
  });
  // consumes redis; provides admin users (scrypt) and admin sessions.
  const users = createAdminUsers({ redis, keys, now });
  const sessions = createAdminSessions({ redis, keys, now });
  // consumes every store, registry; provides the admin API (Connect), /livez, /readyz and /metrics over HTTP/1.1.
  const http = createAdminHttpServer({ redis, users, sessions, accounts, apiKeys, leases, log, registry, now });

  return {
    async start() {
      await bootstrapAdmin({
        users,
        username: config.ADMIN_USERNAME,
        password: config.ADMIN_PASSWORD,
        dataDir: config.CONTROL_PLANE_DATA_DIR,
        ...(overrides.print && { print: overrides.print }),
      });
      const httpPort = await http.listen(config.CONTROL_PLANE_HTTP_PORT, config.CONTROL_PLANE_HOST);
      try {
        const grpcPort = await leaseServer.listen(config.CONTROL_PLANE_HOST, config.CONTROL_PLANE_GRPC_PORT);
        return { grpcPort, httpPort };
      } catch (err) {
        await http.close();
        throw err;
      }
    },

    async close() {
      await Promise.allSettled([http.close(), leaseServer.close()]);
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
