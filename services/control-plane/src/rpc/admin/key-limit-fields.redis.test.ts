import { randomBytes } from "node:crypto";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { createLogger } from "@claude-relay/logging";
import { createMetricsRegistry } from "@claude-relay/metrics";
import { ApiKeyService } from "@claude-relay/proto/admin";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccountStore } from "../../accounts/account-store.js";
import { createCredentialCipher } from "../../accounts/credential-cipher.js";
import { createAdminSessions } from "../../auth/admin-sessions.js";
import { createAdminUsers } from "../../auth/admin-users.js";
import { createAdminHttpServer, type AdminHttpServer } from "../../http/server.js";
import { createApiKeyStore, type ApiKeyStore } from "../../keys/api-key-store.js";
import { createKeyLimits } from "../../keys/key-limits.js";
import { createLeaseStore } from "../../leases/lease-store.js";
import { createRedis } from "../../redis/client.js";
import { createRedisKeys } from "../../redis/keys.js";
import { loadPriceTable } from "../../usage/pricing.js";
import { createUsageRecorder, type UsageRecorder } from "../../usage/usage-recorder.js";
import { rpcError, signIn } from "./admin-client.test-helper.js";

const PASSWORD = "key-limit-fields-test-password";

let redisServer: TestRedis;
let redis: Redis;
let store: ApiKeyStore;
let recorder: UsageRecorder;
let http: AdminHttpServer;
let baseUrl: string;
let token: string;
let apiKeys: Client<typeof ApiKeyService>;

beforeAll(async () => {
  redisServer = await startRedis();
  redis = createRedis(redisServer.url);
  const keys = createRedisKeys({ prefix: `t-${randomBytes(6).toString("hex")}` });
  const users = createAdminUsers({ redis, keys, scryptParams: { logN: 10, r: 8, p: 1 } });
  await users.createIfAbsent("admin", PASSWORD);
  store = createApiKeyStore({ redis, keys });
  recorder = createUsageRecorder({ redis, keys, prices: loadPriceTable() });
  http = createAdminHttpServer({
    redis,
    users,
    sessions: createAdminSessions({ redis, keys }),
    accounts: createAccountStore({ redis, keys, cipher: createCredentialCipher(randomBytes(32)) }),
    apiKeys: store,
    leases: createLeaseStore({ redis, keys, ttlMs: 30_000 }),
    keyLimits: createKeyLimits({ redis, keys, ttlMs: 30_000 }),
    log: createLogger({ service: "control-plane", level: "silent" }),
    registry: createMetricsRegistry("control-plane"),
  });
  baseUrl = `http://127.0.0.1:${await http.listen(0, "127.0.0.1")}`;
  const signedIn = await signIn(baseUrl, "admin", PASSWORD);
  token = signedIn.token;
  apiKeys = createClient(ApiKeyService, signedIn.transport);
});

afterAll(async () => {
  await http?.close();
  redis?.disconnect();
  await redisServer?.close();
});


const limited = {
  name: "limited",
  expireAfterFirstUseSeconds: 86_400,
  allowedClients: ["claude-cli/*"],
  rateLimit: { windowSeconds: 60, maxRequests: 10, maxTokens: 50_000n },
  costLimits: { dailyUsd: 5, totalUsd: 100, weeklyOpusUsd: 20 },
};

