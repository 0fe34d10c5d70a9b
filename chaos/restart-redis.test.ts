/**
 * Redis stopped and started again on the same port under a steady load: the
 * control plane and the relay stay up, the control plane's readiness reports
 * the outage and recovers, requests in the outage fail fast as Anthropic 503s,
 * and requests succeed again afterwards with no restart of ours. Redis keeps
 * its data in an append-only file, as a production Redis would.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRedis } from "@claude-relay/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isRunning, startChaosStack, type ChaosStack } from "./support/chaos-stack.js";
import { sendMessage, sleep, startLoad, statusOf, tally, waitFor } from "./support/client.js";
import { figure } from "./support/figures.js";

const SCENARIO = "restart-redis";
const HANG_MS = 15_000;
const OUTAGE_MS = 3_000;

let stack: ChaosStack;
let redisDir: string;

beforeAll(async () => {
  redisDir = await mkdtemp(join(tmpdir(), "claude-relay-chaos-redis-"));
  stack = await startChaosStack({ redisArgs: ["--dir", redisDir, "--appendonly", "yes", "--appendfsync", "always"] });
});

afterAll(async () => {
  await stack?.stop();
  if (redisDir) await rm(redisDir, { recursive: true, force: true });
});

describe("restarting Redis under load", () => {
  it("keeps both services up, reports the outage in readiness, and serves again afterwards without a restart", async () => {
    const [controlPlane] = stack.controlPlanes as [ChaosStack["controlPlanes"][0]];
    const pids = [controlPlane.process.child.pid, stack.relay.process.child.pid];
    const load = startLoad({ baseUrl: () => stack.relay.url, key: stack.clientKey, concurrency: 4, timeoutMs: HANG_MS, pauseMs: 20 });
    await sleep(1_500);

    const stoppedAt = Date.now();
    await stack.redis.close();
    const notReadyAfter = await waitFor("control plane not ready", async () => ((await statusOf(`${controlPlane.httpUrl}/readyz`)) === 503 ? Date.now() - stoppedAt : undefined), 5_000);
    figure(SCENARIO, "control-plane /readyz 503 after Redis stopped", notReadyAfter, "ms");
    figure(SCENARIO, "relay /readyz during the outage", await statusOf(`${stack.relay.url}/readyz`));
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - stoppedAt)));

    const restartedAt = Date.now();
    stack.redis = await startRedis(stack.redisOptions);
    const readyAfter = await waitFor("control plane ready again", async () => ((await statusOf(`${controlPlane.httpUrl}/readyz`)) === 200 ? Date.now() - restartedAt : undefined), 15_000);
    figure(SCENARIO, "control-plane /readyz 200 after Redis restarted", readyAfter, "ms");
    const servingAfter = await waitFor(
      "a request succeeds again",
      async () => load.answers.find((a) => a.startedAt >= restartedAt && a.status === 200)?.endedAt,
      15_000,
    );
    figure(SCENARIO, "first successful request after Redis restarted", servingAfter - restartedAt, "ms");
    await sleep(2_000);
    const answers = await load.stop();

    const during = answers.filter((a) => a.endedAt > stoppedAt && a.startedAt < servingAfter);
    const after = answers.filter((a) => a.startedAt > servingAfter);
    const slowest = Math.max(...answers.map((a) => a.endedAt - a.startedAt));
    figure(SCENARIO, "outage", OUTAGE_MS, "ms");
    figure(SCENARIO, "answers during the outage", JSON.stringify(tally(during)));
    figure(SCENARIO, "answers after recovery", JSON.stringify(tally(after)));
    figure(SCENARIO, "slowest answer", slowest, "ms");

    expect(notReadyAfter).toBeLessThan(5_000);
    expect(during.filter((a) => a.status !== 200).every((a) => a.status === 503 && a.errorType === "overloaded_error")).toBe(true);
    expect(slowest).toBeLessThan(HANG_MS);
    expect(after.length).toBeGreaterThan(4);
    expect(after.every((a) => a.status === 200)).toBe(true);
    expect(isRunning(controlPlane.process) && isRunning(stack.relay.process)).toBe(true);
    expect([controlPlane.process.child.pid, stack.relay.process.child.pid]).toEqual(pids);
    expect((await sendMessage(stack.relay.url, stack.clientKey)).status).toBe(200);
  });
});
