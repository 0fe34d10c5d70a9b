/** An upstream that stalls mid-stream; see scenarios/upstream-stall.ts. */
import { afterAll, beforeAll, describe, it } from "vitest";
import { upstreamStallScenario } from "./scenarios/upstream-stall.js";
import { startChaosStack, type ChaosStack } from "./support/chaos-stack.js";

const LEASE_TTL_MS = 30_000;
const IDLE_TIMEOUT_MS = 1_000;

let stack: ChaosStack;

beforeAll(async () => {
  stack = await startChaosStack({ leaseTtlMs: LEASE_TTL_MS, relayEnv: { RELAY_STREAM_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS) } });
});

afterAll(async () => {
  await stack?.stop();
});

describe("an upstream that stalls mid-stream", () => {
  it("gives the client an SSE error event within the idle timeout and releases the slot at once", async () => {
    await upstreamStallScenario(stack, { idleTimeoutMs: IDLE_TIMEOUT_MS, leaseTtlMs: LEASE_TTL_MS });
  });
});
