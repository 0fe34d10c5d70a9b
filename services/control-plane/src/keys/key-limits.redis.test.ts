import { randomBytes } from "node:crypto";
import { createLogger } from "@claude-relay/logging";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAccountStore, type AccountStore } from "../accounts/account-store.js";
import { createCredentialCipher } from "../accounts/credential-cipher.js";
import { createAcquireLease, type AcquireInput, type AcquireResult } from "../leases/acquire-lease.js";
import { createLeaseStore, type LeaseStore } from "../leases/lease-store.js";
import { createRedis } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { createStickyStore } from "../sessions/sticky-store.js";
import type { TokenCounts } from "../usage/pricing.js";
import { loadPriceTable } from "../usage/pricing.js";
import { msUntilDayEnd, msUntilWeekEnd } from "../usage/usage-periods.js";
import { createUsageRecorder, type UsageRecorder } from "../usage/usage-recorder.js";
import { createApiKeyStore, hashApiKey, type ApiKeyRecord, type ApiKeyStore, type NewApiKey } from "./api-key-store.js";
import { createKeyLimits, type KeyLimits } from "./key-limits.js";

const TTL = 30_000;
const log = createLogger({ service: "control-plane", level: "silent" });
const prices = loadPriceTable();
// Wednesday 2025-01-15, 13:45:30.250 UTC.
const START = Date.parse("2025-01-15T13:45:30.250Z");
const none: TokenCounts = { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };

let server: TestRedis;
let redis: Redis;
let keys: RedisKeys;
let apiKeys: ApiKeyStore;
let limits: KeyLimits;
let usage: UsageRecorder;
let clock = START;
const now = () => clock;

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url);
});

beforeEach(() => {
  clock = START;
  keys = createRedisKeys({ prefix: `test-${randomBytes(6).toString("hex")}` });
  apiKeys = createApiKeyStore({ redis, keys, now });
  limits = createKeyLimits({ redis, keys, ttlMs: TTL, now });
  usage = createUsageRecorder({ redis, keys, prices });
});

afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

async function newKey(input: Partial<NewApiKey> = {}): Promise<ApiKeyRecord> {
  return (await apiKeys.create({ name: "k", ...input })).record;
}

/** Counts a finished request of the key at the current clock, as Release does. */
async function spend(key: ApiKeyRecord, model: string, tokens: Partial<TokenCounts>, leaseId = randomBytes(6).toString("hex")) {
  await Promise.all(usage.usageCommands({ leaseId, keyId: key.id, accountId: "acct", model, tokens: { ...none, ...tokens }, nowMs: clock }));
}

/** Takes a slot and frees it at once, so only the windows and costs remain. */
async function oneRequest(key: ApiKeyRecord, model = "claude-sonnet-4-5") {
  const leaseId = randomBytes(6).toString("hex");
  const reply = await limits.acquire(leaseId, key, model);
  if (reply.status === "granted") await redis.zrem(keys.apiKeyLeases(key.id), leaseId);
  return reply;
}

