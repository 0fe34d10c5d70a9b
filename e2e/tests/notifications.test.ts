/**
 * Webhook notifications on the built processes: two control planes on our own
 * redis-server, a relay in front of each, the mock Anthropic upstream and a
 * loopback webhook receiver. Requests go through the relays; the upstream's
 * answers are what turn the account unauthorized or rate-limited. The
 * receiver gets each change once, signed, within 5 s, including the end of a
 * rate limit that nothing but time lifted, and a delivery it refused twice
 * arrives on the third try.
 */
import { createHmac } from "node:crypto";
import { NotificationEventType, NotificationFormat } from "@claude-relay/proto/admin";
import { startWebhookReceiver, type ReceivedHook, type WebhookReceiver } from "@claude-relay/testkit";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { adminClients, startReplica, startStack, type AdminClients, type Replica, type Stack } from "./support/stack.js";

// Retries 300 ms apart; the quiet time stays the default (2 s).
const CONTROL_PLANE_ENV = { CONTROL_PLANE_NOTIFY_RETRY_BASE_MS: "300" };

let stack: Stack;
let second: Replica;
let admin: AdminClients;
let receiver: WebhookReceiver;
let secret = "";
let targetId = "";
let accountId = "";

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  stack = await startStack({ controlPlaneEnv: CONTROL_PLANE_ENV });
  second = await startReplica(stack, { controlPlaneEnv: CONTROL_PLANE_ENV });
  admin = await adminClients(stack.adminUrl);
  const created = await admin.notifications.createNotificationTarget({
    name: "ops",
    url: receiver.url,
    format: NotificationFormat.GENERIC,
    events: [NotificationEventType.ACCOUNT_UNAUTHORIZED, NotificationEventType.ACCOUNT_RATE_LIMITED, NotificationEventType.ACCOUNT_RECOVERED],
    enabled: true,
  });
  secret = created.secret;
  targetId = created.target?.id ?? "";
  accountId = (await admin.accounts.listAccounts({})).accounts[0]?.id ?? "";
}, 60_000);

afterAll(async () => {
  await second?.stop();
  await stack?.stop();
  await receiver?.close();
});

/** One request through a relay; resolves with its status once the answer is read. */
async function request(relayUrl: string): Promise<number> {
  const res = await fetch(`${relayUrl}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": stack.clientKey, "anthropic-version": "2023-06-01" },
    body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: "hi" }] }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Waits for the receiver's nth request. */
async function nth(n: number, timeout = 5_000): Promise<ReceivedHook> {
  await vi.waitFor(() => expect(receiver.received.length).toBeGreaterThanOrEqual(n), { timeout, interval: 25 });
  return receiver.received[n - 1]!;
}

const bodyOf = (hook: ReceivedHook) => JSON.parse(hook.body) as { id: string; type: string; count: number; data: { account: { id: string; name: string }; from?: string } };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("webhook notifications across two control planes", () => {
  it("sends one signed event within 5 s of an account turning unauthorized, and one when an admin brings it back", async () => {
    stack.mock.enqueue({ kind: "error", status: 401, message: "invalid x-api-key" });
    const sentAtMs = Date.now();
    expect(await request(second.relayUrl)).toBe(401);

    const hook = await nth(1);
    expect(hook.atMs - sentAtMs).toBeLessThan(5_000);
    const expected = createHmac("sha256", secret).update(`${hook.headers["x-claude-relay-timestamp"]}.${hook.body}`).digest("hex");
    expect(hook.headers["x-claude-relay-signature"]).toBe(`sha256=${expected}`);
    expect(bodyOf(hook)).toMatchObject({ type: "account.unauthorized", count: 1, data: { account: { id: accountId, name: "account-1" } } });
    for (const credential of [stack.upstreamKey, stack.clientKey, secret]) expect(hook.body).not.toContain(credential);

    const resetAtMs = Date.now();
    await second.admin.accounts.resetAccountHealth({ id: accountId });
    const recovered = await nth(2);
    expect(recovered.atMs - resetAtMs).toBeLessThan(5_000);
    expect(bodyOf(recovered)).toMatchObject({ type: "account.recovered", data: { account: { id: accountId }, from: "unauthorized" } });

    // Both control planes poll the one queue: nothing arrives twice.
    await sleep(2_000);
    expect(receiver.received.map((r) => bodyOf(r).type)).toEqual(["account.unauthorized", "account.recovered"]);
  }, 30_000);

  it("retries a receiver that failed twice, and tells once that a rate limit ran out with no request to notice it", async () => {
    receiver.received.length = 0;
    receiver.answer(500, 500);
    stack.mock.enqueue({ kind: "error", status: 429, headers: { "retry-after": "2" } });
    const sentAtMs = Date.now();
    expect(await request(stack.relayUrl)).toBe(429);

    // The rate limit: refused twice, taken on the third try, the same message each time.
    const third = await nth(3, 8_000);
    expect(receiver.received.slice(0, 3).map((r) => bodyOf(r).id)).toEqual(Array(3).fill(bodyOf(third).id));
    expect(bodyOf(third)).toMatchObject({ type: "account.rate_limited", data: { account: { id: accountId } } });

    // Its end, noticed by the control planes' sweep: no request has come since.
    const recovered = await nth(4, 8_000);
    expect(recovered.atMs - (sentAtMs + 2_000)).toBeLessThan(5_000);
    expect(bodyOf(recovered)).toMatchObject({ type: "account.recovered", data: { account: { id: accountId }, from: "rate_limited" } });
    await sleep(2_000);
    expect(receiver.received).toHaveLength(4);

    const { deliveries } = await admin.notifications.listNotificationDeliveries({ targetId });
    expect(deliveries.slice(0, 2).map((d) => [d.event, d.attempts, d.delivered])).toEqual([
      [NotificationEventType.ACCOUNT_RECOVERED, 1, true],
      [NotificationEventType.ACCOUNT_RATE_LIMITED, 3, true],
    ]);
  }, 30_000);
});
