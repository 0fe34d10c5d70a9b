import { randomBytes } from "node:crypto";
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { createLogger } from "@claude-relay/logging";
import { createMetricsRegistry } from "@claude-relay/metrics";
import { AccountService, AccountType, ApiKeyService, AuthService } from "@claude-relay/proto/admin";
import { freePort, startMockAnthropic, startRedis, type MockAnthropic, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccountStore } from "../../accounts/account-store.js";
import { createCredentialCipher } from "../../accounts/credential-cipher.js";
import { createAdminSessions } from "../../auth/admin-sessions.js";
import { createAdminUsers } from "../../auth/admin-users.js";
import { createAdminHttpServer, type AdminHttpServer } from "../../http/server.js";
import { createApiKeyStore } from "../../keys/api-key-store.js";
import { createKeyLimits } from "../../keys/key-limits.js";
import { createLeaseStore } from "../../leases/lease-store.js";
import { createRedis } from "../../redis/client.js";
import { createRedisKeys } from "../../redis/keys.js";
import { loadPriceTable } from "../../usage/pricing.js";
import { createUsageReader } from "../../usage/usage-reader.js";
import { createUsageRecorder } from "../../usage/usage-recorder.js";

const PASSWORD = "account-usage-test-password";
const CONSOLE_KEY = "sk-ant-api-usage-test-secret-1";

let redisServer: TestRedis;
let redis: Redis;
let mock: MockAnthropic;
let http: AdminHttpServer;
let accounts: Client<typeof AccountService>;
let apiKeys: Client<typeof ApiKeyService>;
let recordUsage: (keyId: string, accountId: string, inputTokens: number, outputTokens: number) => Promise<void>;

beforeAll(async () => {
  redisServer = await startRedis();
  redis = createRedis(redisServer.url);
  mock = await startMockAnthropic();
  const keys = createRedisKeys({ prefix: `t-${randomBytes(6).toString("hex")}` });
  const users = createAdminUsers({ redis, keys, scryptParams: { logN: 10, r: 8, p: 1 } });
  await users.createIfAbsent("admin", PASSWORD);
  const recorder = createUsageRecorder({ redis, keys, prices: loadPriceTable() });
  recordUsage = async (keyId, accountId, inputTokens, outputTokens) => {
    const tokens = { inputTokens, outputTokens, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
    await Promise.all(recorder.usageCommands({ leaseId: randomBytes(6).toString("hex"), keyId, accountId, model: "claude-sonnet-4-5", tokens, nowMs: Date.now() }));
  };
  http = createAdminHttpServer({
    redis,
    users,
    sessions: createAdminSessions({ redis, keys }),
    accounts: createAccountStore({ redis, keys, cipher: createCredentialCipher(randomBytes(32)) }),
    apiKeys: createApiKeyStore({ redis, keys }),
    leases: createLeaseStore({ redis, keys, ttlMs: 30_000 }),
    keyLimits: createKeyLimits({ redis, keys, ttlMs: 30_000 }),
    usage: createUsageReader({ redis, keys }),
    log: createLogger({ service: "control-plane", level: "silent" }),
    registry: createMetricsRegistry("control-plane"),
  });
  const baseUrl = `http://127.0.0.1:${await http.listen(0, "127.0.0.1")}`;
  const { token } = await createClient(AuthService, createConnectTransport({ baseUrl, httpVersion: "1.1" })).login({ username: "admin", password: PASSWORD });
  const bearer: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  const transport = createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [bearer] });
  accounts = createClient(AccountService, transport);
  apiKeys = createClient(ApiKeyService, transport);
});

afterAll(async () => {
  await http?.close();
  await mock?.close();
  redis?.disconnect();
  await redisServer?.close();
});

describe("AccountService.TestAccount", () => {
  it("tries the account against its base URL with its first allowed model and reports success", async () => {
    const { account } = await accounts.createAccount({
      name: "tested",
      type: AccountType.CLAUDE_CONSOLE,
      apiKey: CONSOLE_KEY,
      baseUrl: mock.url,
      allowedModels: ["claude-opus-*", "claude-sonnet-4-5"],
    });
    const before = mock.requests.length;
    const result = await accounts.testAccount({ id: account!.id });
    expect(result).toMatchObject({ ok: true, httpStatus: 200, model: "claude-sonnet-4-5", errorType: "" });
    expect(mock.requests[before]?.headers["x-api-key"]).toBe(CONSOLE_KEY);
  });

  it("reports a 401 from the upstream as a failed test, not an RPC error, without the credential", async () => {
    const { account } = await accounts.createAccount({ name: "refused", type: AccountType.CLAUDE_CONSOLE, apiKey: CONSOLE_KEY, baseUrl: mock.url });
    mock.enqueue({ kind: "error", status: 401, message: "invalid x-api-key" });
    const result = await accounts.testAccount({ id: account!.id, model: "claude-haiku-4-5" });
    expect(result).toMatchObject({ ok: false, httpStatus: 401, errorType: "authentication_error", model: "claude-haiku-4-5" });
    expect(JSON.stringify(result)).not.toContain(CONSOLE_KEY);
  });

  it("reports an unreachable base URL as a connection error", async () => {
    const port = await freePort();
    const { account } = await accounts.createAccount({ name: "gone", type: AccountType.CLAUDE_CONSOLE, apiKey: CONSOLE_KEY, baseUrl: `http://127.0.0.1:${port}` });
    const result = await accounts.testAccount({ id: account!.id });
    expect(result).toMatchObject({ ok: false, httpStatus: 0, errorType: "connection_error" });
  });

  it("answers NotFound for an unknown account", async () => {
    await expect(accounts.testAccount({ id: "no-such-account" })).rejects.toThrow(/not found/i);
  });
});

describe("usage today", () => {
  it("shows each account's requests, tokens and cost today in the list and in Get", async () => {
    const { account: busy } = await accounts.createAccount({ name: "busy", type: AccountType.CLAUDE_CONSOLE, apiKey: CONSOLE_KEY });
    const { account: idle } = await accounts.createAccount({ name: "idle", type: AccountType.CLAUDE_CONSOLE, apiKey: CONSOLE_KEY });
    await recordUsage("some-key", busy!.id, 100, 20);
    await recordUsage("some-key", busy!.id, 50, 30);
    const listed = (await accounts.listAccounts({})).accounts;
    const busyToday = listed.find((a) => a.id === busy!.id)?.usageToday;
    expect(busyToday?.requests).toBe(2n);
    expect(busyToday?.tokens).toBe(200n);
    expect(busyToday?.costUsd).toBeGreaterThan(0);
    expect(listed.find((a) => a.id === idle!.id)?.usageToday).toMatchObject({ requests: 0n, tokens: 0n, costUsd: 0 });
    expect((await accounts.getAccount({ id: busy!.id })).account?.usageToday?.requests).toBe(2n);
  });

  it("shows each key's requests and tokens today and in total", async () => {
    const { apiKey } = await apiKeys.createApiKey({ name: "counted" });
    await recordUsage(apiKey!.id, "some-account", 10, 5);
    await recordUsage(apiKey!.id, "some-account", 1, 4);
    const spend = (await apiKeys.listApiKeys({})).apiKeys.find((k) => k.id === apiKey!.id)?.spend;
    expect(spend).toMatchObject({ todayRequests: 2n, todayTokens: 20n, totalRequests: 2n, totalTokens: 20n });
    expect(spend?.todayUsd).toBeGreaterThan(0);
  });
});
