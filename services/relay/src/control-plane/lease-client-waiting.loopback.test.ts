import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createRequestAbort } from "../proxy/request-abort.js";
import { type FakeLeaseServer, startFakeLeaseServer } from "./fake-lease-server.test-helper.js";
import { createLeaseClient, type LeaseClient } from "./lease-client.js";

const TOKEN = "lease-client-wait-token-000";
const waitingInit = { keyHash: "cd".repeat(32), model: "claude-x", requestId: "req_wait", maxWaitMs: 3_000 };

let fake: FakeLeaseServer;
let client: LeaseClient;

beforeAll(async () => {
  fake = await startFakeLeaseServer({ accounts: [{ id: "acct-1", baseUrl: "https://api.example" }], token: TOKEN });
  client = createLeaseClient({ target: fake.target, token: TOKEN, deadlineMs: 500, streams: 1 });
});

afterAll(async () => {
  await client?.close();
  await fake?.close();
});

beforeEach(() => {
  fake.exchangeMessages.length = 0;
  fake.announceQueued(undefined);
});

describe("createLeaseClient: an Acquire that may wait in the queue", () => {
  it("sends max_wait_ms and, once told it is queued, waits that long on top of its deadline", async () => {
    fake.announceQueued(2_000);
    fake.enqueueAcquire({ lease: {}, delayMs: 1_200 });
    const result = await client.acquire(waitingInit);
    expect(result.kind).toBe("lease");
    expect(fake.acquires.at(-1)?.maxWaitMs).toBe(3_000);
    if (result.kind === "lease") await client.release({ leaseId: result.lease.leaseId });
  });

  it("keeps the plain deadline for an Acquire that may wait but was not queued", async () => {
    fake.enqueueAcquire({ lease: {}, delayMs: 1_200 });
    const result = await client.acquire(waitingInit);
    expect(result).toMatchObject({ kind: "error", error: { grpcCode: status.DEADLINE_EXCEEDED } });
    await fake.waitForAllReleased(3_000);
  });

  it("keeps the plain deadline when the queue's wait is shorter than the answer", async () => {
    fake.announceQueued(200);
    fake.enqueueAcquire({ lease: {}, delayMs: 1_500 });
    const started = Date.now();
    const result = await client.acquire(waitingInit);
    expect(result).toMatchObject({ kind: "error", error: { grpcCode: status.DEADLINE_EXCEEDED } });
    // 200 ms of wait on top of the 500 ms deadline.
    expect(Date.now() - started).toBeGreaterThanOrEqual(650);
    expect(Date.now() - started).toBeLessThan(1_400);
    await fake.waitForAllReleased(3_000);
  });

  it("cancels the call on the stream when its request is aborted, and releases a lease granted meanwhile", async () => {
    fake.enqueueAcquire({ lease: {}, delayMs: 400 });
    const abort = createRequestAbort();
    const pending = client.acquire(waitingInit, abort);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const released = fake.releases.length;
    abort.abort(new Error("client went away"));
    const result = await pending;
    expect(result).toMatchObject({ kind: "error", error: { grpcCode: status.CANCELLED } });
    const acquire = fake.exchangeMessages.find((m) => m.call.case === "acquire");
    await new Promise((resolve) => setTimeout(resolve, 50));
    const cancel = fake.exchangeMessages.find((m) => m.call.case === "cancel");
    expect(cancel?.call.case === "cancel" && cancel.call.value.callId).toBe(acquire?.callId);
    // The fake (like a control plane older than the queue) still grants it: the lease goes back at once.
    await fake.waitForReleases(released + 1, 2_000);
  });

  it("does not send an Acquire whose request was aborted before it left", async () => {
    const abort = createRequestAbort();
    abort.abort(new Error("gone"));
    const result = await client.acquire(waitingInit, abort);
    expect(result).toMatchObject({ kind: "error", error: { grpcCode: status.CANCELLED } });
    expect(fake.exchangeMessages.some((m) => m.call.case === "acquire")).toBe(false);
  });

  it("sends a queued Acquire again on a new stream when its stream breaks, while its time lasts", async () => {
    fake.announceQueued(2_000);
    fake.enqueueAcquire({ lease: {}, delayMs: 300 });
    const pending = client.acquire(waitingInit);
    await new Promise((resolve) => setTimeout(resolve, 100));
    fake.breakExchanges();
    const result = await pending;
    expect(result.kind).toBe("lease");
    const sent = fake.exchangeMessages.filter((m) => m.call.case === "acquire");
    expect(sent.length).toBe(2);
    expect(sent.every((m) => m.call.case === "acquire" && m.call.value.requestId === "req_wait")).toBe(true);
    if (result.kind === "lease") await client.release({ leaseId: result.lease.leaseId });
  });
});
