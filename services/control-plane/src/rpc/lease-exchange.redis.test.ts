import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  AcquireRequestSchema,
  OutcomeKind,
  ReleaseRequestSchema,
  RenewRequestSchema,
  type ExchangeRequest,
  type ExchangeResponse,
  type Lease,
} from "@claude-relay/proto/lease";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { hashApiKey } from "../keys/api-key-store.js";
import { createGate, openExchange, startHarness, TTL, type Harness, type HarnessOptions } from "./lease-server.test-helper.js";

type Method = "acquire" | "renew" | "release";
type Gate = ReturnType<typeof createGate>;

/** Domain calls started, and gates that hold them, per method; reset before each test. */
let started: Record<Method, number>;
let holds: Partial<Record<Method, Gate>>;
let draining = false;

const controlled: HarnessOptions = {
  isDraining: () => draining,
  beforeCall: async (method) => {
    started[method]++;
    await holds[method]?.wait();
  },
};

const acquireCall = (keyHash: string, model = "claude-sonnet-4-5"): ExchangeRequest["call"] => ({ case: "acquire", value: create(AcquireRequestSchema, { keyHash, model }) });
const renewCall = (leaseId: string): ExchangeRequest["call"] => ({ case: "renew", value: create(RenewRequestSchema, { leaseId }) });
const releaseCall = (leaseId: string): ExchangeRequest["call"] => ({
  case: "release",
  value: create(ReleaseRequestSchema, { leaseId, outcome: { kind: OutcomeKind.SUCCESS, status: 200 }, usage: { model: "claude-sonnet-4-5", inputTokens: 7, outputTokens: 9 } }),
});

