/**
 * The relay's composition root: builds every adapter once, wires them, and
 * tears them down in reverse on close.
 */
import type { Logger } from "@claude-relay/logging";
import { createMetricsRegistry, createMetricsServer, type Registry } from "@claude-relay/metrics";
import type { RelayConfig } from "./config.js";
import { createLeaseClient, type LeaseClient } from "./control-plane/lease-client.js";
import { createRelayServer } from "./http/server.js";
import { createKeyGate } from "./keys/key-gate.js";
import { createKeyUsageHandler } from "./keys/key-usage.js";
import { createKeyVerdicts } from "./keys/key-verdicts.js";
import { createApiHandler } from "./proxy/handle-api.js";
import { createModelDirectory } from "./providers/openai/model-directory.js";
import { listModels } from "./providers/openai/list-models.js";
import { createProviders } from "./providers/registry.js";
import { createRelayMetrics } from "./relay-metrics.js";
import { createUpstreamPools } from "./upstream/pools.js";

/** Replacements for tests. */
export interface RelayOverrides {
  registry?: Registry;
  leases?: LeaseClient;
}

/** A built relay. */
export interface Relay {
  /** Listens on the operator port, then the client port; resolves to both bound ports (0 picks a free one). */
  start(): Promise<{ port: number; metricsPort: number }>;
  /**
   * Turns /readyz to 503, stops accepting connections, answers requests that still
   * arrive on open ones with 503 overloaded_error, lets requests in flight finish
   * for up to `drainMs`, cuts the rest (streams with an SSE error event; each still
   * releases its lease), then closes the upstream pools and, once every Release
   * has been sent, the control-plane channel. The operator port closes after the client
   * port, so the drain can still be scraped.
   */
  close(options?: { drainMs?: number }): Promise<void>;
}

