/**
 * Notifications through two whole control planes (buildControlPlane) on one
 * real Redis: a target made through the admin API, events raised by Release
 * and Acquire on the lease service, and a loopback webhook receiver.
 */
import { createHmac, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { createClient, type Client, type Transport } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { loadConfig } from "@claude-relay/config";
import { createLogger } from "@claude-relay/logging";
import { toGrpcServiceDefinition } from "@claude-relay/proto/grpc";
import { AccountService, NotificationEventType, NotificationFormat, NotificationService } from "@claude-relay/proto/admin";
import { AcquireRequestSchema, LeaseService, OutcomeKind, RefusalReason, ReleaseRequestSchema, type AcquireResponse } from "@claude-relay/proto/lease";
import { startRedis, startWebhookReceiver, type ReceivedHook, type TestRedis, type WebhookReceiver } from "@claude-relay/testkit";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createAccountStore, type AccountStore } from "../accounts/account-store.js";
import { createCredentialCipher } from "../accounts/credential-cipher.js";
import { buildControlPlane, type ControlPlane } from "../app.js";
import { controlPlaneConfigSchema } from "../config.js";
import { createApiKeyStore, hashApiKey, type ApiKeyStore } from "../keys/api-key-store.js";
import { createRedis } from "../redis/client.js";
import { createRedisKeys } from "../redis/keys.js";
import { signIn } from "../rpc/admin/admin-client.test-helper.js";
import { createNotificationTargetStore, type NotificationTargetStore } from "./target-store.js";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from "./webhook-formats.js";

const TOKEN = "notifications-app-internal-token";
const PASSWORD = "notifications-app-password";
const CREDENTIAL = "sk-ant-api03-credential-that-must-never-leave";
const MODEL = "claude-sonnet-4-5";

let redis: TestRedis;
let dataDir: string;
let receiver: WebhookReceiver;
let closers: Array<() => unknown> = [];

beforeAll(async () => {
  redis = await startRedis();
  dataDir = await mkdtemp(join(tmpdir(), "control-plane-notify-"));
});

beforeEach(async () => {
  receiver = await startWebhookReceiver();
});

afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
  await receiver.close();
});

