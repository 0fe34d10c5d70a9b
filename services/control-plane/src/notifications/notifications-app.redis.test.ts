import { createHmac, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { loadConfig } from "@claude-relay/config";
import { createLogger } from "@claude-relay/logging";
import { toGrpcServiceDefinition } from "@claude-relay/proto/grpc";
import { AccountService, NotificationEventType, NotificationFormat, NotificationService } from "@claude-relay/proto/admin";
import { AcquireRequestSchema, LeaseService, OutcomeKind, ReleaseRequestSchema, type AcquireResponse } from "@claude-relay/proto/lease";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createAccountStore } from "../accounts/account-store.js";
import { createCredentialCipher } from "../accounts/credential-cipher.js";
import { buildControlPlane, type ControlPlane } from "../app.js";
import { controlPlaneConfigSchema } from "../config.js";
import { createApiKeyStore, hashApiKey } from "../keys/api-key-store.js";
import { createRedis } from "../redis/client.js";
import { createRedisKeys } from "../redis/keys.js";
import { signIn } from "../rpc/admin/admin-client.test-helper.js";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from "./webhook-formats.js";
import { startWebhookReceiver, type ReceivedHook, type WebhookReceiver } from "./webhook-receiver.test-helper.js";

const TOKEN = "notifications-app-internal-token";
const PASSWORD = "notifications-app-password";
const CREDENTIAL = "sk-ant-api03-credential-that-must-never-leave";

let redis: TestRedis;
let dataDir: string;
let receiver: WebhookReceiver;
const apps: ControlPlane[] = [];
const closers: Array<() => unknown> = [];

beforeAll(async () => {
  redis = await startRedis();
  dataDir = await mkdtemp(join(tmpdir(), "control-plane-notify-"));
  receiver = await startWebhookReceiver();
});

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await Promise.all(apps.map((app) => app.close()));
  await receiver?.close();
  await redis?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Waits for the receiver's nth request, failing past the deadline. */
async function nth(n: number, timeout: number): Promise<ReceivedHook> {
  await vi.waitFor(() => expect(receiver.received.length).toBeGreaterThanOrEqual(n), { timeout, interval: 25 });
  return receiver.received[n - 1]!;
}

