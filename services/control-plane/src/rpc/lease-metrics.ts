/**
 * The lease service's metrics, on the app's registry. Label sets are closed:
 * results are "lease" or a refusal reason (or "error"), outcomes are the
 * proto's OutcomeKind names.
 */
import { Counter, Histogram, type Registry } from "@claude-relay/metrics";

/** Metrics recorded by the lease server. */
export interface LeaseMetrics {
  acquireTotal: Counter<"result">;
  acquireDuration: Histogram;
  releasesTotal: Counter<"outcome">;
  redisErrors: Counter;
}

/** Registers the lease metrics on a registry. */
export function createLeaseMetrics(registry: Registry): LeaseMetrics {
  return {
    acquireTotal: new Counter({
      name: "control_plane_acquire_total",
      help: "Acquire calls by result: lease, a refusal reason, or error.",
      labelNames: ["result"],
      registers: [registry],
    }),
    acquireDuration: new Histogram({
      name: "control_plane_acquire_duration_seconds",
      help: "Time to answer Acquire.",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    releasesTotal: new Counter({
      name: "control_plane_releases_total",
      help: "Release calls by reported outcome.",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    redisErrors: new Counter({
      name: "control_plane_redis_errors_total",
      help: "Lease-service calls that failed on a Redis error.",
      registers: [registry],
    }),
  };
}