afterAll(async () => {
  await redis?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Two control planes on one Redis under a fresh key namespace, signed in on the first, with the stores another replica would use. */
interface Replicas {
  /** The first replica's admin API. */
  transport: Transport;
  notifications: Client<typeof NotificationService>;
  accounts: AccountStore;
  apiKeys: ApiKeyStore;
  targets: NotificationTargetStore;
  /** A lease call on replica `i`. */
  call<T>(i: number, method: "acquire" | "release", request: unknown): Promise<T>;
}

/** Starts the replicas; `seed` runs on the stores first (a target made before start is in each loop's first read). */
async function startReplicas(redisUrl: string, env: Record<string, string> = {}, seed?: (stores: Pick<Replicas, "targets">) => Promise<unknown>): Promise<Replicas> {
  const encryptionKey = randomBytes(32).toString("hex");
  const config = loadConfig(controlPlaneConfigSchema, {
    REDIS_URL: redisUrl,
    CONTROL_PLANE_GRPC_PORT: "0",
    CONTROL_PLANE_HTTP_PORT: "0",
    CONTROL_PLANE_METRICS_PORT: "0",
    CONTROL_PLANE_INTERNAL_TOKEN: TOKEN,
    CONTROL_PLANE_ENCRYPTION_KEY: encryptionKey,
    CONTROL_PLANE_DATA_DIR: dataDir,
    ADMIN_PASSWORD: PASSWORD,
    ...env,
  });
  const keys = createRedisKeys({ prefix: `notify-app-${randomBytes(4).toString("hex")}` });
  const log = createLogger({ service: "control-plane", level: "silent" });
  // Accounts, keys and seeded targets are written as another replica would; the control planes learn them through their caches.
  const store = createRedis(redisUrl);
  store.on("error", () => undefined);
  closers.push(() => store.quit().catch(() => store.disconnect()));
  const cipher = createCredentialCipher(Buffer.from(encryptionKey, "hex"));
  const targets = createNotificationTargetStore({ redis: store, keys, cipher });
  await seed?.({ targets });
  const leases: grpc.Client[] = [];
  let firstHttpPort = 0;
  for (let i = 0; i < 2; i++) {
    const app = buildControlPlane(config, log, { keys });
    closers.push(() => app.close());
    const { grpcPort, httpPort } = await app.start();
    if (i === 0) firstHttpPort = httpPort;
    const Lease = grpc.makeGenericClientConstructor(toGrpcServiceDefinition(LeaseService), "LeaseService");
    const client = new Lease(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
    closers.push(() => client.close());
    leases.push(client);
  }
  const { transport } = await signIn(`http://127.0.0.1:${firstHttpPort}`, "admin", PASSWORD);
  const metadata = new grpc.Metadata();
  metadata.set("x-internal-token", TOKEN);
  return {
    transport,
    notifications: createClient(NotificationService, transport),
    accounts: createAccountStore({ redis: store, keys, cipher }),
    apiKeys: createApiKeyStore({ redis: store, keys }),
    targets,
    call: <T>(i: number, method: string, request: unknown) =>
      new Promise<T>((resolve, reject) => {
        const client = leases[i] as unknown as Record<string, Function>;
        client[method]!.call(client, request, metadata, (err: Error | null, res: T) => (err ? reject(err) : resolve(res)));
      }),
  };
}

/** Acquires on replica `i`; the lease id, or the refusal reason. */
async function acquire(replicas: Replicas, i: number, plaintextKey: string): Promise<{ leaseId: string } | { refused: RefusalReason }> {
  const res = await replicas.call<AcquireResponse>(i, "acquire", create(AcquireRequestSchema, { keyHash: hashApiKey(plaintextKey), model: MODEL }));
  if (res.result.case === "lease") return { leaseId: res.result.value.leaseId };
  if (res.result.case === "refusal") return { refused: res.result.value.reason };
  throw new Error("Acquire answered nothing");
}

async function release(replicas: Replicas, i: number, leaseId: string, outcome: { kind: OutcomeKind; status: number; detail?: string; headers?: Record<string, string> }): Promise<void> {
  await replicas.call(i, "release", create(ReleaseRequestSchema, { leaseId, outcome }));
}

/** Waits for the receiver's nth request, failing past the deadline. */
async function nth(n: number, timeout: number): Promise<ReceivedHook> {
  await vi.waitFor(() => expect(receiver.received.length).toBeGreaterThanOrEqual(n), { timeout, interval: 25 });
  return receiver.received[n - 1]!;
}

/** The event types the receiver got, in order. */
const receivedTypes = () => receiver.received.map((r) => (JSON.parse(r.body) as { type: string }).type);

const quiet = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("notifications across two control planes", () => {
  it("sends one signed event when an account turns unauthorized and one when it recovers, and answers a test send", async () => {
    const replicas = await startReplicas(redis.url);
    const created = await replicas.notifications.createNotificationTarget({
      name: "ops",
      url: receiver.url,
      format: NotificationFormat.GENERIC,
      events: [NotificationEventType.ACCOUNT_UNAUTHORIZED, NotificationEventType.ACCOUNT_RECOVERED],
      enabled: true,
    });
    expect(created.secret).toMatch(/^whsec_/);
    expect(created.target).toMatchObject({ name: "ops", urlHint: receiver.url.replace("/hook", ""), hasSecret: true });
    const listed = await replicas.notifications.listNotificationTargets({});
    expect(JSON.stringify(listed, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))).not.toContain(created.secret);

    const account = await replicas.accounts.create({ name: "team-1", type: "claude-console", credential: { kind: "api-key", apiKey: CREDENTIAL } });
    const { plaintextKey } = await replicas.apiKeys.create({ name: "ci" });

    // The second replica serves a request whose upstream answers 401.
    const lease = await acquire(replicas, 1, plaintextKey);
    if (!("leaseId" in lease)) throw new Error(`expected a lease, got refusal ${lease.refused}`);
    const turnedAtMs = Date.now();
    await release(replicas, 1, lease.leaseId, { kind: OutcomeKind.UPSTREAM_ERROR, status: 401, detail: "invalid x-api-key" });

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
    await createClient(AccountService, replicas.transport).resetAccountHealth({ id: account.id });
    const recovered = await nth(2, 5_000);
    expect(JSON.parse(recovered.body)).toMatchObject({ type: "account.recovered", data: { account: { id: account.id }, from: "unauthorized" } });

    // Both replicas poll the one queue; neither sent anything twice.
    await quiet(1_000);
    expect(receivedTypes()).toEqual(["account.unauthorized", "account.recovered"]);
    const deliveries = await replicas.notifications.listNotificationDeliveries({ targetId: created.target!.id });
    expect(deliveries.deliveries.map((d) => [d.event, d.statusCode, d.attempts, d.delivered])).toEqual([
      [NotificationEventType.ACCOUNT_RECOVERED, 200, 1, true],
      [NotificationEventType.ACCOUNT_UNAUTHORIZED, 200, 1, true],
    ]);

    // A test send goes out at once and reports how it went.
    receiver.answer(502);
    const test = await replicas.notifications.sendTestNotification({ targetId: created.target!.id });
    expect(test.delivery).toMatchObject({ test: true, delivered: false, statusCode: 502, attempts: 1, error: "the target answered 502" });
    expect(JSON.parse(receiver.received[2]!.body)).toMatchObject({ test: true });
  }, 30_000);

  it("tells once that a rate limit ran out, with no request to notice it, and once that a probe closed the breaker", async () => {
    const replicas = await startReplicas(redis.url, { CONTROL_PLANE_NOTIFY_QUIET_MS: "200", CONTROL_PLANE_BREAKER_OPEN_MS: "1000" });
    await replicas.notifications.createNotificationTarget({ name: "ops", url: receiver.url, format: NotificationFormat.GENERIC, events: [], enabled: true });
    const account = await replicas.accounts.create({ name: "team-2", type: "claude-console", credential: { kind: "api-key", apiKey: CREDENTIAL } });
    const { plaintextKey } = await replicas.apiKeys.create({ name: "ci" });

    // Replica 1 sees a 429 that says to come back in 1 s.
    const limited = await acquire(replicas, 1, plaintextKey);
    if (!("leaseId" in limited)) throw new Error(`expected a lease, got refusal ${limited.refused}`);
    await release(replicas, 1, limited.leaseId, { kind: OutcomeKind.UPSTREAM_ERROR, status: 429, headers: { "retry-after": "1" } });
    const blocked = JSON.parse((await nth(1, 5_000)).body) as { type: string; data: { until_ms?: number } };
    expect(blocked.type).toBe("account.rate_limited");
    const back = JSON.parse((await nth(2, 5_000)).body) as { type: string; data: { account: { id: string }; from: string } };
    expect(back).toMatchObject({ type: "account.recovered", data: { account: { id: account.id }, from: "rate_limited" } });

    // Three 5xx open the breaker (nothing to tell yet); after the open time the probe succeeds on replica 0.
    for (let i = 0; i < 3; i++) {
      const lease = await acquire(replicas, i % 2, plaintextKey);
      if (!("leaseId" in lease)) throw new Error(`expected a lease, got refusal ${lease.refused}`);
      await release(replicas, i % 2, lease.leaseId, { kind: OutcomeKind.UPSTREAM_ERROR, status: 500 });
    }
    await quiet(1_100);
    const probe = await acquire(replicas, 0, plaintextKey);
    if (!("leaseId" in probe)) throw new Error(`expected the probe's lease, got refusal ${probe.refused}`);
    await release(replicas, 0, probe.leaseId, { kind: OutcomeKind.SUCCESS, status: 200 });
    const closed = JSON.parse((await nth(3, 5_000)).body) as unknown;
    expect(closed).toMatchObject({ type: "account.recovered", data: { account: { id: account.id }, from: "circuit_open" } });

    // Both replicas swept the schedule and polled the queue; each change went out once.
    await quiet(1_500);
    expect(receivedTypes()).toEqual(["account.rate_limited", "account.recovered", "account.recovered"]);
  }, 30_000);

  it("tells that no account can serve a group, and says nothing while its accounts are only full", async () => {
    const replicas = await startReplicas(redis.url, { CONTROL_PLANE_NOTIFY_QUIET_MS: "200" });
    await replicas.notifications.createNotificationTarget({
      name: "pool",
      url: receiver.url,
      format: NotificationFormat.GENERIC,
      events: [NotificationEventType.POOL_NO_ACCOUNT],
      enabled: true,
    });
    await replicas.accounts.create({ name: "team-3", type: "claude-console", group: "blue", maxConcurrentTasks: 1, credential: { kind: "api-key", apiKey: CREDENTIAL } });
    const { plaintextKey } = await replicas.apiKeys.create({ name: "blue-key", boundGroup: "blue" });

    // The one slot is taken: the next request is refused, but a slot frees within a lease.
    const held = await acquire(replicas, 0, plaintextKey);
    if (!("leaseId" in held)) throw new Error(`expected a lease, got refusal ${held.refused}`);
    expect(await acquire(replicas, 1, plaintextKey)).toEqual({ refused: RefusalReason.NO_ACCOUNT });
    await quiet(1_500);
    expect(receiver.received).toEqual([]);

    // Its only account turns unauthorized: nothing in the group can serve the key any more.
    await release(replicas, 0, held.leaseId, { kind: OutcomeKind.UPSTREAM_ERROR, status: 401 });
    expect(await acquire(replicas, 1, plaintextKey)).toEqual({ refused: RefusalReason.NO_ACCOUNT });
    expect(await acquire(replicas, 0, plaintextKey)).toEqual({ refused: RefusalReason.NO_ACCOUNT });
    const hook = await nth(1, 5_000);
    expect(JSON.parse(hook.body)).toMatchObject({ type: "pool.no_account", count: 2, data: { platform: "claude", group: "blue", model: MODEL } });
    await quiet(1_000);
    expect(receiver.received).toHaveLength(1);
  }, 30_000);

  it("tells that a key reached its limit and that an OAuth refresh failed, naming the key and the account, never a token", async () => {
    const replicas = await startReplicas(redis.url, { CONTROL_PLANE_NOTIFY_QUIET_MS: "200" });
    await replicas.notifications.createNotificationTarget({
      name: "ops",
      url: receiver.url,
      format: NotificationFormat.GENERIC,
      events: [NotificationEventType.KEY_LIMIT_REACHED, NotificationEventType.OAUTH_REFRESH_FAILED],
      enabled: true,
    });
    const accessToken = "sk-ant-oat01-access-token-that-must-never-leave";
    await replicas.accounts.create({ name: "team-console", type: "claude-console", group: "console", credential: { kind: "api-key", apiKey: CREDENTIAL } });
    // Its token has expired and there is no refresh token: the refresh Acquire waits for fails.
    const account = await replicas.accounts.create({
      name: "team-oauth",
      type: "claude-oauth",
      group: "oauth",
      credential: { kind: "oauth", accessToken, refreshToken: "", expiresAtMs: Date.now() - 1_000, scopes: [] },
    });
    const { plaintextKey, record: key } = await replicas.apiKeys.create({ name: "one-at-a-time", concurrencyLimit: 1, boundGroup: "console" });
    const oauthKey = (await replicas.apiKeys.create({ name: "oauth-team", boundGroup: "oauth" })).plaintextKey;

    // The key's one slot is held on replica 0; replica 1 refuses the next request for the key's limit.
    const held = await acquire(replicas, 0, plaintextKey);
    if (!("leaseId" in held)) throw new Error(`expected a lease, got refusal ${held.refused}`);
    expect(await acquire(replicas, 1, plaintextKey)).toEqual({ refused: RefusalReason.KEY_LIMIT });
    const limit = JSON.parse((await nth(1, 5_000)).body) as unknown;
    expect(limit).toMatchObject({ type: "key.limit_reached", data: { key: { id: key.id, name: "one-at-a-time" } } });

    expect(await acquire(replicas, 1, oauthKey)).toEqual({ refused: RefusalReason.NO_ACCOUNT });
    const failed = await nth(2, 5_000);
    expect(JSON.parse(failed.body)).toMatchObject({
      type: "oauth.refresh_failed",
      data: { account: { id: account.id, name: "team-oauth", platform: "claude" }, reason: "the account has no refresh token" },
    });
    for (const secret of [accessToken, CREDENTIAL, plaintextKey, hashApiKey(plaintextKey), oauthKey]) expect(receiver.received.map((r) => r.body).join("\n")).not.toContain(secret);
  }, 30_000);

  it("has a replica that loses Redis tell the webhooks itself, once, past the grace time", async () => {
    const own = await startRedis({ own: true });
    let redisUp = true;
    closers.push(() => (redisUp ? own.close() : undefined));
    // Made before start, so it is in the target list each loop reads first and alerts from once Redis is gone.
    await startReplicas(own.url, { CONTROL_PLANE_NOTIFY_REDIS_GRACE_MS: "500" }, ({ targets }) =>
      targets.create({ name: "ops", url: receiver.url, format: "generic", events: ["replica.redis_unreachable"], enabled: true }),
    );
    await quiet(1_000);

    await own.close();
    redisUp = false;
    // One alert from each replica, each sent by the replica itself, and no repeat while the outage lasts.
    await vi.waitFor(() => expect(receiver.received).toHaveLength(2), { timeout: 10_000, interval: 50 });
    await quiet(1_500);
    expect(receivedTypes()).toEqual(["replica.redis_unreachable", "replica.redis_unreachable"]);
    for (const hook of receiver.received) expect((JSON.parse(hook.body) as { data: { reason: string } }).data.reason).toMatch(/ECONNREFUSED|connect/i);
  }, 40_000);
});