describe("createKeyLimits", () => {
  it("grants up to the concurrency limit and then names the wait until the earliest lease expires", async () => {
    const key = await newKey({ concurrencyLimit: 2 });
    expect(await limits.acquire("l1", key, "m")).toEqual({ status: "granted", active: 1 });
    clock += 1_000;
    expect(await limits.acquire("l2", key, "m")).toEqual({ status: "granted", active: 2 });
    expect(await limits.acquire("l3", key, "m")).toEqual({ status: "limited", limit: "concurrency", retryAfterMs: TTL - 1_000, value: "2" });
    expect((await limits.spend(key)).activeRequests).toBe(2);
    // l1 expires first; an expired lease no longer counts, even before anything drops it.
    clock += TTL - 1_000;
    expect((await limits.spend(key)).activeRequests).toBe(1);
  });

  it("refuses over the request window until its oldest request leaves it", async () => {
    const key = await newKey({ rateWindowSeconds: 60, rateLimitRequests: 3 });
    for (let i = 0; i < 3; i++) {
      expect((await oneRequest(key)).status).toBe("granted");
      clock += 10_000;
    }
    // Requests at +0, +10 s and +20 s; now +30 s: the first leaves the window at +60 s.
    expect(await oneRequest(key)).toEqual({ status: "limited", limit: "requests", retryAfterMs: 30_000, value: "3" });
    clock = START + 59_999;
    expect((await oneRequest(key)).status).toBe("limited");
    clock = START + 60_000;
    expect((await oneRequest(key)).status).toBe("granted");
    expect((await limits.spend(key)).windowRequests).toBe(3);
  });

  it("does not count an attempt that was given back for want of an account", async () => {
    const key = await newKey({ rateWindowSeconds: 60, rateLimitRequests: 1 });
    expect((await limits.acquire("lost", key, "m")).status).toBe("granted");
    await limits.cancel("lost", key.id);
    expect(await redis.zcard(keys.apiKeyLeases(key.id))).toBe(0);
    expect((await limits.acquire("kept", key, "m")).status).toBe("granted");
    expect((await limits.acquire("third", key, "m")).status).toBe("limited");
  });

  it("refuses over the token window, counting cache tokens, until enough of them leave it", async () => {
    const key = await newKey({ rateWindowSeconds: 60, rateLimitTokens: 1_000 });
    await spend(key, "claude-sonnet-4-5", { inputTokens: 100, outputTokens: 200, cacheCreationInputTokens: 100, cacheReadInputTokens: 200 });
    clock += 10_000;
    expect((await oneRequest(key)).status).toBe("granted");
    await spend(key, "claude-sonnet-4-5", { outputTokens: 500 });
    expect((await limits.spend(key)).windowTokens).toBe(1_100);
    clock += 10_000;
    // 1,100 of 1,000 used; the 600 counted at +0 s leave at +60 s, which brings the window under the limit.
    expect(await oneRequest(key)).toEqual({ status: "limited", limit: "tokens", retryAfterMs: 40_000, value: "1000" });
    clock = START + 60_000;
    expect((await oneRequest(key)).status).toBe("granted");
    expect(await redis.get(keys.apiKeyTokenWindowTotal(key.id))).toBe("500");
  });

  it("keeps no token window for a key without a token limit", async () => {
    const key = await newKey({ rateWindowSeconds: 60, rateLimitRequests: 100 });
    await spend(key, "claude-sonnet-4-5", { inputTokens: 1_000 });
    expect(await redis.exists(keys.apiKeyTokenWindow(key.id), keys.apiKeyTokenWindowTotal(key.id))).toBe(0);
  });

  it("refuses over the daily cost limit until the UTC day ends, and grants again the next day", async () => {
    const key = await newKey({ dailyCostLimitUsd: 0.01 });
    // 1,000 output tokens of claude-sonnet-4-5 at $15 per million: $0.015.
    await spend(key, "claude-sonnet-4-5", { outputTokens: 1_000 });
    expect(await oneRequest(key)).toEqual({ status: "limited", limit: "daily_cost", retryAfterMs: msUntilDayEnd(clock), value: "0.01" });
    expect(msUntilDayEnd(clock)).toBe(36_869_750);
    expect((await limits.spend(key)).todayNanos).toBe(15_000_000);
    clock = Date.parse("2025-01-16T00:00:00Z");
    expect((await oneRequest(key)).status).toBe("granted");
  });

  it("refuses over the total cost limit without a retry hint", async () => {
    const key = await newKey({ totalCostLimitUsd: 0.02 });
    await spend(key, "claude-sonnet-4-5", { outputTokens: 1_000 });
    expect((await oneRequest(key)).status).toBe("granted");
    clock += 2 * 86_400_000;
    await spend(key, "claude-sonnet-4-5", { outputTokens: 1_000 });
    expect(await oneRequest(key)).toEqual({ status: "limited", limit: "total_cost", retryAfterMs: 0, value: "0.02" });
    expect((await limits.spend(key)).totalNanos).toBe(30_000_000);
  });

  it("limits Opus models by their cost this week and leaves other models alone", async () => {
    const key = await newKey({ weeklyOpusCostLimitUsd: 1 });
    // 20,000 output tokens of claude-opus-4-1 at $75 per million: $1.50; the sonnet request does not count.
    await spend(key, "claude-opus-4-1-20250805", { outputTokens: 20_000 });
    await spend(key, "claude-sonnet-4-5", { outputTokens: 100_000 });
    expect(await oneRequest(key, "claude-opus-4-1")).toEqual({
      status: "limited",
      limit: "weekly_opus_cost",
      retryAfterMs: msUntilWeekEnd(clock),
      value: "1",
    });
    expect((await limits.spend(key)).opusThisWeekNanos).toBe(1_500_000_000);
    expect((await oneRequest(key, "claude-sonnet-4-5")).status).toBe("granted");
    clock = Date.parse("2025-01-20T00:00:00Z");
    expect((await oneRequest(key, "claude-opus-4-1")).status).toBe("granted");
  });

  it("stamps the first use once and expires the key its set time after it", async () => {
    const key = await newKey({ expireAfterFirstUseSeconds: 3_600 });
    clock += 5_000;
    expect((await oneRequest(key)).status).toBe("granted");
    const firstUse = clock;
    clock += 3_599_999;
    expect((await oneRequest(key)).status).toBe("granted");
    expect((await apiKeys.get(key.id))?.firstUsedAtMs).toBe(firstUse);
    clock += 1;
    expect(await oneRequest(key)).toEqual({ status: "expired" });
  });

  it("refuses a disabled or revoked key even when the caller still has it as enabled", async () => {
    const disabled = await newKey();
    await apiKeys.update(disabled.id, { enabled: false });
    expect(await limits.acquire("l", disabled, "m")).toEqual({ status: "disabled" });
    const revoked = await newKey();
    await apiKeys.revoke(revoked.id);
    expect(await limits.acquire("l", revoked, "m")).toEqual({ status: "disabled" });
    expect(await limits.acquire("l", { ...revoked, id: "no-such-key" }, "m")).toEqual({ status: "missing" });
  });

  it("reads the limits from the record, so an update applies at once whatever the caller has", async () => {
    const stale = await newKey();
    await apiKeys.update(stale.id, { rateWindowSeconds: 60, rateLimitRequests: 1 });
    expect((await oneRequest(stale)).status).toBe("granted");
    expect(await oneRequest(stale)).toMatchObject({ status: "limited", limit: "requests" });
  });

  it("never lets parallel acquires from several connections past the request window", async () => {
    const key = await newKey({ rateWindowSeconds: 3_600, rateLimitRequests: 25 });
    const clients = [redis, ...Array.from({ length: 3 }, () => createRedis(server.url))];
    try {
      const replicas = clients.map((client) => createKeyLimits({ redis: client, keys, ttlMs: TTL, now }));
      const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => replicas[i % replicas.length]!.acquire(`p${i}`, key, "m")));
      expect(replies.filter((r) => r.status === "granted")).toHaveLength(25);
      expect(replies.filter((r) => r.status === "limited" && r.limit === "requests")).toHaveLength(175);
      expect(await redis.zcard(keys.apiKeyRequestWindow(key.id))).toBe(25);
    } finally {
      for (const c of clients.slice(1)) c.disconnect();
    }
  });
});

