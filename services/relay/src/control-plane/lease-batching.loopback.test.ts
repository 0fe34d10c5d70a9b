/**
 * The lease client with batching on, against the fake lease service: calls
 * made in one turn go out as one message and come back as one, a lone call
 * goes out alone, an older control plane is detected and sent single calls,
 * and a stream that breaks under a batch fails its calls as it fails single ones.
 */
import { status } from "@grpc/grpc-js";
import { OutcomeKind } from "@claude-relay/proto/lease";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeLeaseServer, startFakeLeaseServer } from "./fake-lease-server.test-helper.js";
import { createLeaseClient, type LeaseClient } from "./lease-client.js";

const TOKEN = "lease-batching-test-token-00";
const acquireInit = { keyHash: "ab".repeat(32), model: "claude-x", requestId: "req_1" };
const releaseInit = (leaseId: string) => ({ leaseId, outcome: { kind: OutcomeKind.SUCCESS, status: 200 } });

let fake: FakeLeaseServer | undefined;
let client: LeaseClient | undefined;

afterEach(async () => {
  await client?.close(100);
  await fake?.close();
  client = undefined;
  fake = undefined;
});

async function start(options: { serverBatches: boolean; batchMaxCalls: number }): Promise<{ fake: FakeLeaseServer; client: LeaseClient }> {
  fake = await startFakeLeaseServer({ accounts: [{ id: "acct-1", baseUrl: "https://api.example" }], token: TOKEN, batches: options.serverBatches });
  // One stream, so every call of a turn lands on it.
  client = createLeaseClient({ target: fake.target, token: TOKEN, deadlineMs: 2_000, streams: 1, batchMaxCalls: options.batchMaxCalls });
  // The stream opens with the first call; the messages counted below come after it.
  const first = await client.acquire(acquireInit);
  if (first.kind === "lease") await client.release(releaseInit(first.lease.leaseId));
  fake.exchangeMessages.length = 0;
  fake.exchangeAnswers.length = 0;
  fake.acquires.length = 0;
  return { fake, client };
}

async function leasesOf(results: Awaited<ReturnType<LeaseClient["acquire"]>>[]): Promise<string[]> {
  return results.map((result) => {
    if (result.kind !== "lease") throw new Error(`expected a lease, got ${result.kind}`);
    return result.lease.leaseId;
  });
}

