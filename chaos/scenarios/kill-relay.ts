/**
 * `kill -9` a relay with streams open: nobody releases those leases, so they
 * must come back by expiry within one lease TTL, and once the next requests
 * have run no lease set may be left in Redis.
 */
import { expect } from "vitest";
import { killHard, type ChaosStack } from "../support/chaos-stack.js";
import { openStream, sendMessage, waitFor, type OpenStream } from "../support/client.js";
import { figure } from "../support/figures.js";
import { createLeaseInspector } from "../support/lease-keys.js";

/** Options of killRelayScenario. */
export interface KillRelayOptions {
  /** Streams held open at the kill; the stack's account limit must equal it. */
  streams: number;
  /** The control plane's lease TTL. */
  leaseTtlMs: number;
  /** Label of the printed figures. */
  scenario?: string;
}

/** Runs the scenario on a started stack whose account allows exactly `streams` requests at once. */
export async function killRelayScenario(stack: ChaosStack, options: KillRelayOptions): Promise<void> {
  const { streams, leaseTtlMs } = options;
  const scenario = options.scenario ?? "kill-relay";
  const leases = createLeaseInspector(stack.redis.url);
  // Slow streams: an event every 200 ms for over a minute, so each is open (and renewed) at the kill.
  stack.mock.setDefault({ kind: "message", events: 400, eventDelayMs: 200 });
  const open: OpenStream[] = [];
  try {
    for (let i = 0; i < streams; i++) open.push(openStream(stack.relay.url, stack.clientKey, { timeoutMs: 60_000 }));
    await Promise.all(open.map((s) => s.firstBytes));
    expect(await leases.liveOnAccount(stack.accountId)).toBe(streams);
    figure(scenario, "streams open at the kill", streams);
    // The account is full: one more request is refused, so the slots counted below are the real limit.
    const refused = await sendMessage(stack.relay.url, stack.clientKey);
    expect(refused.status).toBe(529);

    const killedAt = Date.now();
    await killHard(stack.relay.process);
    const ends = await Promise.all(open.map((s) => s.done));
    // The clients see their connections drop at once, not a hang.
    expect(Math.max(...ends.map((end) => end.endedAt - killedAt))).toBeLessThan(5_000);

    const backAfterMs = await waitFor(
      "every slot back",
      async () => ((await leases.counts()).live === 0 ? Date.now() - killedAt : undefined),
      leaseTtlMs + 5_000,
    );
    figure(scenario, "slots back after the kill", backAfterMs, `ms (lease TTL ${leaseTtlMs} ms)`);
    expect(backAfterMs).toBeLessThanOrEqual(leaseTtlMs + 1_500);
    const before = await leases.counts();
    figure(scenario, "expired leases stored until the next Acquire", before.stale);

    // A new relay gets every slot again; its clients then hang up, and each lease is released.
    stack.mock.setDefault({ kind: "message", events: 400, eventDelayMs: 200 });
    const relay = await stack.startRelay();
    const again = Array.from({ length: streams }, () => openStream(relay.url, stack.clientKey, { timeoutMs: 60_000 }));
    await Promise.all(again.map((s) => s.firstBytes));
    expect(await leases.liveOnAccount(stack.accountId)).toBe(streams);
    figure(scenario, "streams granted again after the kill", streams, `of ${streams}`);
    const hungUpAt = Date.now();
    for (const s of again) s.abort();
    const releasedAfterMs = await waitFor("released after hang-up", async () => ((await leases.counts()).live === 0 ? Date.now() - hungUpAt : undefined), 5_000);
    figure(scenario, "slots released after the clients hung up", releasedAfterMs, "ms");
    // Releases are sent after the hang-up without waiting; give the last ones a moment to land.
    const after = await waitFor("no lease set left", async () => {
      const counts = await leases.counts();
      return counts.keys === 0 ? counts : undefined;
    }, 3_000);
    figure(scenario, "lease sets left in Redis", after.keys);
    expect(after).toEqual({ keys: 0, live: 0, stale: 0 });
  } finally {
    for (const s of open) s.abort();
    stack.mock.setDefault({ kind: "message" });
    leases.close();
  }
}
