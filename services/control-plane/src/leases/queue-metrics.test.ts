import { createMetricsRegistry } from "@claude-relay/metrics";
import { describe, expect, it } from "vitest";
import { createQueueMetrics } from "./queue-metrics.js";
import { waitGroupOf } from "./wait-group.js";

describe("createQueueMetrics", () => {
  it("reports this replica's waiters per group and each finished wait by key, account and outcome", async () => {
    const registry = createMetricsRegistry("control-plane");
    const observer = createQueueMetrics(registry);
    const group = waitGroupOf("claude", { accountId: "", group: "team" });
    observer.waiting(group, 3);
    observer.waiting(group, 2);
    observer.waited(1_500, { keyId: "key-1", accountId: "acc-1", outcome: "served" });
    observer.waited(200, { keyId: "key-1", accountId: undefined, outcome: "cancelled" });
    const text = await registry.metrics();
    expect(text).toContain('control_plane_queue_waiting{group="claude/group:team",platform="claude",service="control-plane"} 2');
    expect(text).toContain('control_plane_queue_wait_seconds_sum{service="control-plane",key_id="key-1",account_id="acc-1",outcome="served"} 1.5');
    expect(text).toContain('control_plane_queue_wait_seconds_bucket{le="1",service="control-plane",key_id="key-1",account_id="acc-1",outcome="served"} 0');
    expect(text).toContain('control_plane_queue_wait_seconds_bucket{le="2",service="control-plane",key_id="key-1",account_id="acc-1",outcome="served"} 1');
    expect(text).toContain('control_plane_queue_wait_seconds_count{service="control-plane",key_id="key-1",account_id="",outcome="cancelled"} 1');
  });
});
