/**
 * Two control-plane replicas under a steady load, one killed with SIGKILL: the
 * relay's channel (round_robin over both addresses) goes on through the other.
 * At most the calls in flight at the kill fail, each as an Anthropic 503, and
 * nothing hangs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isRunning, killHard, startChaosStack, type ChaosStack } from "./support/chaos-stack.js";
import { sendMessage, sleep, startLoad, tally } from "./support/client.js";
import { acquireCalls } from "./support/control-plane-metrics.js";
import { figure } from "./support/figures.js";

const SCENARIO = "kill-control-plane";
const CONCURRENCY = 8;
const HANG_MS = 15_000;

let stack: ChaosStack;

beforeAll(async () => {
  stack = await startChaosStack({ controlPlanes: 2, leaseTtlMs: 10_000 });
  // A little upstream time per request, so requests overlap the kill at every step of their way.
  stack.mock.setDefault({ kind: "message", delayMs: 20 });
});

afterAll(async () => {
  await stack?.stop();
});

describe("killing one of two control-plane replicas", () => {
  it("keeps the relay serving through the other replica, failing at most the calls in flight, as Anthropic 503s", async () => {
    const [victim, survivor] = stack.controlPlanes as [ChaosStack["controlPlanes"][0], ChaosStack["controlPlanes"][0]];
    const load = startLoad({ baseUrl: () => stack.relay.url, key: stack.clientKey, concurrency: CONCURRENCY, timeoutMs: HANG_MS });
    await sleep(2_000);
    const [victimBefore, survivorBefore] = [await acquireCalls(victim.metricsUrl), await acquireCalls(survivor.metricsUrl)];
    figure(SCENARIO, "Acquire calls per replica before the kill", `${victimBefore} / ${survivorBefore}`);
    expect(victimBefore).toBeGreaterThan(0);
    expect(survivorBefore).toBeGreaterThan(0);

    const killedAt = Date.now();
    await killHard(victim.process);
    await sleep(4_000);
    const answers = await load.stop();

    const after = answers.filter((a) => a.startedAt > killedAt);
    const failed = answers.filter((a) => a.status !== 200);
    const slowest = Math.max(...answers.map((a) => a.endedAt - a.startedAt));
    figure(SCENARIO, "requests", answers.length, `(${after.length} started after the kill)`);
    figure(SCENARIO, "answers", JSON.stringify(tally(answers)));
    figure(SCENARIO, "failed requests", failed.length, `(at most ${CONCURRENCY} were in flight)`);
    figure(SCENARIO, "slowest answer", slowest, "ms");
    const lastFailure = Math.max(0, ...failed.map((a) => a.endedAt - killedAt));
    figure(SCENARIO, "last failure after the kill", lastFailure, "ms");

    expect(failed.every((a) => a.status === 503 && a.errorType === "overloaded_error")).toBe(true);
    expect(failed.length).toBeLessThanOrEqual(CONCURRENCY);
    expect(slowest).toBeLessThan(HANG_MS);
    // The relay went on: plenty of requests after the kill, and the latest all succeeded.
    expect(after.filter((a) => a.status === 200).length).toBeGreaterThan(CONCURRENCY * 4);
    expect(answers.filter((a) => a.startedAt > killedAt + 1_000).every((a) => a.status === 200)).toBe(true);
    expect(await acquireCalls(survivor.metricsUrl)).toBeGreaterThan(survivorBefore);
    expect((await sendMessage(stack.relay.url, stack.clientKey)).status).toBe(200);
    expect(isRunning(stack.relay.process)).toBe(true);
    expect(isRunning(survivor.process)).toBe(true);
  });
});
