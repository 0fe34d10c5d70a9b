import { createHmac, randomBytes } from "node:crypto";
import { createLogger } from "@claude-relay/logging";
import { startRedis, startWebhookReceiver, type TestRedis, type WebhookReceiver } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createCredentialCipher } from "../accounts/credential-cipher.js";
import { createRedis } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { createDeliveryLog, type DeliveryLog } from "./delivery-log.js";
import { createDeliveryLoop, type DeliveryLoop } from "./delivery-loop.js";
import type { NotificationEvent } from "./notification-event.js";
import { createNotificationQueue, type NotificationQueue } from "./notification-queue.js";
import { createNotificationTargetStore, type NotificationTargetStore } from "./target-store.js";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from "./webhook-formats.js";
import { createWebhookSender } from "./webhook-sender.js";

const log = createLogger({ service: "control-plane", level: "silent" });
const cipher = createCredentialCipher(randomBytes(32));
const unauthorized = (accountId: string): NotificationEvent => ({
  type: "account.unauthorized",
  atMs: Date.now(),
  account: { id: accountId, name: `name-${accountId}`, platform: "claude" },
  reason: "upstream answered 401",
  untilMs: 0,
});

let server: TestRedis;
let redis: Redis;
let keys: RedisKeys;
let receiver: WebhookReceiver;
let targets: NotificationTargetStore;
let deliveryLog: DeliveryLog;
let queue: NotificationQueue;
const loops: DeliveryLoop[] = [];

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url);
});

afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

beforeEach(async () => {
  keys = createRedisKeys({ prefix: `t-${randomBytes(6).toString("hex")}` });
  receiver = await startWebhookReceiver();
  targets = createNotificationTargetStore({ redis, keys, cipher });
  deliveryLog = createDeliveryLog({ redis, keys });
  queue = createNotificationQueue({ redis, keys, quietMs: 100, foldWindowMs: 2_000, claimMs: 5_000 });
});

afterEach(async () => {
  await Promise.all(loops.splice(0).map((loop) => loop.stop()));
  await receiver.close();
});

/** A loop of one replica: its own queue object and sender over the shared Redis. */
function startLoop(overrides: { retryBaseMs?: number; maxAttempts?: number } = {}): DeliveryLoop {
  const loop = createDeliveryLoop({
    queue: createNotificationQueue({ redis, keys, quietMs: 100, foldWindowMs: 2_000, claimMs: 5_000 }),
    targets,
    deliveryLog,
    send: createWebhookSender({ timeoutMs: 2_000 }),
    log,
    pollMs: 20,
    retryBaseMs: overrides.retryBaseMs ?? 200,
    ...(overrides.maxAttempts !== undefined && { maxAttempts: overrides.maxAttempts }),
  });
  loop.start();
  loops.push(loop);
  return loop;
}

describe("notification delivery", () => {
  it("delivers a signed event once when two loops share the Redis", async () => {
    const { record, secret } = await targets.create({ name: "ops", url: receiver.url, format: "generic", events: [], enabled: true });
    startLoop();
    startLoop();
    await queue.enqueue(unauthorized("a1"));
    await vi.waitFor(() => expect(receiver.received).toHaveLength(1), { timeout: 5_000, interval: 20 });
    // Long enough for a second copy to show up, if either loop were to send one.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.received).toHaveLength(1);
    const hook = receiver.received[0]!;
    const expected = createHmac("sha256", secret).update(`${hook.headers[TIMESTAMP_HEADER]}.${hook.body}`).digest("hex");
    expect(hook.headers[SIGNATURE_HEADER]).toBe(`sha256=${expected}`);
    expect(JSON.parse(hook.body)).toMatchObject({ type: "account.unauthorized", count: 1, data: { account: { id: "a1" } } });
    await vi.waitFor(async () => expect(await deliveryLog.list(record.id)).toMatchObject([{ event: "account.unauthorized", statusCode: 200, attempts: 1, delivered: true }]));
  });

  it("delivers on the third try to a target that failed twice, backing off between tries", async () => {
    const { record } = await targets.create({ name: "flaky", url: receiver.url, format: "slack", events: ["account.unauthorized"], enabled: true });
    receiver.answer(500, 500);
    startLoop();
    await queue.enqueue(unauthorized("a2"));
    await vi.waitFor(() => expect(receiver.received).toHaveLength(3), { timeout: 5_000, interval: 20 });
    const [first, second, third] = receiver.received.map((r) => r.atMs) as [number, number, number];
    expect(second - first).toBeGreaterThanOrEqual(180);
    expect(third - second).toBeGreaterThanOrEqual(380);
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    await vi.waitFor(async () => expect(await deliveryLog.list(record.id)).toMatchObject([{ statusCode: 200, attempts: 3, delivered: true, error: "" }]));
  });

  it("gives up after the last try and logs the failure", async () => {
    const { record } = await targets.create({ name: "down", url: receiver.url, format: "wecom", events: [], enabled: true });
    receiver.answer(503, 503, 503);
    startLoop({ retryBaseMs: 50, maxAttempts: 2 });
    await queue.enqueue(unauthorized("a3"));
    await vi.waitFor(async () => expect(await deliveryLog.list(record.id)).toMatchObject([{ statusCode: 503, attempts: 2, delivered: false, error: "the target answered 503" }]), {
      timeout: 5_000,
    });
    expect(receiver.received).toHaveLength(2);
  });

  it("does not retry a refusal a retry cannot fix", async () => {
    const { record } = await targets.create({ name: "gone", url: receiver.url, format: "discord", events: [], enabled: true });
    receiver.answer(404);
    startLoop();
    await queue.enqueue(unauthorized("a4"));
    await vi.waitFor(async () => expect(await deliveryLog.list(record.id)).toMatchObject([{ statusCode: 404, attempts: 1, delivered: false }]), { timeout: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received).toHaveLength(1);
  });

  it("folds a burst of 10 identical events into one message with count 10, apart from another subject's", async () => {
    await targets.create({ name: "ops", url: receiver.url, format: "generic", events: [], enabled: true });
    startLoop();
    startLoop();
    await Promise.all(Array.from({ length: 10 }, () => queue.enqueue(unauthorized("burst"))));
    await queue.enqueue(unauthorized("other"));
    await vi.waitFor(() => expect(receiver.received).toHaveLength(2), { timeout: 5_000, interval: 20 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const bodies = receiver.received.map((r) => JSON.parse(r.body) as { count: number; data: { account: { id: string } } });
    expect(bodies.map((b) => [b.data.account.id, b.count]).sort()).toEqual([
      ["burst", 10],
      ["other", 1],
    ]);
  });

  it("sends only to enabled targets that want the event", async () => {
    const other = await startWebhookReceiver();
    try {
      await targets.create({ name: "wants-bans", url: other.url, format: "generic", events: ["account.banned"], enabled: true });
      await targets.create({ name: "off", url: other.url, format: "generic", events: [], enabled: false });
      await targets.create({ name: "all", url: receiver.url, format: "generic", events: [], enabled: true });
      startLoop();
      await queue.enqueue(unauthorized("a5"));
      await vi.waitFor(() => expect(receiver.received).toHaveLength(1), { timeout: 5_000, interval: 20 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(other.received).toHaveLength(0);
    } finally {
      await other.close();
    }
  });
});
