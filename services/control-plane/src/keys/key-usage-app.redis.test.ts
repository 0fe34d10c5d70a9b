/**
 * A key holder's report on the whole control plane as app.ts wires it, over a
 * real Redis: GetKeyUsage on the lease port (as the relay asks it) and the
 * public /stats page with its JSON endpoint on the admin port. Usage gets there
 * the way it does in production, through Acquire and Release. Every key that
 * cannot be used gets the same refusal, no sooner than its floor; the attempt
 * limit per client address is shared by both doors.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { loadConfig } from "@claude-relay/config";
import { createLogger } from "@claude-relay/logging";
import { toGrpcServiceDefinition } from "@claude-relay/proto/grpc";
import {
  AcquireRequestSchema,
  GetKeyUsageRequestSchema,
  GetKeyUsageResponseSchema,
  LeaseService,
  OutcomeKind,
  RefusalReason,
  ReleaseRequestSchema,
  type AcquireResponse,
  type GetKeyUsageResponse,
} from "@claude-relay/proto/lease";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccountStore } from "../accounts/account-store.js";
import { createCredentialCipher, parseEncryptionKey } from "../accounts/credential-cipher.js";
import { buildControlPlane, type ControlPlane } from "../app.js";
import { controlPlaneConfigSchema } from "../config.js";
import { createRedis } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { dayOf } from "../usage/usage-periods.js";
import { createApiKeyStore, hashApiKey, type ApiKeyStore } from "./api-key-store.js";
import type { KeyUsageReport } from "./key-usage-report.js";

const TOKEN = "key-usage-internal-token-0123";
const ENCRYPTION_KEY = randomBytes(32).toString("hex");
const MAX_ATTEMPTS = 8;
/** The refusal floor of keys/key-usage.ts, less a little for timer rounding. */
const FLOOR_MS = 95;
const INVALID_BODY = '{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}';
const LeaseClient = grpc.makeGenericClientConstructor(toGrpcServiceDefinition(LeaseService), "LeaseService");

let server: TestRedis;
let dataDir: string;
let app: ControlPlane;
let client: grpc.Client;
let admin: Redis;
let keys: RedisKeys;
let apiKeys: ApiKeyStore;
let adminUrl: string;
let metricsUrl: string;