describe("notifications across two control planes", () => {
  it("sends one signed event when an account turns unauthorized and one when it recovers, and answers a test send", async () => {
    const encryptionKey = randomBytes(32).toString("hex");
    const config = loadConfig(controlPlaneConfigSchema, {
      REDIS_URL: redis.url,
      CONTROL_PLANE_GRPC_PORT: "0",
      CONTROL_PLANE_HTTP_PORT: "0",
      CONTROL_PLANE_METRICS_PORT: "0",
      CONTROL_PLANE_INTERNAL_TOKEN: TOKEN,
      CONTROL_PLANE_ENCRYPTION_KEY: encryptionKey,
      CONTROL_PLANE_DATA_DIR: dataDir,
      ADMIN_PASSWORD: PASSWORD,
    });
    const keys = createRedisKeys({ prefix: `notify-app-${randomBytes(4).toString("hex")}` });
    const log = createLogger({ service: "control-plane", level: "silent" });
    const ports = [];
    for (let i = 0; i < 2; i++) {
      const app = buildControlPlane(config, log, { keys });
      apps.push(app);
      ports.push(await app.start());
    }
    const [first, second] = ports as [(typeof ports)[number], (typeof ports)[number]];

    // A generic target, created through the first replica's admin API.
    const { transport } = await signIn(`http://127.0.0.1:${first.httpPort}`, "admin", PASSWORD);
    const notifications = createClient(NotificationService, transport);
    const created = await notifications.createNotificationTarget({
      name: "ops",
      url: receiver.url,
      format: NotificationFormat.GENERIC,
      events: [NotificationEventType.ACCOUNT_UNAUTHORIZED, NotificationEventType.ACCOUNT_RECOVERED],
      enabled: true,
    });
    expect(created.secret).toMatch(/^whsec_/);
    expect(created.target).toMatchObject({ name: "ops", urlHint: receiver.url.replace("/hook", ""), hasSecret: true });
    const listed = await notifications.listNotificationTargets({});
    expect(JSON.stringify(listed, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))).not.toContain(created.secret);

    // An account and a key, written as another replica would.
    const store = createRedis(redis.url);
    closers.push(() => store.quit());
    const accounts = createAccountStore({ redis: store, keys, cipher: createCredentialCipher(Buffer.from(encryptionKey, "hex")) });
    const account = await accounts.create({ name: "team-1", type: "claude-console", credential: { kind: "api-key", apiKey: CREDENTIAL } });
    const { plaintextKey } = await createApiKeyStore({ redis: store, keys }).create({ name: "ci" });

    // The second replica serves a request whose upstream answers 401.
    const Lease = grpc.makeGenericClientConstructor(toGrpcServiceDefinition(LeaseService), "LeaseService");
    const lease = new Lease(`127.0.0.1:${second.grpcPort}`, grpc.credentials.createInsecure());
    closers.push(() => lease.close());
    const metadata = new grpc.Metadata();
    metadata.set("x-internal-token", TOKEN);
    const unary = <T>(method: string, request: unknown) =>
      new Promise<T>((resolve, reject) =>
        (lease as unknown as Record<string, Function>)[method]!.call(lease, request, metadata, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))),
      );
    const acquired = await unary<AcquireResponse>("acquire", create(AcquireRequestSchema, { keyHash: hashApiKey(plaintextKey), model: "claude-sonnet-4-5" }));
    if (acquired.result.case !== "lease") throw new Error(`expected a lease, got ${acquired.result.case}`);
    const turnedAtMs = Date.now();
    await unary("release", create(ReleaseRequestSchema, { leaseId: acquired.result.value.leaseId, outcome: { kind: OutcomeKind.UPSTREAM_ERROR, status: 401, detail: "invalid x-api-key" } }));

    const hook = await nth(1, 5_000);
    expect(hook.atMs - turnedAtMs).toBeLessThan(5_000);
    const signature = createHmac("sha256", created.secret).update(`${hook.headers[TIMESTAMP_HEADER]}.${hook.body}`).digest("hex");
    expect(hook.headers[SIGNATURE_HEADER]).toBe(`sha256=${signature}`);
    expect(JSON.parse(hook.body)).toMatchObject({
      type: "account.unauthorized",
      count: 1,
      data: { account: { id: account.id, name: "team-1", platform: "claude" } },
    });
    for (const secret of [CREDENTIAL, plaintextKey, hashApiKey(plaintextKey), created.secret]) expect(hook.body).not.toContain(secret);

    // An admin resets the account on the first replica: one recovery, naming the state it left.
    await createClient(AccountService, transport).resetAccountHealth({ id: account.id });
    const recovered = await nth(2, 5_000);
    expect(JSON.parse(recovered.body)).toMatchObject({ type: "account.recovered", data: { account: { id: account.id }, from: "unauthorized" } });

    // Both replicas poll the one queue; neither sent anything twice.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(receiver.received.map((r) => (JSON.parse(r.body) as { type: string }).type)).toEqual(["account.unauthorized", "account.recovered"]);
    const deliveries = await notifications.listNotificationDeliveries({ targetId: created.target!.id });
    expect(deliveries.deliveries.map((d) => [d.event, d.statusCode, d.attempts, d.delivered])).toEqual([
      [NotificationEventType.ACCOUNT_RECOVERED, 200, 1, true],
      [NotificationEventType.ACCOUNT_UNAUTHORIZED, 200, 1, true],
    ]);

    // A test send goes out at once and reports how it went.
    receiver.answer(502);
    const test = await notifications.sendTestNotification({ targetId: created.target!.id });
    expect(test.delivery).toMatchObject({ test: true, delivered: false, statusCode: 502, attempts: 1, error: "the target answered 502" });
    expect(JSON.parse(receiver.received[2]!.body)).toMatchObject({ test: true });
  }, 30_000);
});
