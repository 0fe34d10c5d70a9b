/**
 * The wait-for-a-slot queue through real processes: one account with a limit of
 * 2 behind the relay and the control plane, against the mock whose streams last
 * about a second. A burst over the limit waits its turn in arrival order, a key
 * with a bound of 0 is refused at once, a waiter that hangs up leaves the line
 * at once, and two relays with two control planes share one line.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReplica, startStack, type Replica, type Stack } from "./support/stack.js";

const WAIT_MS = 10_000;
/** About a second per stream: the mock pauses this long before each of its events. */
const EVENT_DELAY_MS = 125;
let stack: Stack;
let second: Replica;

beforeAll(async () => {
  stack = await startStack({
    accounts: 1,
    maxConcurrentTasks: 2,
    controlPlaneEnv: { CONTROL_PLANE_QUEUE_WAIT_MS: String(WAIT_MS), CONTROL_PLANE_QUEUE_POLL_MS: "20" },
  });
  stack.mock.setDefault({ kind: "message", eventDelayMs: EVENT_DELAY_MS });
  second = await startReplica(
    { redis: stack.redis, dataDir: stack.dataDir, internalToken: stack.internalToken },
    { controlPlaneEnv: { CONTROL_PLANE_QUEUE_WAIT_MS: String(WAIT_MS), CONTROL_PLANE_QUEUE_POLL_MS: "20" } },
  );
}, 60_000);

afterAll(async () => {
  await second?.stop();
  await stack?.stop();
});

interface Outcome {
  index: number;
  status: number;
  /** From sending to the response's headers, ms: the wait plus the upstream's first byte. */
  headersAfterMs: number;
  startedAt: number;
  retryAfter: string | null;
  body: string;
}

