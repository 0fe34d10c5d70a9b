/**
 * ExchangeBatch on the control plane's side of the lease stream: a batch's
 * calls run together and are answered together, a stream that never sent a
 * batch is answered one message per call (older relays), and with batches
 * off a batch is answered as older control planes answer it.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  AcquireRequestSchema,
  ExchangeBatchSchema,
  ExchangeRequestSchema,
  OutcomeKind,
  ReleaseRequestSchema,
  RenewRequestSchema,
  type ExchangeRequest,
  type ExchangeResponse,
  type Lease,
} from "@claude-relay/proto/lease";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { hashApiKey } from "../keys/api-key-store.js";
import { recordWrites } from "../redis/record-writes.test-helper.js";
import { startHarness, TOKEN, type Harness, type HarnessOptions } from "./lease-server.test-helper.js";

type Call = ExchangeRequest["call"];
type Result = ExchangeResponse["result"];

let draining = false;
let acquiresStarted = 0;
const controlled: HarnessOptions = {
  isDraining: () => draining,
  beforeCall: async (method) => {
    if (method === "acquire") acquiresStarted++;
  },
};

const acquireOf = (keyHash: string): Call => ({ case: "acquire", value: create(AcquireRequestSchema, { keyHash, model: "claude-sonnet-4-5" }) });
const renew = (leaseId: string): Call => ({ case: "renew", value: create(RenewRequestSchema, { leaseId }) });
const release = (leaseId: string): Call => ({
  case: "release",
  value: create(ReleaseRequestSchema, { leaseId, outcome: { kind: OutcomeKind.SUCCESS, status: 200 }, usage: { model: "claude-sonnet-4-5", inputTokens: 1, outputTokens: 1 } }),
});
const batchOf = (calls: Array<{ callId: number; call: Call }>): MessageInitShape<typeof ExchangeRequestSchema> => ({
  callId: 0,
  call: { case: "batch", value: { calls: calls.map((c) => create(ExchangeRequestSchema, c)) } },
});

function leaseOf(result: Result | undefined): Lease {
  if (result?.case !== "acquire" || result.value.result.case !== "lease") throw new Error(`expected a lease, got ${JSON.stringify(result)}`);
  return result.value.result.value;
}

/** An Exchange stream that keeps every message it gets, as it came. */
function openRaw(client: grpc.Client) {
  const metadata = new grpc.Metadata();
  metadata.set("x-internal-token", TOKEN);
  const stream = (client as unknown as { exchange(m: grpc.Metadata): grpc.ClientDuplexStream<ExchangeRequest, ExchangeResponse> }).exchange(metadata);
  const messages: ExchangeResponse[] = [];
  stream.on("data", (message: ExchangeResponse) => messages.push(message));
  stream.on("error", () => {});
  /** Every answer by call id, taken out of batches; an id answered twice throws. */
  const answers = () => {
    const byId = new Map<number, Result>();
    for (const message of messages) {
      const inner = message.result.case === "batch" ? message.result.value.results : [message];
      for (const answer of inner) {
        if (byId.has(answer.callId)) throw new Error(`call ${answer.callId} answered twice`);
        byId.set(answer.callId, answer.result);
      }
    }
    return byId;
  };
  return {
    messages,
    answers,
    send: (message: MessageInitShape<typeof ExchangeRequestSchema>) => stream.write(create(ExchangeRequestSchema, message)),
    async waitForAnswers(n: number, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (answers().size < n) {
        if (Date.now() > deadline) throw new Error(`saw ${answers().size} of ${n} answers`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return answers();
    },
    close: () => stream.cancel(),
  };
}

let redisServer: TestRedis;
let h: Harness;
let keyHash: string;

beforeAll(async () => {
  redisServer = await startRedis();
  h = await startHarness(redisServer.url, controlled);
  await h.accounts.create({ name: "batch", type: "claude-console", priority: 1, credential: { kind: "api-key", apiKey: "sk-ant-batch" } });
  keyHash = hashApiKey((await h.apiKeys.create({ name: "batch" })).plaintextKey);
  // Warm the catalog caches, so every call below takes the same path.
  const warm = openRaw(h.client);
  warm.send({ callId: 1, call: acquireOf(keyHash) });
  const lease = leaseOf((await warm.waitForAnswers(1)).get(1));
  warm.send({ callId: 2, call: release(lease.leaseId) });
  await warm.waitForAnswers(2);
  warm.close();
});

afterAll(async () => {
  await h?.close();
  await redisServer?.close();
});

beforeEach(() => {
  draining = false;
  acquiresStarted = 0;
});

describe("lease exchange batches", () => {
  it("runs the calls of a batch and answers them in one message, each under its own call id", async () => {
    const stream = openRaw(h.client);
    try {
      stream.send(batchOf(Array.from({ length: 20 }, (_, i) => ({ callId: i + 1, call: acquireOf(keyHash) }))));
      const answers = await stream.waitForAnswers(20);
      expect(stream.messages).toHaveLength(1);
      expect(stream.messages[0]?.result.case).toBe("batch");
      expect(stream.messages[0]?.callId).toBe(0);
      const leases = [...answers.values()].map((result) => leaseOf(result).leaseId);
      expect(new Set(leases).size).toBe(20);

      // Renew and Release of all of them travel the same way.
      stream.send(batchOf(leases.flatMap((leaseId, i) => [{ callId: 100 + i, call: renew(leaseId) }])));
      await stream.waitForAnswers(40);
      stream.send(batchOf(leases.map((leaseId, i) => ({ callId: 200 + i, call: release(leaseId) }))));
      const all = await stream.waitForAnswers(60);
      for (let i = 0; i < 20; i++) {
        expect(all.get(100 + i)?.case).toBe("renew");
        expect(all.get(200 + i)?.case).toBe("release");
      }
      expect(stream.messages).toHaveLength(3);
    } finally {
      stream.close();
    }
  });

  it("sends the Redis work of a batch of Acquires in as many writes as one Acquire", async () => {
    const stream = openRaw(h.client);
    try {
      const writes = recordWrites(h.redis);
      stream.send({ callId: 1, call: acquireOf(keyHash) });
      const single = leaseOf((await stream.waitForAnswers(1)).get(1));
      const singleWrites = writes.batches.length;
      writes.batches.length = 0;

      stream.send(batchOf(Array.from({ length: 30 }, (_, i) => ({ callId: 10 + i, call: acquireOf(keyHash) }))));
      const answers = await stream.waitForAnswers(31);
      expect(writes.batches.length).toBe(singleWrites);
      const leases = [single.leaseId, ...Array.from({ length: 30 }, (_, i) => leaseOf(answers.get(10 + i)).leaseId)];
      stream.send(batchOf(leases.map((leaseId, i) => ({ callId: 100 + i, call: release(leaseId) }))));
      await stream.waitForAnswers(62);
    } finally {
      stream.close();
    }
  });

  it("answers a stream that never sent a batch one message per call, as older relays expect", async () => {
    const stream = openRaw(h.client);
    try {
      for (let i = 1; i <= 10; i++) stream.send({ callId: i, call: acquireOf(keyHash) });
      const answers = await stream.waitForAnswers(10);
      expect(stream.messages).toHaveLength(10);
      expect(stream.messages.every((m) => m.result.case === "acquire" && m.callId > 0)).toBe(true);
      for (let i = 1; i <= 10; i++) stream.send({ callId: 10 + i, call: release(leaseOf(answers.get(i)).leaseId) });
      await stream.waitForAnswers(20);
      expect(stream.messages.some((m) => m.result.case === "batch")).toBe(false);
    } finally {
      stream.close();
    }
  });

  it("refuses a batch inside a batch under its own call id and runs the others", async () => {
    const stream = openRaw(h.client);
    try {
      const nested: Call = { case: "batch", value: create(ExchangeBatchSchema, { calls: [create(ExchangeRequestSchema, { callId: 9, call: acquireOf(keyHash) })] }) };
      stream.send(batchOf([{ callId: 1, call: acquireOf(keyHash) }, { callId: 2, call: nested }]));
      const answers = await stream.waitForAnswers(2);
      expect(answers.get(2)).toMatchObject({ case: "error", value: { code: grpc.status.INVALID_ARGUMENT } });
      expect(answers.has(9)).toBe(false);
      stream.send({ callId: 3, call: release(leaseOf(answers.get(1)).leaseId) });
      await stream.waitForAnswers(3);
      expect(acquiresStarted).toBe(1);
    } finally {
      stream.close();
    }
  });

  it("answers each Acquire of a batch UNAVAILABLE while draining and still serves its Releases", async () => {
    const stream = openRaw(h.client);
    try {
      stream.send({ callId: 1, call: acquireOf(keyHash) });
      const lease = leaseOf((await stream.waitForAnswers(1)).get(1));
      draining = true;
      stream.send(batchOf([{ callId: 2, call: acquireOf(keyHash) }, { callId: 3, call: acquireOf(keyHash) }, { callId: 4, call: release(lease.leaseId) }]));
      const answers = await stream.waitForAnswers(4);
      expect(answers.get(2)).toMatchObject({ case: "error", value: { code: grpc.status.UNAVAILABLE } });
      expect(answers.get(3)).toMatchObject({ case: "error", value: { code: grpc.status.UNAVAILABLE } });
      expect(answers.get(4)?.case).toBe("release");
      expect(acquiresStarted).toBe(1);
    } finally {
      stream.close();
    }
  });

  it("answers every call of a batch before ending a stream the server closes", async () => {
    let started = 0;
    let openGate!: () => void;
    const held = new Promise<void>((resolve) => (openGate = resolve));
    const own = await startHarness(redisServer.url, {
      beforeCall: async (method) => {
        if (method !== "acquire") return;
        started++;
        await held;
      },
    });
    await own.accounts.create({ name: "own", type: "claude-console", priority: 1, credential: { kind: "api-key", apiKey: "sk-ant-own" } });
    const ownKeyHash = hashApiKey((await own.apiKeys.create({ name: "own" })).plaintextKey);
    const stream = openRaw(own.client);
    try {
      stream.send(batchOf(Array.from({ length: 5 }, (_, i) => ({ callId: i + 1, call: acquireOf(ownKeyHash) }))));
      while (started < 5) await new Promise((resolve) => setTimeout(resolve, 5));
      const closing = own.server.close(5_000);
      // The stream ends only once every call of the batch is answered.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(stream.answers().size).toBe(0);
      openGate();
      const answers = await stream.waitForAnswers(5);
      await closing;
      const leases = [...answers.values()].map((r) => leaseOf(r).leaseId);
      // Their slots are left to expire: the server that could release them is closed.
      expect(new Set(leases).size).toBe(5);
    } finally {
      stream.close();
      own.client.close();
      own.redis.disconnect();
    }
  });

  it("with batches off, answers a batch as older control planes do: a CallError for call id 0, no call run", async () => {
    const old = await startHarness(redisServer.url, { ...controlled, exchangeBatches: false });
    await old.accounts.create({ name: "old", type: "claude-console", priority: 1, credential: { kind: "api-key", apiKey: "sk-ant-old" } });
    const oldKeyHash = hashApiKey((await old.apiKeys.create({ name: "old" })).plaintextKey);
    const stream = openRaw(old.client);
    try {
      stream.send(batchOf([{ callId: 1, call: acquireOf(oldKeyHash) }, { callId: 2, call: acquireOf(oldKeyHash) }]));
      await stream.waitForAnswers(1);
      expect(stream.messages).toHaveLength(1);
      expect(stream.messages[0]).toMatchObject({ callId: 0, result: { case: "error", value: { code: grpc.status.INVALID_ARGUMENT } } });
      expect(acquiresStarted).toBe(0);
      // Single calls are served as ever.
      stream.send({ callId: 1, call: acquireOf(oldKeyHash) });
      const lease = leaseOf((await stream.waitForAnswers(2)).get(1));
      stream.send({ callId: 2, call: release(lease.leaseId) });
      await stream.waitForAnswers(3);
    } finally {
      stream.close();
      await old.close();
    }
  });
});
