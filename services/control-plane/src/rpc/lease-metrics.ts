/**
 * The lease service's metrics, on the app's registry. Label sets are closed:
 * results are "lease" or a refusal reason (or "error"), outcomes are the
 * proto's OutcomeKind names, platforms the platform names (or "unknown": a
 * platform value this version does not know, or a released lease whose
 * account is gone), methods the LeaseService methods and operations the
 * lease store's Redis batches.
 */
import { Counter, Histogram, type Registry } from "@claude-relay/metrics";
import type { PlatformName } from "../providers/account-types.js";

/** The platform label of the acquire and release counters. */
export type PlatformLabel = PlatformName | "unknown";

/** Metrics recorded by the lease server. */
export interface LeaseMetrics {
  /** Acquire calls by result and by the platform the request named. */
  acquireTotal: Counter<"result" | "platform">;
  acquireDuration: Histogram;
  /** Release calls by outcome and by the platform of the lease's account. */
  releasesTotal: Counter<"outcome" | "platform">;
  redisErrors: Counter;
  /** Time to answer each LeaseService method, by method (acquire, renew, release, list_models, check_key). */
  rpcDuration: Histogram<"method">;
  /** One Redis batch of the lease store, by operation (acquire, renew, release, count); see leases/lease-store.ts. */
  redisDuration: Histogram<"operation">;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** Registers the lease metrics on a registry. */
export function createLeaseMetrics(registry: Registry): LeaseMetrics {
  return {
    acquireTotal: new Counter({
      name: "control_plane_acquire_total",
      help: "Acquire calls by result (lease, a refusal reason, or error) and requested platform.",
      labelNames: ["result", "platform"],
      registers: [registry],
    }),
    acquireDuration: new Histogram({
      name: "control_plane_acquire_duration_seconds",
      help: "Time to answer Acquire.",
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    releasesTotal: new Counter({
      name: "control_plane_releases_total",
      help: "Release calls by reported outcome and the platform of the lease's account.",
      labelNames: ["outcome", "platform"],
      registers: [registry],
    }),
    redisErrors: new Counter({
      name: "control_plane_redis_errors_total",
      help: "Lease-service calls that failed on a Redis error.",
      registers: [registry],
    }),
    rpcDuration: new Histogram({
      name: "control_plane_rpc_duration_seconds",
      help: "Time to answer a LeaseService call, by method.",
      labelNames: ["method"],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    redisDuration: new Histogram({
      name: "control_plane_redis_command_duration_seconds",
      help: "Round trip of one Redis batch of the lease store (a pipelined script or count), by operation.",
      labelNames: ["operation"],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers: [registry],
    }),
  };
}
