/**
 * The wait queue across a control-plane kill: 52 requests at once on one
 * account with a limit of 2, so 50 wait in the line, shared by two control
 * planes; one of them is killed with SIGKILL while they wait. Its waiters'
 * Acquires fail on the relay's broken streams and are sent again through the
 * other replica, where they keep their places. No waiter is lost (every
 * request is answered 200) and none is served twice (the upstream sees each
 * request exactly once).
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisKeys } from "../services/control-plane/src/redis/keys.js";
import { waitGroupOf } from "../services/control-plane/src/leases/wait-group.js";
import { isRunning, killHard, startChaosStack, type ChaosStack } from "./support/chaos-stack.js";
import { sleep } from "./support/client.js";
import { figure } from "./support/figures.js";

const SCENARIO = "queue-kill-control-plane";
const REQUESTS = 52;
const LIMIT = 2;

let stack: ChaosStack;
let redis: Redis;

beforeAll(async () => {
  stack = await startChaosStack({
    controlPlanes: 2,
    maxConcurrentTasks: LIMIT,
    leaseTtlMs: 3_000,
    controlPlaneEnv: { CONTROL_PLANE_QUEUE_WAIT_MS: "90000", CONTROL_PLANE_QUEUE_POLL_MS: "20", CONTROL_PLANE_QUEUE_ALIVE_MS: "2000" },
  });
  stack.mock.setDefault({ kind: "message", delayMs: 150 });
  redis = new Redis(stack.redis.url, { maxRetriesPerRequest: 1 });
  redis.on("error", () => {});
});

afterAll(async () => {
  redis?.disconnect();
  await stack?.stop();
});

/** One request with its own text, so the upstream's copy can be told apart. */
async function send(index: number): Promise<{ index: number; status: number }> {
  const res = await fetch(`${stack.relay.url}/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": stack.clientKey, "anthropic-version": "2023-06-01", "content-type": "application/json" },
    body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: `waiter-${index}` }] }),
    signal: AbortSignal.timeout(110_000),
  });
  await res.arrayBuffer();
  return { index, status: res.status };
}

describe("the wait queue when a control plane is killed", () => {
  it("loses no waiter and serves none twice", async () => {
    const line = createRedisKeys().waitQueue(waitGroupOf("claude", { accountId: "", group: "" }).id, "line");
    const answers = Array.from({ length: REQUESTS }, (_, i) => send(i));
    const deadline = Date.now() + 20_000;
    let waiting = 0;
    while (Date.now() < deadline) {
      waiting = await redis.zcard(line);
      if (waiting >= REQUESTS - LIMIT - 4) break;
      await sleep(20);
    }
    figure(SCENARIO, "waiting in the line at the kill", waiting);
    expect(waiting).toBeGreaterThanOrEqual(REQUESTS - LIMIT - 4);

    const [victim, survivor] = stack.controlPlanes as [ChaosStack["controlPlanes"][0], ChaosStack["controlPlanes"][0]];
    const killedAt = Date.now();
    await killHard(victim.process);
    const results = await Promise.all(answers);
    figure(SCENARIO, "all answered after the kill", Date.now() - killedAt, "ms");

    const statuses = results.map((r) => r.status);
    figure(SCENARIO, "answers", JSON.stringify(Object.fromEntries([...new Set(statuses)].map((s) => [s, statuses.filter((x) => x === s).length]))));
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    // Each request reached the upstream exactly once.
    const seen = stack.mock.requests.filter((r) => r.path.startsWith("/v1/messages")).map((r) => (JSON.parse(r.body.toString()) as { messages: { content: string }[] }).messages[0]!.content);
    const counts = new Map<string, number>();
    for (const text of seen) counts.set(text, (counts.get(text) ?? 0) + 1);
    figure(SCENARIO, "upstream requests", seen.length);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(counts.size).toBe(REQUESTS);
    expect(await redis.zcard(line)).toBe(0);
    expect(isRunning(survivor.process)).toBe(true);
  });
});