/** A streamed request; resolves once its whole answer is read. */
async function stream(relayUrl: string, key: string, index: number, signal?: AbortSignal): Promise<Outcome> {
  const startedAt = Date.now();
  const res = await fetch(`${relayUrl}/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
    body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 16, stream: true, messages: [{ role: "user", content: `waiter ${index}` }] }),
    ...(signal && { signal }),
  });
  const headersAfterMs = Date.now() - startedAt;
  const body = await res.text();
  return { index, status: res.status, headersAfterMs, startedAt: startedAt + headersAfterMs, retryAfter: res.headers.get("retry-after"), body };
}

/** Sends `count` streams `gapMs` apart (so their arrival order is known) and waits for all of them. */
async function burst(count: number, relayUrlOf: (i: number) => string, key: string, gapMs = 40): Promise<Outcome[]> {
  const runs: Promise<Outcome>[] = [];
  for (let i = 0; i < count; i++) {
    runs.push(stream(relayUrlOf(i), key, i));
    await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
  return Promise.all(runs);
}

/** Nearest-rank percentile. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function waiting(): Promise<number> {
  const { groups } = await stack.queue.getQueue({});
  return groups.reduce((sum, group) => sum + group.waiting, 0);
}

describe("waiting for a slot", () => {
  it("serves all 6 of a burst over a limit of 2, in arrival order, and reports the waits it measured", async () => {
    const { plaintextKey, apiKey } = await stack.apiKeys.createApiKey({ name: "burst" });
    const outcomes = await burst(6, () => stack.relayUrl, plaintextKey);
    expect(outcomes.map((o) => o.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const byStart = [...outcomes].sort((a, b) => a.startedAt - b.startedAt).map((o) => o.index);
    expect(byStart).toEqual([0, 1, 2, 3, 4, 5]);
    // The last four waited about one and two streams' time.
    const waits = outcomes.slice(2).map((o) => o.headersAfterMs);
    expect(Math.min(...waits)).toBeGreaterThan(600);
    const { keys } = await stack.queue.getQueue({});
    const reported = keys.find((k) => k.id === apiKey!.id);
    expect(reported?.count).toBe(4);
    // What the control plane measured is within a tenth of a second or so of what the clients saw (their time also holds the relay and the mock's first byte).
    for (const p of [50, 90, 99] as const) {
      const seen = percentile(waits, p);
      const field = p === 50 ? reported!.p50Ms : p === 90 ? reported!.p90Ms : reported!.p99Ms;
      expect(field).toBeLessThanOrEqual(seen);
      expect(seen - field).toBeLessThan(250);
    }
  }, 30_000);

  it("refuses 4 of 6 at once for a key whose bound is 0", async () => {
    const { plaintextKey } = await stack.apiKeys.createApiKey({ name: "no-wait", queueWaitMs: 0 });
    const started = Date.now();
    const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => stream(stack.relayUrl, plaintextKey, i)));
    expect(outcomes.filter((o) => o.status === 200)).toHaveLength(2);
    const refused = outcomes.filter((o) => o.status !== 200);
    // Anthropic's shape for "no account can take it now": 529 overloaded_error, with when to try again.
    expect(refused.map((o) => o.status)).toEqual([529, 529, 529, 529]);
    for (const o of refused) {
      expect(JSON.parse(o.body)).toMatchObject({ type: "error", error: { type: "overloaded_error" } });
      expect(Number(o.retryAfter)).toBeGreaterThan(0);
    }
    expect(Math.max(...refused.map((o) => o.headersAfterMs))).toBeLessThan(500);
    expect(Date.now() - started).toBeLessThan(5_000);
  }, 30_000);

  it("refuses a waiter whose bound ran out in Anthropic's shape, with retry-after", async () => {
    const { plaintextKey } = await stack.apiKeys.createApiKey({ name: "short-wait", queueWaitMs: 300 });
    const holders = [stream(stack.relayUrl, plaintextKey, 0), stream(stack.relayUrl, plaintextKey, 1)];
    await new Promise((resolve) => setTimeout(resolve, 200));
    const late = await stream(stack.relayUrl, plaintextKey, 2);
    expect(late.status).toBe(529);
    expect(late.headersAfterMs).toBeGreaterThanOrEqual(300);
    expect(late.headersAfterMs).toBeLessThan(900);
    expect(JSON.parse(late.body)).toMatchObject({ type: "error", error: { type: "overloaded_error", message: "no account became available in time" } });
    expect(Number(late.retryAfter)).toBeGreaterThan(0);
    expect((await Promise.all(holders)).map((o) => o.status)).toEqual([200, 200]);
  }, 30_000);

  it("takes a waiter that hangs up out of the line within 100 ms", async () => {
    const { plaintextKey } = await stack.apiKeys.createApiKey({ name: "hang-up" });
    const holders = [stream(stack.relayUrl, plaintextKey, 0), stream(stack.relayUrl, plaintextKey, 1)];
    await new Promise((resolve) => setTimeout(resolve, 200));
    const hangUp = new AbortController();
    const quitter = stream(stack.relayUrl, plaintextKey, 2, hangUp.signal).catch((err: unknown) => err);
    const deadline = Date.now() + 2_000;
    while ((await waiting()) === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await waiting()).toBe(1);
    hangUp.abort();
    const hungUpAt = Date.now();
    let gone = Number.POSITIVE_INFINITY;
    while (Date.now() - hungUpAt < 2_000) {
      if ((await waiting()) === 0) {
        gone = Date.now() - hungUpAt;
        break;
      }
    }
    expect(gone).toBeLessThan(100);
    expect(await quitter).toBeInstanceOf(Error);
    await Promise.all(holders);
  }, 30_000);

  it("shares one line between two relays and two control planes, first come first served", async () => {
    const { plaintextKey } = await stack.apiKeys.createApiKey({ name: "two-replicas" });
    const outcomes = await burst(6, (i) => (i % 2 === 0 ? stack.relayUrl : second.relayUrl), plaintextKey, 60);
    expect(outcomes.map((o) => o.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const byStart = [...outcomes].sort((a, b) => a.startedAt - b.startedAt).map((o) => o.index);
    expect(byStart).toEqual([0, 1, 2, 3, 4, 5]);
  }, 30_000);
});
