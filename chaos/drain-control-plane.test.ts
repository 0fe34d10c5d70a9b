/**
 * Two control-plane replicas under a steady load, one stopped with SIGTERM, as a
 * rolling update does: it refuses new Acquires as unavailable, finishes what is
 * in flight and ends its lease streams. The relay sends each refused call once
 * more, to the other replica, so no client sees an error.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isRunning, startChaosStack, type ChaosStack } from "./support/chaos-stack.js";
import { sendMessage, sleep, startLoad, tally } from "./support/client.js";
import { acquireCalls } from "./support/control-plane-metrics.js";
import { figure } from "./support/figures.js";

const SCENARIO = "drain-control-plane";
const CONCURRENCY = 8;
const HANG_MS = 15_000;

let stack: ChaosStack;

beforeAll(async () => {
  stack = await startChaosStack({ controlPlanes: 2, leaseTtlMs: 10_000 });
  // A little upstream time per request, so requests overlap the drain at every step of their way.
  stack.mock.setDefault({ kind: "message", delayMs: 20 });
});

afterAll(async () => {
  await stack?.stop();
});

describe("stopping one of two control-plane replicas with SIGTERM", () => {
  it("drains it while the relay moves every call to the other replica: no request fails", async () => {
    const [leaving, staying] = stack.controlPlanes as [ChaosStack["controlPlanes"][0], ChaosStack["controlPlanes"][0]];
    const load = startLoad({ baseUrl: () => stack.relay.url, key: stack.clientKey, concurrency: CONCURRENCY, timeoutMs: HANG_MS });
    await sleep(2_000);
    const [leavingBefore, stayingBefore] = [await acquireCalls(leaving.metricsUrl), await acquireCalls(staying.metricsUrl)];
    figure(SCENARIO, "Acquire calls per replica before the drain", `${leavingBefore} / ${stayingBefore}`);
    expect(leavingBefore).toBeGreaterThan(0);
    expect(stayingBefore).toBeGreaterThan(0);

    const stoppedAt = Date.now();
    const code = await leaving.process.stop(10_000);
    const drainedMs = Date.now() - stoppedAt;
    await sleep(2_000);
    const answers = await load.stop();

    const during = answers.filter((a) => a.endedAt > stoppedAt && a.startedAt < stoppedAt + drainedMs);
    const failed = answers.filter((a) => a.status !== 200);
    const slowest = Math.max(...answers.map((a) => a.endedAt - a.startedAt));
    figure(SCENARIO, "exit code and drain time", `${code} after ${drainedMs} ms`);
    figure(SCENARIO, "requests", answers.length, `(${during.length} overlapped the drain)`);
    figure(SCENARIO, "answers", JSON.stringify(tally(answers)));
    figure(SCENARIO, "slowest answer", slowest, "ms");

    expect(code).toBe(0);
    expect(failed).toEqual([]);
    expect(during.length).toBeGreaterThan(0);
    expect(slowest).toBeLessThan(HANG_MS);
    expect(await acquireCalls(staying.metricsUrl)).toBeGreaterThan(stayingBefore);
    expect((await sendMessage(stack.relay.url, stack.clientKey)).status).toBe(200);
    expect(isRunning(stack.relay.process)).toBe(true);
  });
});