describe("Acquire with key limits", () => {
  let accounts: AccountStore;
  let leases: LeaseStore;
  let acquire: (input: AcquireInput) => Promise<AcquireResult>;

  beforeEach(() => {
    accounts = createAccountStore({ redis, keys, now, cipher: createCredentialCipher(randomBytes(32)) });
    leases = createLeaseStore({ redis, keys, ttlMs: TTL, now });
    const catalog = { findKeyByHash: apiKeys.findByHash, listAccounts: accounts.list, credential: accounts.credential };
    acquire = createAcquireLease({ catalog, leases, sticky: createStickyStore({ redis, keys }), keyLimits: limits, log, now });
  });

  async function clientKey(input: Partial<NewApiKey>) {
    const { record, plaintextKey } = await apiKeys.create({ name: "k", ...input });
    return { record, keyHash: hashApiKey(plaintextKey) };
  }

  const input = (keyHash: string, over: Partial<AcquireInput> = {}): AcquireInput => ({ keyHash, model: "claude-sonnet-4-5", sessionHash: "", excludeAccounts: [], ...over });

  it("refuses a key over a limit as KEY_LIMIT, with a message and the retry hint, holding no account slot", async () => {
    const account = await accounts.create({ name: "a", type: "claude-console", credential: { kind: "api-key", apiKey: "sk-a" } });
    const { keyHash } = await clientKey({ rateWindowSeconds: 60, rateLimitRequests: 1 });
    expect((await acquire(input(keyHash))).ok).toBe(true);
    clock += 15_000;
    expect(await acquire(input(keyHash))).toEqual({
      ok: false,
      reason: "KEY_LIMIT",
      message: "this API key is over its limit of 1 requests per 60 seconds",
      retryAfterMs: 45_000,
    });
    expect(await leases.activeCount(account.id)).toBe(1);
  });

  it("refuses a client outside the allow-list as NOT_ALLOWED", async () => {
    await accounts.create({ name: "a", type: "claude-console", credential: { kind: "api-key", apiKey: "sk-a" } });
    const { keyHash } = await clientKey({ allowedClients: ["claude-cli/*"] });
    expect(await acquire(input(keyHash, { userAgent: "python-requests/2.32" }))).toMatchObject({ ok: false, reason: "NOT_ALLOWED" });
    expect(await acquire(input(keyHash, { userAgent: "claude-cli/2.1.330 (external, sdk-cli)" }))).toMatchObject({ ok: true });
  });

  it("refuses a key whose time after first use is over as KEY_INVALID", async () => {
    await accounts.create({ name: "a", type: "claude-console", credential: { kind: "api-key", apiKey: "sk-a" } });
    const { keyHash } = await clientKey({ expireAfterFirstUseSeconds: 60 });
    expect((await acquire(input(keyHash))).ok).toBe(true);
    clock += 60_000;
    expect(await acquire(input(keyHash))).toEqual({ ok: false, reason: "KEY_INVALID", message: "this API key has expired", retryAfterMs: 0 });
  });

  it("gives the request window its place back when no account could take the request", async () => {
    await accounts.create({ name: "full", type: "claude-console", maxConcurrentTasks: 1, credential: { kind: "api-key", apiKey: "sk-a" } });
    const { record, keyHash } = await clientKey({ rateWindowSeconds: 60, rateLimitRequests: 5 });
    expect((await acquire(input(keyHash))).ok).toBe(true);
    expect(await acquire(input(keyHash))).toMatchObject({ ok: false, reason: "NO_ACCOUNT" });
    expect(await redis.zcard(keys.apiKeyRequestWindow(record.id))).toBe(1);
  });
});