describe("ApiKeyService limit fields", () => {
  it("creates a key with every limit and shows them back, with its spend so far", async () => {
    const { apiKey } = await apiKeys.createApiKey(limited);
    expect(apiKey).toMatchObject({
      expireAfterFirstUseSeconds: 86_400,
      allowedClients: ["claude-cli/*"],
      rateLimit: { windowSeconds: 60, maxRequests: 10, maxTokens: 50_000n },
      costLimits: { dailyUsd: 5, totalUsd: 100, weeklyOpusUsd: 20 },
    });
    expect(apiKey?.firstUsedAt).toBeUndefined();
    expect(await store.get(apiKey!.id)).toMatchObject({ rateWindowSeconds: 60, rateLimitRequests: 10, rateLimitTokens: 50_000, dailyCostLimitUsd: 5 });

    const tokens = { inputTokens: 1_000, outputTokens: 500, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
    await Promise.all(recorder.usageCommands({ leaseId: "l1", keyId: apiKey!.id, accountId: "a", model: "claude-opus-4-1", tokens, nowMs: Date.now() }));
    const listed = (await apiKeys.listApiKeys({})).apiKeys.find((k) => k.id === apiKey!.id);
    // 1000 × $15 + 500 × $75 per million = $0.0525, all of it Opus.
    expect(listed?.spend?.todayUsd).toBeCloseTo(0.0525, 12);
    expect(listed?.spend?.totalUsd).toBeCloseTo(0.0525, 12);
    expect(listed?.spend?.opusThisWeekUsd).toBeCloseTo(0.0525, 12);
    expect(listed?.spend?.windowTokens).toBe(1_500n);
  });

  it("updates limits, names and lists, enables and disables, and leaves the rest alone", async () => {
    const { apiKey } = await apiKeys.createApiKey({ ...limited, name: "to-update", concurrencyLimit: 2, allowedModels: ["claude-sonnet-*"], expiresAt: timestampFromMs(Date.now() + 86_400_000) });
    const id = apiKey!.id;
    const { apiKey: updated } = await apiKeys.updateApiKey({
      id,
      name: "renamed",
      enabled: false,
      rateLimit: { windowSeconds: 3_600, maxRequests: 100 },
      allowedClients: { patterns: [] },
      clearExpiresAt: true,
    });
    expect(updated).toMatchObject({
      name: "renamed",
      enabled: false,
      concurrencyLimit: 2,
      allowedModels: ["claude-sonnet-*"],
      allowedClients: [],
      rateLimit: { windowSeconds: 3_600, maxRequests: 100, maxTokens: 0n },
      costLimits: { dailyUsd: 5, totalUsd: 100, weeklyOpusUsd: 20 },
      expireAfterFirstUseSeconds: 86_400,
    });
    expect(updated?.expiresAt).toBeUndefined();
    const { apiKey: again } = await apiKeys.updateApiKey({ id, enabled: true, allowedModels: { models: ["claude-haiku-4-5"] }, costLimits: { dailyUsd: 1.5 } });
    expect(again).toMatchObject({ enabled: true, allowedModels: ["claude-haiku-4-5"], costLimits: { dailyUsd: 1.5, totalUsd: 0, weeklyOpusUsd: 0 } });
    expect((await store.get(id))?.keyHash).toBe((await store.list()).find((k) => k.id === id)?.keyHash);
  });

  it("keeps a revoked key revoked and answers NotFound for an unknown one", async () => {
    const { apiKey } = await apiKeys.createApiKey({ name: "gone" });
    await apiKeys.revokeApiKey({ id: apiKey!.id });
    const error = await rpcError(apiKeys.updateApiKey({ id: apiKey!.id, enabled: true }));
    expect([error.code, error.rawMessage]).toEqual([Code.InvalidArgument, "enabled: a revoked key cannot be enabled again"]);
    expect((await apiKeys.updateApiKey({ id: apiKey!.id, name: "still gone" })).apiKey).toMatchObject({ name: "still gone", enabled: false });
    expect((await rpcError(apiKeys.updateApiKey({ id: "00000000-0000-4000-8000-000000000000", name: "x" }))).code).toBe(Code.NotFound);
  });

  it("refuses bad limits with InvalidArgument naming the field", async () => {
    const { apiKey } = await apiKeys.createApiKey({ name: "target" });
    const id = apiKey!.id;
    // Each call is made only when its turn comes, so no refusal waits unobserved (an unhandled rejection).
    const checks: [() => Promise<unknown>, RegExp][] = [
      [() => apiKeys.createApiKey({ name: "k", expireAfterFirstUseSeconds: -5 }), /^expire_after_first_use_seconds: must be a non-negative integer/],
      [() => apiKeys.createApiKey({ name: "k", allowedClients: ["claude-cli/*", " "] }), /^allowed_clients\[1\]: must not be empty/],
      [() => apiKeys.createApiKey({ name: "k", rateLimit: { maxRequests: 5 } }), /^rate_limit.window_seconds: must be set when/],
      [() => apiKeys.createApiKey({ name: "k", rateLimit: { windowSeconds: 60, maxRequests: -1 } }), /^rate_limit.max_requests: must be a non-negative integer/],
      [() => apiKeys.createApiKey({ name: "k", rateLimit: { windowSeconds: 60, maxTokens: -1n } }), /^rate_limit.max_tokens: must be a non-negative integer/],
      [() => apiKeys.createApiKey({ name: "k", rateLimit: { windowSeconds: 40 * 86_400 } }), /^rate_limit.window_seconds: must be at most/],
      [() => apiKeys.createApiKey({ name: "k", costLimits: { weeklyOpusUsd: -1 } }), /^cost_limits.weekly_opus_usd: must be a non-negative number/],
      [() => apiKeys.updateApiKey({ id, costLimits: { dailyUsd: Number.POSITIVE_INFINITY } }), /^cost_limits.daily_usd: must be a non-negative number/],
      [() => apiKeys.updateApiKey({ id, expiresAt: timestampFromMs(Date.now() + 60_000), clearExpiresAt: true }), /^clear_expires_at: must be false/],
      [() => apiKeys.updateApiKey({ id, expiresAt: timestampFromMs(Date.now() - 60_000) }), /^expires_at: must be in the future/],
      [() => apiKeys.updateApiKey({ id, allowedModels: { models: [""] } }), /^allowed_models.models\[0\]: must not be empty/],
      [() => apiKeys.updateApiKey({ id, allowedClients: { patterns: [""] } }), /^allowed_clients.patterns\[0\]: must not be empty/],
      [() => apiKeys.updateApiKey({ id, name: " " }), /^name: must not be empty/],
      [() => apiKeys.updateApiKey({ id: "", name: "x" }), /^id: must not be empty/],
    ];
    for (const [call, message] of checks) {
      const error = await rpcError(call());
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toMatch(message);
    }
  });

  it("refuses a NaN cost limit sent as JSON", async () => {
    const res = await fetch(`${baseUrl}/claude_relay.admin.v1.ApiKeyService/CreateApiKey`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: "nan", costLimits: { dailyUsd: "NaN" } }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "invalid_argument", message: expect.stringMatching(/^cost_limits.daily_usd/) });
  });
});
