/** `kill -9` a relay with 20 streams open; see scenarios/kill-relay.ts. */
import { afterAll, beforeAll, describe, it } from "vitest";
import { killRelayScenario } from "./scenarios/kill-relay.js";
import { startChaosStack, type ChaosStack } from "./support/chaos-stack.js";

const LEASE_TTL_MS = 3_000;
const STREAMS = 20;

let stack: ChaosStack;

beforeAll(async () => {
  stack = await startChaosStack({ leaseTtlMs: LEASE_TTL_MS, maxConcurrentTasks: STREAMS });
});

afterAll(async () => {
  await stack?.stop();
});

describe("kill -9 of a relay with 20 streams open", () => {
  it("gets every slot back within one lease TTL and leaves no lease behind", async () => {
    await killRelayScenario(stack, { streams: STREAMS, leaseTtlMs: LEASE_TTL_MS });
  });
});
