/**
 * An upstream that goes silent mid-stream: the relay cuts the stream after
 * RELAY_STREAM_IDLE_TIMEOUT_MS with an SSE `error` event (the status line was
 * long sent) and releases the slot at once, without waiting for the lease to
 * expire.
 */
import { expect } from "vitest";
import type { ChaosStack } from "../support/chaos-stack.js";
import { openStream, waitFor } from "../support/client.js";
import { figure } from "../support/figures.js";
import { createLeaseInspector } from "../support/lease-keys.js";

/** Options of upstreamStallScenario. */
export interface UpstreamStallOptions {
  /** The relay's RELAY_STREAM_IDLE_TIMEOUT_MS. */
  idleTimeoutMs: number;
  /** The control plane's lease TTL; the slot must come back well before it. */
  leaseTtlMs: number;
  scenario?: string;
}

/** Runs the scenario on a started stack. */
export async function upstreamStallScenario(stack: ChaosStack, options: UpstreamStallOptions): Promise<void> {
  const { idleTimeoutMs } = options;
  const scenario = options.scenario ?? "upstream-stall";
  const leases = createLeaseInspector(stack.redis.url);
  try {
    stack.mock.enqueue({ kind: "stall", afterEvents: 2 });
    const stream = openStream(stack.relay.url, stack.clientKey, { timeoutMs: idleTimeoutMs + 15_000 });
    await stream.firstBytes;
    expect(await leases.liveOnAccount(stack.accountId)).toBe(1);
    const end = await stream.done;

    expect(end.status).toBe(200);
    expect(end.failure).toBeUndefined();
    expect(end.body).toContain("event: message_start");
    expect(end.body).toMatch(/event: error\ndata: \{"type":"error","error":\{"type":"\w+"/);
    expect(end.errorType).toBeDefined();
    // The upstream's two events came with the first bytes; the error event ends the stream one idle timeout later.
    const silentMs = end.lastChunkAt - end.firstChunkAt;
    figure(scenario, "SSE error event after the upstream went silent", silentMs, `ms (idle timeout ${idleTimeoutMs} ms)`);
    figure(scenario, "error type sent", end.errorType ?? "none");
    expect(silentMs).toBeGreaterThanOrEqual(idleTimeoutMs - 100);
    expect(silentMs).toBeLessThan(idleTimeoutMs + 5_000);

    const releasedAfterMs = await waitFor("slot released", async () => ((await leases.liveOnAccount(stack.accountId)) === 0 ? Date.now() - end.endedAt : undefined), 5_000);
    figure(scenario, "slot released after the error event", releasedAfterMs, `ms (lease TTL ${options.leaseTtlMs} ms)`);
    // Renewals kept the lease alive to at least two thirds of a TTL ahead: coming back sooner means it was released.
    expect(releasedAfterMs).toBeLessThan(Math.min(1_000, (options.leaseTtlMs * 2) / 3));
  } finally {
    leases.close();
  }
}
