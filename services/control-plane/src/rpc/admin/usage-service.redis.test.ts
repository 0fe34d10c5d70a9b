import { randomBytes } from "node:crypto";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { createLogger } from "@claude-relay/logging";
import { createMetricsRegistry } from "@claude-relay/metrics";
import { UsageService } from "@claude-relay/proto/admin";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccountStore } from "../../accounts/account-store.js";
import { createCredentialCipher } from "../../accounts/credential-cipher.js";
import { createAdminSessions } from "../../auth/admin-sessions.js";
import { createAdminUsers } from "../../auth/admin-users.js";
import { createAdminHttpServer, type AdminHttpServer } from "../../http/server.js";
import { createApiKeyStore } from "../../keys/api-key-store.js";
import { createLeaseStore } from "../../leases/lease-store.js";
import { createRedis } from "../../redis/client.js";
import { createRedisKeys } from "../../redis/keys.js";
import { loadPriceTable, type TokenCounts } from "../../usage/pricing.js";
import { createUsageReader } from "../../usage/usage-reader.js";
import { createUsageRecorder } from "../../usage/usage-recorder.js";
import { rpcError, signIn } from "./admin-client.test-helper.js";

const PASSWORD = "usage-service-test-password";
// "Today" for the service: Thursday 2025-01-16, 09:30 UTC.
const NOW = Date.parse("2025-01-16T09:30:00Z");
const none: TokenCounts = { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };

let redisServer: TestRedis;
let redis: Redis;
let http: AdminHttpServer;
let baseUrl: string;
let token: string;
let usage: Client<typeof UsageService>;
const ids = { keyA: "", keyB: "", acctA: "", acctB: "" };

beforeAll(async () => {
  redisServer = await startRedis();
  redis = createRedis(redisServer.url);
  const keys = createRedisKeys({ prefix: `t-${randomBytes(6).toString("hex")}` });
  const users = createAdminUsers({ redis, keys, scryptParams: { logN: 10, r: 8, p: 1 } });
  await users.createIfAbsent("admin", PASSWORD);
  const apiKeys = createApiKeyStore({ redis, keys });
  const accounts = createAccountStore({ redis, keys, cipher: createCredentialCipher(randomBytes(32)) });
  http = createAdminHttpServer({
    redis,
    users,
    sessions: createAdminSessions({ redis, keys }),
    accounts,
    apiKeys,
    leases: createLeaseStore({ redis, keys, ttlMs: 30_000 }),
    usage: createUsageReader({ redis, keys }),
    log: createLogger({ service: "control-plane", level: "silent" }),
    registry: createMetricsRegistry("control-plane"),
    now: () => NOW,
  });
  baseUrl = `http://127.0.0.1:${await http.listen(0, "127.0.0.1")}`;
  const signedIn = await signIn(baseUrl, "admin", PASSWORD);
  token = signedIn.token;
  usage = createClient(UsageService, signedIn.transport);

  ids.keyA = (await apiKeys.create({ name: "team-a" })).record.id;
  ids.keyB = (await apiKeys.create({ name: "team-b" })).record.id;
  const account = (name: string) => accounts.create({ name, type: "claude-console", credential: { kind: "api-key", apiKey: `sk-${name}` } });
  ids.acctA = (await account("pool-a")).id;
  ids.acctB = (await account("pool-b")).id;

  const recorder = createUsageRecorder({ redis, keys, prices: loadPriceTable() });
  const record = (at: string, keyId: string, accountId: string, model: string, tokens: Partial<TokenCounts>) =>
    Promise.all(recorder.usageCommands({ leaseId: randomBytes(4).toString("hex"), keyId, accountId, model, tokens: { ...none, ...tokens }, nowMs: Date.parse(at) }));
  // Wednesday: team-a on pool-a, sonnet, $0.021 (see pricing.test.ts).
  await record("2025-01-15T10:15:00Z", ids.keyA, ids.acctA, "claude-sonnet-4-5", { inputTokens: 1_000, outputTokens: 500, cacheCreationInputTokens: 2_000, cacheReadInputTokens: 10_000 });
  // Thursday: team-b on pool-b, haiku, $0.0045 at 08:xx; team-a on pool-b, an unpriced model at 09:xx.
  await record("2025-01-16T08:05:00Z", ids.keyB, ids.acctB, "claude-haiku-4-5", { inputTokens: 2_000, outputTokens: 300, cacheCreationInputTokens: 400, cacheReadInputTokens: 5_000 });
  await record("2025-01-16T09:10:00Z", ids.keyA, ids.acctB, "claude-next-1", { inputTokens: 50, outputTokens: 5 });
});

afterAll(async () => {
  await http?.close();
  redis?.disconnect();
  await redisServer?.close();
});