beforeAll(async () => {
  server = await startRedis();
  dataDir = await mkdtemp(join(tmpdir(), "control-plane-key-usage-"));
  const config = loadConfig(controlPlaneConfigSchema, {
    REDIS_URL: server.url,
    CONTROL_PLANE_GRPC_PORT: "0",
    CONTROL_PLANE_HTTP_PORT: "0",
    CONTROL_PLANE_METRICS_PORT: "0",
    CONTROL_PLANE_INTERNAL_TOKEN: TOKEN,
    CONTROL_PLANE_ENCRYPTION_KEY: ENCRYPTION_KEY,
    CONTROL_PLANE_DATA_DIR: dataDir,
    CONTROL_PLANE_KEY_USAGE_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    // No attempt comes back while the tests run.
    CONTROL_PLANE_KEY_USAGE_WINDOW_SECONDS: "86400",
    ADMIN_PASSWORD: "key-usage-password",
  });
  keys = createRedisKeys({ prefix: `test-${randomBytes(4).toString("hex")}` });
  app = buildControlPlane(config, createLogger({ service: "control-plane", level: "silent" }), { keys, redis: createRedis(server.url) });
  const { grpcPort, httpPort, metricsPort } = await app.start();
  metricsUrl = `http://127.0.0.1:${metricsPort}`;
  client = new LeaseClient(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
  adminUrl = `http://127.0.0.1:${httpPort}`;
  // Another connection plays the admin API of another replica, announcing its changes as the app's stores do.
  admin = createRedis(server.url);
  const changes = { publish: async (change: object) => void (await admin.publish(keys.cacheInvalidation(), JSON.stringify(change))) };
  apiKeys = createApiKeyStore({ redis: admin, keys, changes });
  const accounts = createAccountStore({ redis: admin, keys, changes, cipher: createCredentialCipher(parseEncryptionKey(ENCRYPTION_KEY)) });
  await accounts.create({ name: "console", type: "claude-console", baseUrl: "https://console.example", credential: { kind: "api-key", apiKey: "sk-ant-upstream" } });
});

afterAll(async () => {
  client?.close();
  await app?.close();
  admin?.disconnect();
  await server?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function unary<T>(method: string, request: unknown): Promise<T> {
  const metadata = new grpc.Metadata();
  metadata.set("x-internal-token", TOKEN);
  return new Promise((resolve, reject) =>
    (client as unknown as Record<string, Function>)[method]!.call(client, request, metadata, { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null, res: T) =>
      err ? reject(err) : resolve(res),
    ),
  );
}

async function getKeyUsage(keyHash: string, clientAddress: string): Promise<{ response: GetKeyUsageResponse; ms: number }> {
  const start = performance.now();
  const response = await unary<GetKeyUsageResponse>("getKeyUsage", create(GetKeyUsageRequestSchema, { keyHash, clientAddress }));
  return { response, ms: performance.now() - start };
}

function reportOf(response: GetKeyUsageResponse): KeyUsageReport {
  if (response.result.case !== "reportJson") throw new Error(`expected a report, got ${response.result.case}: ${JSON.stringify(response.result.value)}`);
  return JSON.parse(response.result.value) as KeyUsageReport;
}

/** One request on the key, as the relay makes it: Acquire, then Release with what the upstream used. */
async function request(plaintextKey: string, model: string, inputTokens: number, outputTokens: number): Promise<void> {
  const acquired = await unary<AcquireResponse>("acquire", create(AcquireRequestSchema, { keyHash: hashApiKey(plaintextKey), model }));
  if (acquired.result.case !== "lease") throw new Error(`expected a lease, got ${acquired.result.case}: ${JSON.stringify(acquired.result.value)}`);
  await unary(
    "release",
    create(ReleaseRequestSchema, {
      leaseId: acquired.result.value.leaseId,
      outcome: { kind: OutcomeKind.SUCCESS, status: 200 },
      usage: { model, inputTokens, outputTokens },
      latencyMs: 10,
    }),
  );
}

function post(headers: Record<string, string>): Promise<Response> {
  return fetch(`${adminUrl}/stats/usage`, { method: "POST", headers });
}

describe("GetKeyUsage", () => {
  it("reports a key's usage today, this week and in total, by model and by day, with its limits and what is left", async () => {
    const { plaintextKey } = await apiKeys.create({
      name: "reporting",
      concurrencyLimit: 4,
      dailyCostLimitUsd: 1,
      rateWindowSeconds: 3_600,
      rateLimitRequests: 50,
      allowedModels: ["claude-sonnet-*", "claude-haiku-*"],
      platforms: ["claude"],
      expireAfterFirstUseSeconds: 30 * 86_400,
    });
    // claude-sonnet-4-5 at $3 / $15 per million: 1,000 in and 1,000 out cost $0.018; claude-haiku-4-5 at $1 / $5: $0.006.
    await request(plaintextKey, "claude-sonnet-4-5", 1_000, 1_000);
    await request(plaintextKey, "claude-sonnet-4-5", 1_000, 1_000);
    await request(plaintextKey, "claude-haiku-4-5", 1_000, 1_000);

    const { response } = await getKeyUsage(hashApiKey(plaintextKey), "10.1.0.1");
    const report = reportOf(response);
    expect(report.key).toMatchObject({ name: "reporting", prefix: plaintextKey.slice(0, 7) });
    expect(report.key.firstUsedAt).not.toBeNull();
    expect(report.expiry.effectiveExpiresAt).toBe(new Date(Date.parse(report.key.firstUsedAt!) + 30 * 86_400_000).toISOString());
    expect(report.allowedModels).toEqual(["claude-sonnet-*", "claude-haiku-*"]);
    expect(report.platforms).toEqual(["claude"]);
    for (const period of [report.usage.today, report.usage.thisWeek, report.usage.total]) {
      expect(period).toMatchObject({ requests: 3, inputTokens: 3_000, outputTokens: 3_000, totalTokens: 6_000 });
      expect(period.costUsd).toBeCloseTo(0.042, 9);
    }
    expect(report.usage.today.day).toBe(dayOf(Date.now()));
    expect(report.usage.byModel.map((m) => [m.model, m.requests])).toEqual([
      ["claude-sonnet-4-5", 2],
      ["claude-haiku-4-5", 1],
    ]);
    expect(report.usage.byDay.at(-1)).toMatchObject({ day: dayOf(Date.now()), requests: 3 });
    expect(report.usage.byDay.slice(0, -1).every((d) => d.requests === 0)).toBe(true);
    expect(report.limits.concurrency).toEqual({ limit: 4, used: 0, remaining: 4 });
    expect(report.limits.requests).toEqual({ limit: 50, used: 3, remaining: 47, windowSeconds: 3_600 });
    expect(report.limits.dailyCostUsd).toMatchObject({ limit: 1, used: 0.042, remaining: 0.958 });
    expect(report.limits.tokens).toBeNull();
    expect(report.limits.totalCostUsd).toBeNull();
    expect(await (await fetch(`${metricsUrl}/metrics`)).text()).toMatch(/control_plane_rpc_duration_seconds_count\{[^}]*method="get_key_usage"[^}]*\} [1-9]/);
  });

  it("gives unknown, revoked, disabled and expired keys one identical refusal, none sooner than the floor", async () => {
    const revoked = await apiKeys.create({ name: "revoked" });
    const disabled = await apiKeys.create({ name: "disabled" });
    const expired = await apiKeys.create({ name: "expired", expiresAtMs: Date.now() - 1_000 });
    const usedUp = await apiKeys.create({ name: "used up", expireAfterFirstUseSeconds: 60 });
    // Asked while still good, so the replica holds them in its cache before they change.
    for (const key of [revoked, disabled, usedUp]) expect(reportOf((await getKeyUsage(hashApiKey(key.plaintextKey), "10.2.0.1")).response).key.name).toBe(key.record.name);
    await apiKeys.revoke(revoked.record.id);
    await apiKeys.update(disabled.record.id, { enabled: false });
    // The first request stamps first use in Redis without telling the caches; it was two minutes ago.
    await admin.hset(keys.apiKey(usedUp.record.id), "firstUsedAtMs", String(Date.now() - 120_000));

    const hashes = [hashApiKey("cr_never-issued"), ...[revoked, disabled, expired, usedUp].map((k) => hashApiKey(k.plaintextKey)), ""];
    const answers = [];
    for (const [i, keyHash] of hashes.entries()) answers.push(await getKeyUsage(keyHash, `10.3.0.${i}`));
    const wire = answers.map(({ response }) => Buffer.from(toBinary(GetKeyUsageResponseSchema, response)).toString("hex"));
    expect(new Set(wire).size).toBe(1);
    expect(answers[0]?.response.result).toEqual({ case: "refusal", value: expect.objectContaining({ reason: RefusalReason.KEY_INVALID, message: "invalid x-api-key", retryAfterMs: 0 }) });
    for (const { ms } of answers) expect(ms).toBeGreaterThanOrEqual(FLOOR_MS);
  });

  it("refuses an address past its attempts with KEY_LIMIT and when to retry, right key or wrong, and no other address", async () => {
    const { plaintextKey } = await apiKeys.create({ name: "limited" });
    const good = hashApiKey(plaintextKey);
    for (let i = 0; i < MAX_ATTEMPTS; i++) await getKeyUsage(i % 2 === 0 ? good : hashApiKey(`cr_guess-${i}`), "10.4.0.1");
    const { response, ms } = await getKeyUsage(good, "10.4.0.1");
    expect(response.result).toEqual({ case: "refusal", value: expect.objectContaining({ reason: RefusalReason.KEY_LIMIT }) });
    expect(response.result.case === "refusal" && response.result.value.retryAfterMs).toBeGreaterThan(60_000);
    // Refused before the key is looked at: no floor to wait for.
    expect(ms).toBeLessThan(FLOOR_MS);
    expect(reportOf((await getKeyUsage(good, "10.4.0.2")).response).key.name).toBe("limited");
  });

  it("answers INVALID_ARGUMENT to a key hash that is no SHA-256", async () => {
    await expect(getKeyUsage("not-a-hash", "10.5.0.1")).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
  });
});

describe("the /stats page", () => {
  it("is served without an admin session, with a policy that runs only its own script and sends nowhere else", async () => {
    const res = await fetch(`${adminUrl}/stats`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("form-action 'none'");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    const html = await res.text();
    expect(html).toContain('<input id="key" type="password"');
    // The key field has no name: no form submission can carry it.
    expect(html).not.toMatch(/<input[^>]*\bname=/);
  });

  it("answers the report for a key in x-api-key or a Bearer token, and one 401 for a wrong key or none", async () => {
    const { plaintextKey } = await apiKeys.create({ name: "page", totalCostLimitUsd: 5 });
    await request(plaintextKey, "claude-haiku-4-5", 2_000, 0);

    const right: Record<string, string>[] = [{ "x-api-key": plaintextKey }, { authorization: `Bearer ${plaintextKey}` }];
    for (const headers of right) {
      const res = await post(headers);
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("no-store");
      const report = (await res.json()) as KeyUsageReport;
      expect(report.key.name).toBe("page");
      expect(report.usage.total).toMatchObject({ requests: 1, inputTokens: 2_000, costUsd: 0.002 });
      expect(report.limits.totalCostUsd).toEqual({ limit: 5, used: 0.002, remaining: 4.998 });
    }
    const wrong: Record<string, string>[] = [{ "x-api-key": `${plaintextKey}x` }, {}];
    for (const headers of wrong) {
      const res = await post(headers);
      expect(res.status).toBe(401);
      expect(await res.text()).toBe(INVALID_BODY);
    }
    expect((await fetch(`${adminUrl}/stats/usage`, { headers: { "x-api-key": plaintextKey } })).status).toBe(405);
  });

  it("shares the attempt limit with GetKeyUsage: an address refused on one is refused on the other, 429 with retry-after", async () => {
    const { plaintextKey } = await apiKeys.create({ name: "shared" });
    let refused = false;
    for (let i = 0; i <= MAX_ATTEMPTS && !refused; i++) refused = (await getKeyUsage(hashApiKey(plaintextKey), "127.0.0.1")).response.result.case === "refusal";
    expect(refused).toBe(true);
    const res = await post({ "x-api-key": plaintextKey });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(60);
    expect(await res.json()).toMatchObject({ type: "error", error: { type: "rate_limit_error" } });
  });
});