function leaseOf(result: ExchangeResponse["result"]): Lease {
  if (result.case !== "acquire" || result.value.result.case !== "lease") throw new Error(`expected a lease, got ${JSON.stringify(result)}`);
  return result.value.result.value;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let redisServer: TestRedis;
let h: Harness;
let keyHash: string;

beforeAll(async () => {
  redisServer = await startRedis();
  h = await startHarness(redisServer.url, controlled);
  await h.accounts.create({ name: "exchange", type: "claude-console", priority: 1, credential: { kind: "api-key", apiKey: "sk-ant-exchange" } });
  keyHash = hashApiKey((await h.apiKeys.create({ name: "exchange" })).plaintextKey);
});

afterAll(async () => {
  await h?.close();
  await redisServer?.close();
});

beforeEach(() => {
  started = { acquire: 0, renew: 0, release: 0 };
  holds = {};
  draining = false;
});

/** A harness of its own with an account and a key (whose hash it passes on), for tests that close the server. */
async function withOwnServer(test: (own: Harness, keyHash: string) => Promise<void>): Promise<void> {
  const own = await startHarness(redisServer.url, controlled);
  try {
    await own.accounts.create({ name: "own", type: "claude-console", priority: 1, credential: { kind: "api-key", apiKey: "sk-ant-own" } });
    await test(own, hashApiKey((await own.apiKeys.create({ name: "own" })).plaintextKey));
  } finally {
    await own.close();
  }
}

describe("lease exchange", () => {
  it("acquires, renews and releases over one stream, each answer carrying its call id", async () => {
    const stream = openExchange(h.client);
    const lease = leaseOf(await stream.call(1, acquireCall(keyHash)));
    expect(lease.ttlMs).toBe(TTL);
    expect(await stream.call(2, renewCall(lease.leaseId))).toMatchObject({ case: "renew", value: { ttlMs: TTL } });
    expect((await stream.call(3, releaseCall(lease.leaseId))).case).toBe("release");
    expect(stream.answered).toEqual([1, 2, 3]);
    expect(await h.redis.zscore(h.keys.apiKeyLeases(lease.keyId), lease.leaseId)).toBeNull();

    const rpc = await h.registry.getSingleMetricAsString("control_plane_rpc_duration_seconds");
    for (const method of ["acquire", "renew", "release"]) expect(rpc).toMatch(new RegExp(`_count\\{[^}]*method="${method}"\\} [1-9]`));
    expect(await h.registry.getSingleMetricAsString("control_plane_acquire_total")).toMatch(/result="lease"[^\n]*\} [1-9]/);
    expect(await h.registry.getSingleMetricAsString("control_plane_releases_total")).toMatch(/outcome="success"[^\n]*\} [1-9]/);

    stream.halfClose();
    expect((await stream.status).code).toBe(grpc.status.OK);
  });

  it("answers concurrent acquires on one stream, each with its own call id", async () => {
    const { record, plaintextKey } = await h.apiKeys.create({ name: "concurrent" });
    const stream = openExchange(h.client);
    const ids = [10, 11, 12, 13, 14, 15, 16, 17];
    const leases = (await Promise.all(ids.map((id) => stream.call(id, acquireCall(hashApiKey(plaintextKey)))))).map(leaseOf);
    expect(new Set(leases.map((l) => l.leaseId)).size).toBe(ids.length);
    expect([...stream.answered].sort((a, b) => a - b)).toEqual(ids);
    expect(await h.redis.zcard(h.keys.apiKeyLeases(record.id))).toBe(ids.length);
    stream.cancel();
  });

  it("answers a call as soon as it is done, before an earlier call still in flight", async () => {
    holds.renew = createGate();
    const stream = openExchange(h.client);
    const renew = stream.call(1, renewCall("acct.key.slow"));
    await vi.waitFor(() => expect(started.renew).toBe(1));
    leaseOf(await stream.call(2, acquireCall(keyHash)));
    expect(stream.answered).toEqual([2]);
    holds.renew.open();
    expect((await renew).case).toBe("error");
    expect(stream.answered).toEqual([2, 1]);
    stream.cancel();
  });

  it("answers bad calls with INVALID_ARGUMENT and goes on serving the stream", async () => {
    const stream = openExchange(h.client);
    expect(await stream.call(1, acquireCall("not-hex"))).toMatchObject({ case: "error", value: { code: grpc.status.INVALID_ARGUMENT, message: expect.stringContaining("key_hash") } });
    expect(await stream.call(2, { case: undefined })).toMatchObject({ case: "error", value: { code: grpc.status.INVALID_ARGUMENT } });
    expect(await stream.call(3, renewCall("nope"))).toMatchObject({ case: "error", value: { code: grpc.status.INVALID_ARGUMENT } });
    expect(await stream.call(4, releaseCall(""))).toMatchObject({ case: "error", value: { code: grpc.status.INVALID_ARGUMENT } });
    leaseOf(await stream.call(5, acquireCall(keyHash)));
    expect(stream.ended).toBe(false);
    stream.cancel();
  });

  it("answers NOT_FOUND for the renewal of a lease that was never issued", async () => {
    const stream = openExchange(h.client);
    expect(await stream.call(7, renewCall("acct.key.random"))).toEqual(
      expect.objectContaining({ case: "error", value: expect.objectContaining({ code: grpc.status.NOT_FOUND, message: "lease not found or expired" }) }),
    );
    stream.cancel();
  });

  it("ends a stream without the internal token or with a wrong one UNAUTHENTICATED, running none of its calls", async () => {
    for (const token of [null, "wrong-token"]) {
      const stream = openExchange(h.client, token);
      const calls = [stream.call(1, acquireCall(keyHash)), stream.call(2, renewCall("acct.key.random"))];
      expect((await stream.status).code).toBe(grpc.status.UNAUTHENTICATED);
      for (const call of calls) await expect(call).rejects.toThrow(/before call/);
      expect(stream.answered).toEqual([]);
    }
    expect(started).toEqual({ acquire: 0, renew: 0, release: 0 });
  });

  it("answers Acquire UNAVAILABLE while draining and still serves Renew and Release", async () => {
    const stream = openExchange(h.client);
    const lease = leaseOf(await stream.call(1, acquireCall(keyHash)));
    draining = true;
    expect(await stream.call(2, acquireCall(keyHash))).toMatchObject({ case: "error", value: { code: grpc.status.UNAVAILABLE, message: "control plane is draining" } });
    expect(started.acquire).toBe(1);
    expect((await stream.call(3, renewCall(lease.leaseId))).case).toBe("renew");
    expect((await stream.call(4, releaseCall(lease.leaseId))).case).toBe("release");
    expect(await h.redis.zscore(h.keys.apiKeyLeases(lease.keyId), lease.leaseId)).toBeNull();
    stream.cancel();
  });

  it("ends the server side once the caller half-closes and its last call is answered", async () => {
    holds.renew = createGate();
    const stream = openExchange(h.client);
    const renew = stream.call(1, renewCall("acct.key.random"));
    await vi.waitFor(() => expect(started.renew).toBe(1));
    stream.halfClose();
    await sleep(50);
    expect(stream.ended).toBe(false);
    holds.renew.open();
    expect((await renew).case).toBe("error");
    expect((await stream.status).code).toBe(grpc.status.OK);
  });

  it("survives a caller that cancels with a call in flight", async () => {
    holds.renew = createGate();
    const stream = openExchange(h.client);
    const renew = stream.call(1, renewCall("acct.key.random"));
    await vi.waitFor(() => expect(started.renew).toBe(1));
    stream.cancel();
    expect((await stream.status).code).toBe(grpc.status.CANCELLED);
    await expect(renew).rejects.toThrow(/before call 1/);
    holds.renew.open();
    await sleep(20);
    const next = openExchange(h.client);
    leaseOf(await next.call(1, acquireCall(keyHash)));
    expect(stream.answered).toEqual([]);
    next.cancel();
  });

  it("ends an idle stream with status OK when the server closes", async () => {
    await withOwnServer(async (own, keyHash) => {
      const stream = openExchange(own.client);
      leaseOf(await stream.call(1, acquireCall(keyHash)));
      const begun = Date.now();
      await own.server.close(5_000);
      expect(Date.now() - begun).toBeLessThan(1_000);
      expect(stream.ended).toBe(true);
      expect((await stream.status).code).toBe(grpc.status.OK);
    });
  });

  it("ends a stream with a call in flight only after that call is answered when the server closes", async () => {
    await withOwnServer(async (own, keyHash) => {
      holds.renew = createGate();
      const stream = openExchange(own.client);
      const lease = leaseOf(await stream.call(1, acquireCall(keyHash)));
      const renew = stream.call(2, renewCall(lease.leaseId));
      await vi.waitFor(() => expect(started.renew).toBe(1));
      let closed = false;
      const closing = own.server.close(5_000).then(() => (closed = true));
      // A call that arrives while the stream is ending is refused at once rather than keeping it open.
      expect(await stream.call(3, acquireCall(keyHash))).toMatchObject({ case: "error", value: { code: grpc.status.UNAVAILABLE } });
      await sleep(100);
      expect(stream.ended).toBe(false);
      expect(closed).toBe(false);
      holds.renew.open();
      expect(await renew).toMatchObject({ case: "renew", value: { ttlMs: TTL } });
      expect((await stream.status).code).toBe(grpc.status.OK);
      expect(stream.answered).toEqual([1, 3, 2]);
      await closing;
    });
  });
});