/** Builds the relay from its configuration. */
export function buildRelay(config: RelayConfig, log: Logger, overrides: RelayOverrides = {}): Relay {
  // metrics — consumes: nothing; provides: the registry the operator port serves and the relay's instruments.
  const registry = overrides.registry ?? createMetricsRegistry("relay");
  const metrics = createRelayMetrics(registry);

  // leases — consumes: the control-plane target and token; provides: Acquire, Renew, Release.
  const leases =
    overrides.leases ??
    createLeaseClient({
      target: config.RELAY_CONTROL_PLANE_URL,
      token: config.RELAY_INTERNAL_TOKEN.reveal(),
      deadlineMs: config.RELAY_CONTROL_PLANE_DEADLINE_MS,
      streams: config.RELAY_CONTROL_PLANE_STREAMS,
      streamMaxAgeMs: config.RELAY_CONTROL_PLANE_STREAM_MAX_AGE_MS,
      batchMaxCalls: config.RELAY_CONTROL_PLANE_BATCH_MAX_CALLS,
      callDuration: metrics.controlPlaneCallDuration,
      onLateLease: (leaseId) => log.warn({ leaseId }, "lease granted after its deadline; released"),
    });

  // pools — consumes: upstream timeouts, the registry; provides: a dispatcher per (origin, proxy), its stats and health.
  const pools = createUpstreamPools({
    connections: config.RELAY_POOL_CONNECTIONS,
    connectTimeoutMs: config.RELAY_UPSTREAM_CONNECT_TIMEOUT_MS,
    headersTimeoutMs: config.RELAY_UPSTREAM_HEADERS_TIMEOUT_MS,
    bodyTimeoutMs: config.RELAY_STREAM_IDLE_TIMEOUT_MS,
    idleEvictMs: config.RELAY_POOL_IDLE_EVICT_MS,
    deadAfterFailures: config.RELAY_POOL_DEAD_AFTER_FAILURES,
    probeIntervalMs: config.RELAY_POOL_PROBE_INTERVAL_MS,
    registry,
    log,
  });

  // keys — consumes: leases (CheckKey, KeysChanged); provides: the key gate every request passes first.
  const verdicts = createKeyVerdicts({ check: (keyHash) => leases.checkKey(keyHash), registry });
  leases.onKeysChanged(verdicts.clear);
  const gate = createKeyGate(verdicts);

  // api — consumes: leases, pools, metrics, gate; provides: the API routes and the in-flight set.
  const api = createApiHandler({
    leases,
    pools,
    metrics,
    log,
    maxBodyBytes: config.RELAY_MAX_BODY_BYTES,
    maxAttempts: config.RELAY_MAX_ATTEMPTS,
    queueMaxWaitMs: config.RELAY_QUEUE_MAX_WAIT_MS,
    upstreamHeadersTimeoutMs: config.RELAY_UPSTREAM_HEADERS_TIMEOUT_MS,
    streamIdleTimeoutMs: config.RELAY_STREAM_IDLE_TIMEOUT_MS,
    clientPingIntervalMs: config.RELAY_CLIENT_PING_INTERVAL_MS,
    gate,
  });

  // providers — consumes: leases (model listings); provides: the front doors and their routes.
  const providers = createProviders({ models: createModelDirectory({ fetch: (keyHash) => listModels(leases, keyHash) }) });

  // operator — consumes: the registry, readiness; provides: /metrics (and the probes) away from the client port.
  let closing = false;
  const isReady = () => !closing && leases.isReady();
  const operator = createMetricsServer({ registry, isReady });

  // server — consumes: api, providers, readiness, metrics; provides: the client-facing HTTP endpoint.
  const server = createRelayServer({
    host: config.RELAY_HOST,
    port: config.RELAY_PORT,
    headersTimeoutMs: config.RELAY_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: config.RELAY_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: config.RELAY_KEEP_ALIVE_TIMEOUT_MS,
    api,
    providers,
    isReady,
    // consumes: leases (GetKeyUsage); provides: GET /v1/key/usage, off the hot path.
    keyUsage: createKeyUsageHandler({ leases, trustProxy: config.RELAY_TRUST_PROXY, log }),
    metrics,
    log,
  });

  let closed: Promise<void> | undefined;

  return {
    async start() {
      // Start connecting now, so /readyz turns green without waiting for the first request.
      leases.isReady();
      const metricsHost = config.RELAY_METRICS_HOST ?? config.RELAY_HOST;
      const metricsPort = await operator.listen(config.RELAY_METRICS_PORT, metricsHost);
      const port = await server.listen().catch(async (error: unknown) => {
        await operator.close();
        throw error;
      });
      log.info({ host: config.RELAY_HOST, port, metricsHost, metricsPort, controlPlane: config.RELAY_CONTROL_PLANE_URL }, "relay listening");
      if (config.RELAY_WARM_ORIGINS.length > 0) {
        // Not awaited: an upstream that is slow to answer must not hold the start.
        pools.warm(config.RELAY_WARM_ORIGINS, config.RELAY_WARM_CONNECTIONS).then(
          (results) => log.info({ warmed: results }, "upstream connections warmed"),
          (error: unknown) => log.warn({ err: error }, "upstream warm-up failed"),
        );
      }
      return { port, metricsPort };
    },
    close({ drainMs = config.RELAY_DRAIN_MS } = {}) {
      closed ??= (async () => {
        closing = true;
        api.refuseNew();
        server.stopAccepting();
        if (api.inflight > 0) {
          log.info({ inflight: api.inflight, drainMs }, "draining requests in flight");
          await within(api.idle(), drainMs);
        }
        if (api.inflight > 0) {
          log.warn({ inflight: api.inflight }, "cutting requests still in flight");
          api.abortAll();
          await within(api.idle(), 2_000);
        }
        await server.closeAll();
        await operator.close();
        await pools.close();
        await leases.close();
        log.info("relay closed");
      })();
      return closed;
    },
  };
}

/** Waits for `promise`, at most `ms`. */
async function within(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
