/**
 * The quick fault scenarios, part of every `npm test`: an upstream that stalls
 * mid-stream, and a smaller `kill -9` of a relay with streams open. The full
 * set runs with `npm run test:chaos`.
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import { killRelayScenario } from "./scenarios/kill-relay.js";
import { upstreamStallScenario } from "./scenarios/upstream-stall.js";
import { startChaosStack, type ChaosStack } from "./support/chaos-stack.js";

const LEASE_TTL_MS = 3_000;
const IDLE_TIMEOUT_MS = 1_500;
const STREAMS = 5;

let stack: ChaosStack;

beforeAll(async () => {
  stack = await startChaosStack({
    leaseTtlMs: LEASE_TTL_MS,
    maxConcurrentTasks: STREAMS,
    relayEnv: { RELAY_STREAM_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS) },
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

describe("quick fault scenarios", () => {
  it("cuts a stalled upstream stream with an SSE error event within the idle timeout and releases its slot", async () => {
    await upstreamStallScenario(stack, { idleTimeoutMs: IDLE_TIMEOUT_MS, leaseTtlMs: LEASE_TTL_MS, scenario: "quick/upstream-stall" });
  }, 30_000);

  it("gets every slot of a relay killed with streams open back within one lease TTL and leaves no lease behind", async () => {
    await killRelayScenario(stack, { streams: STREAMS, leaseTtlMs: LEASE_TTL_MS, scenario: "quick/kill-relay" });
  }, 60_000);
});
