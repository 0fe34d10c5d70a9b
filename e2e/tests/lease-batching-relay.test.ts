/**
 * The relay process with lease batching switched on (RELAY_CONTROL_PLANE_BATCH_MAX_CALLS):
 * concurrent requests, streamed and not, are served as they are without it, and every
 * slot is given back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "./support/stack.js";

const REQUESTS = 120;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ accounts: 2, maxConcurrentTasks: 0, relayEnv: { RELAY_CONTROL_PLANE_BATCH_MAX_CALLS: "256" } });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

describe("a relay that batches its lease calls", () => {
  it("serves concurrent requests, streamed and not, and holds no slot once they are answered", async () => {
    const statuses = await Promise.all(
      Array.from({ length: REQUESTS }, async (_, i) => {
        const res = await fetch(`${stack.relayUrl}/v1/messages`, {
          method: "POST",
          headers: { "x-api-key": stack.clientKey, "anthropic-version": "2023-06-01", "content-type": "application/json" },
          body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 16, stream: i % 2 === 0, messages: [{ role: "user", content: `batched ${i}` }] }),
        });
        await res.arrayBuffer();
        return res.status;
      }),
    );
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    // Releases are answered before the relay's log line, but not before the client's last byte: poll briefly.
    const deadline = Date.now() + 5_000;
    let held = Number.POSITIVE_INFINITY;
    while (Date.now() < deadline) {
      const { accounts } = await stack.accounts.listAccounts({});
      held = accounts.reduce((sum, account) => sum + account.activeLeases, 0);
      if (held === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(held).toBe(0);
  }, 60_000);
});