describe("UsageService", () => {
  it("sums a range of days: the total, each day, by model, and the top keys and accounts with their names", async () => {
    const summary = await usage.getUsageSummary({ fromDay: "2025-01-15", toDay: "2025-01-16" });
    expect(summary.total).toMatchObject({ requests: 3n, inputTokens: 3_050n, outputTokens: 805n, cacheCreationInputTokens: 2_400n, cacheReadInputTokens: 15_000n, unpricedRequests: 1n });
    expect(summary.total?.costUsd).toBeCloseTo(0.0255, 12);
    expect(summary.days.map((d) => [d.day, d.usage?.requests])).toEqual([
      ["2025-01-15", 1n],
      ["2025-01-16", 2n],
    ]);
    expect(summary.models.map((m) => m.id)).toEqual(["claude-sonnet-4-5", "claude-haiku-4-5", "claude-next-1"]);
    expect(summary.unpricedModels).toEqual(["claude-next-1"]);
    expect(summary.topKeys.map((k) => [k.name, k.usage?.costUsd])).toEqual([
      ["team-a", 0.021],
      ["team-b", 0.0045],
    ]);
    expect(summary.topAccounts.map((a) => [a.id, a.name, a.usage?.requests])).toEqual([
      [ids.acctA, "pool-a", 1n],
      [ids.acctB, "pool-b", 2n],
    ]);
    const top1 = await usage.getUsageSummary({ fromDay: "2025-01-15", toDay: "2025-01-16", top: 1 });
    expect(top1.topKeys.map((k) => k.name)).toEqual(["team-a"]);
  });

  it("defaults to today", async () => {
    const today = await usage.getUsageSummary({});
    expect([today.fromDay, today.toDay, today.total?.requests]).toEqual(["2025-01-16", "2025-01-16", 2n]);
    const hourly = await usage.getHourlyUsage({});
    expect(hourly.hours).toHaveLength(24);
    expect(hourly.hours.filter((h) => (h.usage?.requests ?? 0n) > 0n).map((h) => h.hour)).toEqual([8, 9]);
  });

  it("gives one key, account or model day by day and hour by hour", async () => {
    const keyA = await usage.getDailyUsage({ fromDay: "2025-01-14", toDay: "2025-01-16", subject: { subject: { case: "keyId", value: ids.keyA } } });
    expect(keyA.days.map((d) => d.usage?.requests)).toEqual([0n, 1n, 1n]);
    expect(keyA.total?.costUsd).toBeCloseTo(0.021, 12);
    const haiku = await usage.getDailyUsage({ fromDay: "2025-01-16", subject: { subject: { case: "model", value: "claude-haiku-4-5" } } });
    expect(haiku.total?.cacheReadInputTokens).toBe(5_000n);
    const poolB = await usage.getHourlyUsage({ day: "2025-01-16", subject: { subject: { case: "accountId", value: ids.acctB } } });
    expect(poolB.hours[8]?.usage?.outputTokens).toBe(300n);
    expect(poolB.hours[9]?.usage?.unpricedRequests).toBe(1n);
    expect(poolB.total?.requests).toBe(2n);
  });

  it("speaks JSON to curl, with 64-bit counts as strings", async () => {
    const res = await fetch(`${baseUrl}/claude_relay.admin.v1.UsageService/GetUsageSummary`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ fromDay: "2025-01-15" }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ total: { requests: "1", costUsd: 0.021 } });
  });

  it("refuses bad input with InvalidArgument naming the field, and callers without a session", async () => {
    // Each call is made only when its turn comes, so no refusal waits unobserved (an unhandled rejection).
    const checks: [() => Promise<unknown>, RegExp][] = [
      [() => usage.getUsageSummary({ fromDay: "2025-13-01" }), /^from_day: must be a day/],
      [() => usage.getUsageSummary({ fromDay: "2025-01-16", toDay: "2025-01-15" }), /^to_day: must not be before from_day/],
      [() => usage.getUsageSummary({ fromDay: "2024-01-01", toDay: "2024-12-31" }), /^to_day: must be at most 91 days/],
      [() => usage.getUsageSummary({ top: -1 }), /^top: must be a non-negative integer/],
      [() => usage.getHourlyUsage({ day: "16/01/2025" }), /^day: must be a day/],
      [() => usage.getDailyUsage({ subject: { subject: { case: "keyId", value: " " } } }), /^subject.key_id: must not be empty/],
    ];
    for (const [call, message] of checks) {
      const error = await rpcError(call());
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toMatch(message);
    }
    const anonymous = createClient(UsageService, createConnectTransport({ baseUrl, httpVersion: "1.1" }));
    expect((await rpcError(anonymous.getUsageSummary({}))).code).toBe(Code.Unauthenticated);
  });
});
