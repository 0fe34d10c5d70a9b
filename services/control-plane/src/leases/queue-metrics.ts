/**
 * The wait queue's metrics: how many requests wait now, per group (this
 * replica's; summed over replicas, the line's length), and how long waits
 * took, per key and per account, as a histogram for p50/p90/p99. Key and
 * account ids are admin-made and few, like the account gauges' labels.
 */
import { Gauge, Histogram, type Registry } from "@claude-relay/metrics";
import type { QueueObserver } from "./queued-acquire.js";

/** Waits are bounded by minutes; the buckets cover a poll to ten minutes. */
const WAIT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 30, 60, 120, 300, 600];

/** Registers the queue metrics and returns the observer that feeds them. */
export function createQueueMetrics(registry: Registry): QueueObserver {
  const waiting = new Gauge({
    name: "control_plane_queue_waiting",
    help: "Requests waiting for a slot on this replica, by wait group (sum over replicas for the line's length).",
    labelNames: ["group", "platform"],
    registers: [registry],
  });
  const waitSeconds = new Histogram({
    name: "control_plane_queue_wait_seconds",
    help: "How long requests waited for a slot, by key, by the account that served them (empty when none did) and by how the wait ended.",
    labelNames: ["key_id", "account_id", "outcome"],
    buckets: WAIT_BUCKETS,
    registers: [registry],
  });
  return {
    waiting(group, count) {
      waiting.set({ group: group.name, platform: group.platform }, count);
    },
    waited(ms, { keyId, accountId, outcome }) {
      waitSeconds.observe({ key_id: keyId, account_id: accountId ?? "", outcome }, ms / 1000);
    },
  };
}
