import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { AcquireRequestSchema, CancelCallSchema, OutcomeKind, ReleaseRequestSchema, RefusalReason, type ExchangeRequest, type ExchangeResponse } from "@claude-relay/proto/lease";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../keys/api-key-store.js";
import { waitGroupOf } from "../leases/wait-group.js";
import { openExchange, startHarness, type Harness } from "./lease-server.test-helper.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const acquireCall = (keyHash: string, requestId: string, maxWaitMs = 10_000): ExchangeRequest["call"] => ({
  case: "acquire",
  value: create(AcquireRequestSchema, { keyHash, model: "claude-sonnet-4-5", requestId, maxWaitMs }),
});
const releaseCall = (leaseId: string): ExchangeRequest["call"] => ({ case: "release", value: create(ReleaseRequestSchema, { leaseId, outcome: { kind: OutcomeKind.SUCCESS, status: 200 } }) });

function leaseIdOf(result: ExchangeResponse["result"]): string {
  if (result.case !== "acquire" || result.value.result.case !== "lease") throw new Error(`expected a lease, got ${JSON.stringify(result)}`);
  return result.value.result.value.leaseId;
}

let redisServer: TestRedis;
let h: Harness;
let keyHash: string;
const line = () => h.redis.zcard(h.keys.waitQueue(waitGroupOf("claude", { accountId: "", group: "" }).id, "line"));

beforeAll(async () => {
  redisServer = await startRedis();
  h = await startHarness(redisServer.url, { queue: { waitMs: 10_000 } });
  await h.accounts.create({ name: "one", type: "claude-console", maxConcurrentTasks: 1, credential: { kind: "api-key", apiKey: "sk-ant-one" } });
  keyHash = hashApiKey((await h.apiKeys.create({ name: "queue" })).plaintextKey);
});

afterAll(async () => {
  await h?.close();
  await redisServer?.close();
});

describe("Exchange with the wait queue", () => {
  it("holds an Acquire until a slot frees, while the stream's other calls go on", async () => {
    const stream = openExchange(h.client);
    const holder = leaseIdOf(await stream.call(1, acquireCall(keyHash, "holder")));
    const waiting = stream.call(2, acquireCall(keyHash, "waiter"));
    await sleep(100);
    expect(await line()).toBe(1);
    // Told before its answer that it waits, and how long it may.
    expect(stream.queued.get(2)).toEqual({ place: 0, waitMs: 10_000 });
    expect(stream.queued.has(1)).toBe(false);
    // A release on the same stream is answered while the Acquire waits, and frees its slot.
    expect((await stream.call(3, releaseCall(holder))).case).toBe("release");
    const next = leaseIdOf(await waiting);
    expect(await line()).toBe(0);
    await stream.call(4, releaseCall(next));
    stream.halfClose();
    await stream.status;
  });

  it("answers an Acquire with max_wait_ms 0 at once, as a caller older than the queue gets", async () => {
    const stream = openExchange(h.client);
    const holder = leaseIdOf(await stream.call(1, acquireCall(keyHash, "holder", 0)));
    const refused = await stream.call(2, acquireCall(keyHash, "old-relay", 0));
    expect(refused.case === "acquire" && refused.value.result.case === "refusal" && refused.value.result.value.reason).toBe(RefusalReason.NO_ACCOUNT);
    await stream.call(3, releaseCall(holder));
    stream.halfClose();
    await stream.status;
  });

  it("takes a waiter out of the line when its caller cancels the call", async () => {
    const stream = openExchange(h.client);
    const holder = leaseIdOf(await stream.call(1, acquireCall(keyHash, "holder")));
    const waiting = stream.call(2, acquireCall(keyHash, "quitter"));
    await sleep(100);
    expect(await line()).toBe(1);
    const cancelled = await stream.call(3, { case: "cancel", value: create(CancelCallSchema, { callId: 2 }) });
    expect(cancelled).toMatchObject({ case: "cancel", value: { cancelled: true } });
    const answer = await waiting;
    expect(answer.case === "acquire" && answer.value.result.case).toBe("refusal");
    expect(await line()).toBe(0);
    // A call that already ended is no error.
    expect(await stream.call(4, { case: "cancel", value: create(CancelCallSchema, { callId: 2 }) })).toMatchObject({ case: "cancel", value: { cancelled: false } });
    await stream.call(5, releaseCall(holder));
    stream.halfClose();
    await stream.status;
  });

  it("takes a stream's waiters out of the line when the stream goes away", async () => {
    const stream = openExchange(h.client);
    const other = openExchange(h.client);
    const holder = leaseIdOf(await other.call(1, acquireCall(keyHash, "holder")));
    void stream.call(1, acquireCall(keyHash, "gone-1")).catch(() => {});
    void stream.call(2, acquireCall(keyHash, "gone-2")).catch(() => {});
    await sleep(100);
    expect(await line()).toBe(2);
    stream.cancel();
    const cancelledAt = Date.now();
    while ((await line()) > 0 && Date.now() - cancelledAt < 1_000) await sleep(10);
    expect(await line()).toBe(0);
    expect(Date.now() - cancelledAt).toBeLessThan(100);
    await other.call(2, releaseCall(holder));
    other.halfClose();
    await other.status;
  });

  it("lets a waiter of a stream its caller half-closed wait on, the stream ending after its answer", async () => {
    const stream = openExchange(h.client);
    const other = openExchange(h.client);
    const holder = leaseIdOf(await other.call(1, acquireCall(keyHash, "holder")));
    const waiting = stream.call(1, acquireCall(keyHash, "retiring"));
    await sleep(100);
    stream.halfClose();
    await sleep(50);
    expect(stream.ended).toBe(false);
    await other.call(2, releaseCall(holder));
    const lease = leaseIdOf(await waiting);
    expect((await stream.status).code).toBe(grpc.status.OK);
    await other.call(3, releaseCall(lease));
    other.halfClose();
    await other.status;
  });

  it("hands waiters back UNAVAILABLE when the control plane closes, keeping their places for another replica", async () => {
    const closing = await startHarness(redisServer.url, { keys: h.keys, queue: { waitMs: 10_000 } });
    const stream = openExchange(closing.client);
    const other = openExchange(h.client);
    const holder = leaseIdOf(await other.call(1, acquireCall(keyHash, "holder")));
    const waiting = stream.call(1, acquireCall(keyHash, "handed-back"));
    await sleep(100);
    const closed = closing.close();
    expect(await waiting).toMatchObject({ case: "error", value: { code: grpc.status.UNAVAILABLE } });
    await closed;
    // Its place is kept until it comes back or its time to be renewed runs out.
    expect(await line()).toBe(1);
    const later = other.call(2, acquireCall(keyHash, "later"));
    await sleep(50);
    const back = other.call(3, acquireCall(keyHash, "handed-back"));
    await other.call(4, releaseCall(holder));
    const first = await Promise.race([back.then(() => "handed-back"), later.then(() => "later")]);
    expect(first).toBe("handed-back");
    await other.call(5, releaseCall(leaseIdOf(await back)));
    await other.call(6, releaseCall(leaseIdOf(await later)));
    expect(await line()).toBe(0);
    other.halfClose();
    await other.status;
  });
});