describe("lease client batching", () => {
  it("sends the calls of one turn as one message and takes their answers from one message", async () => {
    const { fake, client } = await start({ serverBatches: true, batchMaxCalls: 256 });
    const leases = await leasesOf(await Promise.all(Array.from({ length: 20 }, () => client.acquire(acquireInit))));
    expect(new Set(leases).size).toBe(20);
    expect(fake.acquires).toHaveLength(20);
    expect(fake.exchangeMessages).toHaveLength(1);
    const [message] = fake.exchangeMessages;
    expect(message?.callId).toBe(0);
    expect(message?.call.case === "batch" && message.call.value.calls.map((c) => c.call.case)).toEqual(Array(20).fill("acquire"));
    expect(new Set(message?.call.case === "batch" ? message.call.value.calls.map((c) => c.callId) : []).size).toBe(20);
    expect(fake.exchangeAnswers).toHaveLength(1);
    expect(fake.exchangeAnswers[0]?.result.case === "batch" && fake.exchangeAnswers[0].result.value.results).toHaveLength(20);

    // Renew and Release of them, issued in one turn, travel together as well.
    await Promise.all([...leases.map((id) => client.renew(id)), ...leases.map((id) => client.release(releaseInit(id)))]);
    expect(fake.exchangeMessages).toHaveLength(2);
    expect(fake.releases).toHaveLength(21);
  });

  it("sends a lone call unwrapped", async () => {
    const { fake, client } = await start({ serverBatches: true, batchMaxCalls: 256 });
    const [leaseId] = await leasesOf([await client.acquire(acquireInit)]);
    expect(fake.exchangeMessages).toHaveLength(1);
    expect(fake.exchangeMessages[0]?.call.case).toBe("acquire");
    expect(fake.exchangeMessages[0]?.callId).toBeGreaterThan(0);
    expect(fake.exchangeAnswers[0]?.result.case).toBe("acquire");
    await client.release(releaseInit(leaseId as string));
  });

  it("caps the calls one message carries", async () => {
    const { fake, client } = await start({ serverBatches: true, batchMaxCalls: 4 });
    const leases = await leasesOf(await Promise.all(Array.from({ length: 10 }, () => client.acquire(acquireInit))));
    expect(fake.exchangeMessages.map((m) => (m.call.case === "batch" ? m.call.value.calls.length : 1))).toEqual([4, 4, 2]);
    await Promise.all(leases.map((id) => client.release(releaseInit(id))));
  });

  it("sends every call alone with batching off, and a batching control plane answers each alone", async () => {
    const { fake, client } = await start({ serverBatches: true, batchMaxCalls: 0 });
    const leases = await leasesOf(await Promise.all(Array.from({ length: 10 }, () => client.acquire(acquireInit))));
    expect(fake.exchangeMessages).toHaveLength(10);
    expect(fake.exchangeMessages.every((m) => m.call.case === "acquire")).toBe(true);
    expect(fake.exchangeAnswers.every((m) => m.result.case === "acquire")).toBe(true);
    await Promise.all(leases.map((id) => client.release(releaseInit(id))));
  });

  it("falls back to single calls on a stream whose control plane does not know batches, running each call once", async () => {
    const { fake, client } = await start({ serverBatches: false, batchMaxCalls: 256 });
    const leases = await leasesOf(await Promise.all(Array.from({ length: 10 }, () => client.acquire(acquireInit))));
    expect(new Set(leases).size).toBe(10);
    // The batch was refused whole (a CallError for call id 0), then each call went alone.
    expect(fake.exchangeMessages.map((m) => m.call.case)).toEqual(["batch", ...Array(10).fill("acquire")]);
    expect(fake.exchangeAnswers[0]).toMatchObject({ callId: 0, result: { case: "error", value: { code: status.INVALID_ARGUMENT } } });
    expect(fake.acquires).toHaveLength(10);

    // No batch is tried on that stream again.
    await Promise.all(leases.map((id) => client.release(releaseInit(id))));
    expect(fake.exchangeMessages.slice(11).every((m) => m.call.case === "release")).toBe(true);
    expect(fake.exchangeMessages).toHaveLength(21);
    await fake.waitForAllReleased();
  });

  it("fails the calls of a batch on a stream that breaks, as it fails single calls, each once", async () => {
    const { fake, client } = await start({ serverBatches: true, batchMaxCalls: 256 });
    fake.enqueueAcquire(...Array.from({ length: 8 }, () => ({ lease: {}, delayMs: 1_000 })));
    const pending = Promise.all(Array.from({ length: 8 }, () => client.acquire(acquireInit)));
    const deadline = Date.now() + 2_000;
    while (fake.acquires.length < 8 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    fake.breakExchanges();
    const results = await pending;
    for (const result of results) {
      expect(result.kind).toBe("error");
      if (result.kind === "error") expect(result.error.grpcCode).toBe(status.UNAVAILABLE);
    }
    // Not retried: a broken stream may have run them.
    expect(fake.acquires).toHaveLength(8);
    // The next turn's calls go out on a new stream, batched again.
    const after = await leasesOf(await Promise.all(Array.from({ length: 3 }, () => client.acquire(acquireInit))));
    expect(fake.exchangeCount()).toBe(2);
    expect(fake.exchangeMessages.at(-1)?.call.case).toBe("batch");
    await Promise.all(after.map((id) => client.release(releaseInit(id))));
  });
});
