import { randomBytes } from "node:crypto";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
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
import { createApiKeyStore, hashApiKey, type ApiKeyStore } from "../../keys/api-key-store.js";
import { createLeaseStore } from "../../leases/lease-store.js";
import { createRedis } from "../../redis/client.js";
import { createRedisKeys } from "../../redis/keys.js";
import { rpcError, signIn } from "./admin-client.test-helper.js";

const PASSWORD = "api-key-service-test-password";

let redisServer: TestRedis;
let redis: Redis;
let store: ApiKeyStore;
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
  http = createAdminHttpServer({
    redis,
    users,
    sessions: createAdminSessions({ redis, keys }),
    accounts: createAccountStore({ redis, keys, cipher: createCredentialCipher(randomBytes(32)) }),
    apiKeys: store,
    leases: createLeaseStore({ redis, keys, ttlMs: 30_000 }),
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


async function postJson(method: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${baseUrl}/claude_relay.admin.v1.ApiKeyService/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

describe("ApiKeyService", () => {
  it("creates a key and returns its plaintext once, matching the stored hash", async () => {
    const expiresAtMs = Date.now() + 86_400_000;
    const res = await apiKeys.createApiKey({ name: " ci ", concurrencyLimit: 4, expiresAt: timestampFromMs(expiresAtMs), allowedModels: ["claude-sonnet-4-5"] });
    expect(res.plaintextKey).toMatch(/^cr_[A-Za-z0-9_-]{43}$/);
    expect(res.apiKey).toMatchObject({ name: "ci", concurrencyLimit: 4, enabled: true, allowedModels: ["claude-sonnet-4-5"], keyPrefix: res.plaintextKey.slice(0, 7) });
    expect(timestampMs(res.apiKey!.expiresAt!)).toBe(expiresAtMs);
    expect(res.apiKey?.revokedAt).toBeUndefined();
    expect((await store.findByHash(hashApiKey(res.plaintextKey)))?.id).toBe(res.apiKey?.id);
  });

  it("lists keys without their plaintext or hash", async () => {
    const created = await postJson("CreateApiKey", { name: "listed" });
    expect(created.status).toBe(200);
    const { plaintextKey, apiKey } = JSON.parse(created.text) as { plaintextKey: string; apiKey: { id: string } };
    const listed = await postJson("ListApiKeys", {});
    expect(listed.status).toBe(200);
    expect(listed.text).toContain(apiKey.id);
    expect(listed.text).not.toContain(plaintextKey);
    expect(listed.text).not.toContain(hashApiKey(plaintextKey));
    expect(listed.text).not.toMatch(/keyHash/i);
    expect((await apiKeys.listApiKeys({})).apiKeys.find((k) => k.id === apiKey.id)?.expiresAt).toBeUndefined();
  });

  it("revokes a key, which then shows as disabled with its revocation time", async () => {
    const { apiKey } = await apiKeys.createApiKey({ name: "to-revoke" });
    const { apiKey: revoked } = await apiKeys.revokeApiKey({ id: apiKey!.id });
    expect(revoked?.enabled).toBe(false);
    expect(timestampMs(revoked!.revokedAt!)).toBeGreaterThan(0);
    const again = await apiKeys.revokeApiKey({ id: apiKey!.id });
    expect(again.apiKey?.revokedAt).toEqual(revoked?.revokedAt);
    expect((await store.get(apiKey!.id))?.enabled).toBe(false);
  });

  it("answers NotFound when revoking an unknown key", async () => {
    const error = await rpcError(apiKeys.revokeApiKey({ id: "00000000-0000-4000-8000-000000000000" }));
    expect(error.code).toBe(Code.NotFound);
  });

  it("refuses bad input with InvalidArgument naming the field", async () => {
    const checks: [Parameters<typeof apiKeys.createApiKey>[0], RegExp][] = [
      [{ name: "" }, /^name: must not be empty/],
      [{ name: "k", concurrencyLimit: -1 }, /^concurrency_limit: must be a non-negative integer/],
      [{ name: "k", expiresAt: timestampFromMs(Date.now() - 1_000) }, /^expires_at: must be in the future/],
      [{ name: "k", allowedModels: ["claude-opus-4-1", " "] }, /^allowed_models\[1\]: must not be empty/],
    ];
    for (const [request, message] of checks) {
      const error = await rpcError(apiKeys.createApiKey(request));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toMatch(message);
    }
    expect((await rpcError(apiKeys.revokeApiKey({ id: "" }))).code).toBe(Code.InvalidArgument);
  });

  it("refuses a fractional concurrency_limit sent as JSON with a message naming the field", async () => {
    const { status, text } = await postJson("CreateApiKey", { name: "frac", concurrencyLimit: 2.5 });
    expect(status).toBe(400);
    expect(JSON.parse(text)).toMatchObject({ code: "invalid_argument", message: expect.stringContaining("concurrency_limit") });
  });
});

describe("ApiKeyService wait bound", () => {
  it("creates a key with a bound, changes it, clears it back to the default, and lists it", async () => {
    const { apiKey } = await apiKeys.createApiKey({ name: "patient", queueWaitMs: 30_000 });
    expect(apiKey?.queueWaitMs).toBe(30_000);
    const id = apiKey!.id;
    expect((await apiKeys.updateApiKey({ id, queueWaitMs: 0 })).apiKey?.queueWaitMs).toBe(0);
    expect((await store.get(id))?.queueWaitMs).toBe(0);
    expect((await apiKeys.updateApiKey({ id, name: "still patient" })).apiKey?.queueWaitMs).toBe(0);
    const { apiKey: cleared } = await apiKeys.updateApiKey({ id, clearQueueWaitMs: true });
    expect(cleared?.queueWaitMs).toBeUndefined();
    expect((await store.get(id))?.queueWaitMs).toBeUndefined();
    await apiKeys.updateApiKey({ id, queueWaitMs: 5_000 });
    const listed = (await apiKeys.listApiKeys({})).apiKeys.find((k) => k.id === id);
    expect(listed?.queueWaitMs).toBe(5_000);
    expect((await apiKeys.createApiKey({ name: "default" })).apiKey?.queueWaitMs).toBeUndefined();
  });

  it("refuses a bound below 0 or above 10 minutes, and a bound sent with a clear", async () => {
    const { apiKey } = await apiKeys.createApiKey({ name: "bounded" });
    const id = apiKey!.id;
    const checks: [() => Promise<unknown>, string][] = [
      [() => apiKeys.createApiKey({ name: "k", queueWaitMs: -1 }), "queue_wait_ms: must be an integer from 0 (refuse at once) to 600000 ms (10 minutes), got -1"],
      [() => apiKeys.updateApiKey({ id, queueWaitMs: 600_001 }), "queue_wait_ms: must be an integer from 0 (refuse at once) to 600000 ms (10 minutes), got 600001"],
      [() => apiKeys.updateApiKey({ id, queueWaitMs: 1_000, clearQueueWaitMs: true }), "clear_queue_wait_ms: must be false when queue_wait_ms is set"],
    ];
    for (const [call, message] of checks) {
      const error = await rpcError(call());
      expect([error.code, error.rawMessage]).toEqual([Code.InvalidArgument, message]);
    }
    expect((await store.get(id))?.queueWaitMs).toBeUndefined();
  });
});
