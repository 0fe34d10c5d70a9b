/**
 * Usage per platform, end to end on a real Redis: Release finds the platform
 * of the lease's account in the catalog and counts the request under it (in
 * the same write as its other counters), and UsageService reads it back in
 * the summary and as a series, with Gemini requests priced from their own
 * table, long prompts and thinking tokens included. Usage per front door
 * rides in the same write, and the summary splits by it too.
 */
import { randomBytes } from "node:crypto";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { createLogger } from "@claude-relay/logging";
import { createMetricsRegistry } from "@claude-relay/metrics";
import { UsageService } from "@claude-relay/proto/admin";
import { OutcomeKind } from "@claude-relay/proto/lease";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccountStore, type AccountRecord } from "../../accounts/account-store.js";
import { createCredentialCipher } from "../../accounts/credential-cipher.js";
import { createAdminSessions } from "../../auth/admin-sessions.js";
import { createAdminUsers } from "../../auth/admin-users.js";
import { createAdminHttpServer, type AdminHttpServer } from "../../http/server.js";
import { createApiKeyStore } from "../../keys/api-key-store.js";
import { formatLeaseId } from "../../leases/lease-id.js";
import { createLeaseStore, type LeaseStore, type LeaseUsage } from "../../leases/lease-store.js";
import { createReleaseLease, type ReleaseInput, type ReleaseResult } from "../../leases/release-lease.js";
import { createRedis } from "../../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../../redis/keys.js";
import { recordWrites } from "../../redis/record-writes.test-helper.js";
import { loadPriceTable } from "../../usage/pricing.js";
import { createUsageReader } from "../../usage/usage-reader.js";
import { usageShardOf } from "../../usage/usage-shards.js";
import { summedShards } from "../../usage/usage-shards.test-helper.js";
import { createUsageRecorder } from "../../usage/usage-recorder.js";
import { rpcError, signIn } from "./admin-client.test-helper.js";

const PASSWORD = "usage-platforms-test-password";
// Thursday 2025-01-16, 09:30 UTC.
const NOW = Date.parse("2025-01-16T09:30:00Z");
const DAY = "2025-01-16";
const none: LeaseUsage = { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };

let redisServer: TestRedis;
let redis: Redis;
let keys: RedisKeys;
let http: AdminHttpServer;
let usage: Client<typeof UsageService>;
let leases: LeaseStore;
let clock = NOW;
let release: ReturnType<typeof createReleaseLease>;
const ids = { key: "", claude: "", studio: "", cli: "" };

/** Takes a slot on the account (when it exists), then releases it with this usage at `at`, through the front door given. */
async function finish(at: string, accountId: string, model: string, tokens: Partial<LeaseUsage>, frontDoor?: ReleaseInput["frontDoor"]): Promise<ReleaseResult> {
  clock = Date.parse(at);
  const leaseId = formatLeaseId(accountId, ids.key);
  await leases.acquire(leaseId, { kind: "account", id: accountId }, 0);
  const door = frontDoor === undefined ? {} : { frontDoor };
  return release({ leaseId, outcome: OutcomeKind.SUCCESS, status: 200, detail: "", usage: { ...none, ...tokens }, model, latencyMs: 10, ttfbMs: 5, ...door });
}

beforeAll(async () => {
  redisServer = await startRedis();
  redis = createRedis(redisServer.url);
  keys = createRedisKeys({ prefix: `t-${randomBytes(6).toString("hex")}` });
  const log = createLogger({ service: "control-plane", level: "silent" });
  const users = createAdminUsers({ redis, keys, scryptParams: { logN: 10, r: 8, p: 1 } });
  await users.createIfAbsent("admin", PASSWORD);
  const apiKeys = createApiKeyStore({ redis, keys });
  const accounts = createAccountStore({ redis, keys, cipher: createCredentialCipher(randomBytes(32)) });
  leases = createLeaseStore({ redis, keys, ttlMs: 30_000, now: () => clock });
  http = createAdminHttpServer({
    redis,
    users,
    sessions: createAdminSessions({ redis, keys }),
    accounts,
    apiKeys,
    leases,
    usage: createUsageReader({ redis, keys }),
    log,
    registry: createMetricsRegistry("control-plane"),
    now: () => NOW,
  });
  const signedIn = await signIn(`http://127.0.0.1:${await http.listen(0, "127.0.0.1")}`, "admin", PASSWORD);
  usage = createClient(UsageService, signedIn.transport);

  ids.key = (await apiKeys.create({ name: "team" })).record.id;
  ids.claude = (await accounts.create({ name: "claude-pool", type: "claude-console", credential: { kind: "api-key", apiKey: "sk-ant" } })).id;
  ids.studio = (await accounts.create({ name: "studio", type: "gemini-api", credential: { kind: "api-key", apiKey: "AIza" } })).id;
  ids.cli = (
    await accounts.create({
      name: "cli",
      type: "gemini-oauth",
      projectId: "proj-1",
      credential: { kind: "oauth", accessToken: "ya29", refreshToken: "1//r", expiresAtMs: NOW + 3_600_000, scopes: [] },
    })
  ).id;
  // The catalog as a warm per-replica cache serves it: the same list every time, no Redis.
  const list: AccountRecord[] = await accounts.list();
  const recorder = createUsageRecorder({ redis, keys, prices: loadPriceTable() });
  release = createReleaseLease({ leases, log, usage: recorder, catalog: { listAccounts: async () => list }, now: () => clock });

  // Claude: sonnet, 1,000 × $3 + 500 × $15 = $0.0105.
  await finish("2025-01-16T08:05:00Z", ids.claude, "claude-sonnet-4-5", { inputTokens: 1_000, outputTokens: 500 });
  // Gemini 2.5 Pro with a 210k prompt (150k new, 60k cached): the long-prompt rates for every token,
  // 150,000 × $2.50 + 2,000 × $15 + 60,000 × $0.25 = $0.42; 1,500 of the 2,000 output tokens were thoughts.
  await finish("2025-01-16T09:10:00Z", ids.studio, "gemini-2.5-pro", { inputTokens: 150_000, cacheReadInputTokens: 60_000, outputTokens: 2_000, reasoningTokens: 1_500 });
  // Gemini 2.5 Flash through Code Assist: 1,000 × $0.30 + 4,000 × $2.50 = $0.0103.
  await finish("2025-01-16T09:20:00Z", ids.cli, "gemini-2.5-flash", { inputTokens: 1_000, outputTokens: 4_000, reasoningTokens: 3_500 });
  // A Gemini model without a price: counted, flagged, not costed.
  await finish("2025-01-16T09:25:00Z", ids.studio, "gemini-1.5-pro", { inputTokens: 10, outputTokens: 2 });
});

afterAll(async () => {
  await http?.close();
  redis?.disconnect();
  await redisServer?.close();
});

describe("usage per platform", () => {
  it("splits the summary by platform, pricing Gemini's long prompt and thoughts", async () => {
    const summary = await usage.getUsageSummary({ fromDay: DAY });
    expect(summary.total).toMatchObject({ requests: 4n, unpricedRequests: 1n });
    expect(summary.total?.costUsd).toBeCloseTo(0.0105 + 0.42 + 0.0103, 12);
    expect(summary.platforms.map((p) => [p.id, p.name, p.usage?.requests])).toEqual([
      ["claude", "claude", 1n],
      ["gemini", "gemini", 3n],
    ]);
    const [claude, gemini] = summary.platforms;
    expect(claude?.usage?.costUsd).toBeCloseTo(0.0105, 12);
    expect(gemini?.usage).toMatchObject({ inputTokens: 151_010n, outputTokens: 6_002n, cacheReadInputTokens: 60_000n, unpricedRequests: 1n });
    expect(gemini?.usage?.costUsd).toBeCloseTo(0.4303, 12);
    expect(summary.models.find((m) => m.id === "gemini-2.5-pro")?.usage?.costUsd).toBeCloseTo(0.42, 12);
    expect(summary.unpricedModels).toEqual(["gemini-1.5-pro"]);
  });

  it("gives one platform day by day and hour by hour", async () => {
    const daily = await usage.getDailyUsage({ fromDay: "2025-01-15", toDay: DAY, subject: { subject: { case: "platform", value: "gemini" } } });
    expect(daily.days.map((d) => d.usage?.requests)).toEqual([0n, 3n]);
    const hourly = await usage.getHourlyUsage({ day: DAY, subject: { subject: { case: "platform", value: "claude" } } });
    expect(hourly.hours.filter((h) => (h.usage?.requests ?? 0n) > 0n).map((h) => h.hour)).toEqual([8]);
    expect(hourly.total?.costUsd).toBeCloseTo(0.0105, 12);
    const error = await rpcError(usage.getDailyUsage({ subject: { subject: { case: "platform", value: "mistral" } } }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toMatch(/^subject.platform: must be one of claude, gemini, openai/);
  });

  it("records thinking tokens beside the output they are part of", async () => {
    expect(await redis.hget(keys.accountDailyUsage(ids.studio, DAY), "reasoning_tokens")).toBe("1500");
    const day = await summedShards(redis, (s) => keys.usageDay(DAY, s));
    expect(day["gemini|reasoning_tokens"]).toBe("5000");
    expect(day["claude|reasoning_tokens"]).toBeUndefined();
  });

  it("writes the platform's and front door's counters within the Release's one write, with no command more", async () => {
    clock = Date.parse("2025-01-16T09:40:00Z");
    const leaseId = formatLeaseId(ids.cli, ids.key);
    await leases.acquire(leaseId, { kind: "account", id: ids.cli }, 0);
    const writes = recordWrites(redis);
    const result = await release({
      leaseId,
      outcome: OutcomeKind.SUCCESS,
      status: 200,
      detail: "",
      usage: { ...none, inputTokens: 10 },
      model: "gemini-2.5-flash",
      latencyMs: 1,
      ttfbMs: 1,
      frontDoor: "gemini",
    });
    expect(result.platform).toBe("gemini");
    expect(writes.batches).toHaveLength(1);
    // Slots, then one script per hash tag (key, account, day), as for a request of any platform or front door.
    expect(writes.batches.flat().map((c) => c.name)).toEqual(["zrem", "zrem", "evalsha", "evalsha", "evalsha"]);
    const hour = await summedShards(redis, (s) => keys.usageHour("2025-01-16T09", s));
    expect(hour["gemini|requests"]).toBe("4");
    expect(hour["door:gemini|requests"]).toBe("1");
    expect(await redis.hget(keys.usageDay(DAY, usageShardOf(leaseId)), "door:gemini|input_tokens")).toBe("10");
  });

  it("counts a lease whose account is gone in the total and in no platform", async () => {
    const before = await usage.getUsageSummary({ fromDay: DAY });
    const result = await finish("2025-01-16T09:50:00Z", "deleted-account", "gemini-2.5-flash", { inputTokens: 5 });
    expect(result.platform).toBeUndefined();
    const after = await usage.getUsageSummary({ fromDay: DAY });
    expect(after.total?.requests).toBe((before.total?.requests ?? 0n) + 1n);
    expect(after.platforms.map((p) => p.usage?.requests)).toEqual(before.platforms.map((p) => p.usage?.requests));
  });
});

describe("usage per front door", () => {
  const DAY2 = "2025-01-17";

  it("splits one Claude account's requests by front door, by cost then requests, and sums them in its platform", async () => {
    // Through the Messages API, sonnet: 1,000 × $3 + 500 × $15 = $0.0105.
    await finish("2025-01-17T08:00:00Z", ids.claude, "claude-sonnet-4-5", { inputTokens: 1_000, outputTokens: 500 }, "anthropic");
    // Through the OpenAI-compatible endpoint: 2,000 × $3 + 1,000 × $15 = $0.021, and 100 × $3 + 10 × $15 = $0.00045.
    await finish("2025-01-17T08:10:00Z", ids.claude, "claude-sonnet-4-5", { inputTokens: 2_000, outputTokens: 1_000 }, "openai-chat");
    await finish("2025-01-17T09:20:00Z", ids.claude, "claude-sonnet-4-5", { inputTokens: 100, outputTokens: 10 }, "openai-chat");
    // From a relay that names no front door: in the total and the platform, in no front door.
    await finish("2025-01-17T09:30:00Z", ids.claude, "claude-sonnet-4-5", { inputTokens: 1 });

    const summary = await usage.getUsageSummary({ fromDay: DAY2 });
    expect(summary.frontDoors.map((d) => [d.id, d.name, d.usage?.requests, d.usage?.inputTokens, d.usage?.outputTokens])).toEqual([
      ["openai-chat", "openai-chat", 2n, 2_100n, 1_010n],
      ["anthropic", "anthropic", 1n, 1_000n, 500n],
    ]);
    const [openai, anthropic] = summary.frontDoors;
    expect(openai?.usage?.costUsd).toBeCloseTo(0.02145, 12);
    expect(anthropic?.usage?.costUsd).toBeCloseTo(0.0105, 12);
    expect(summary.platforms.map((p) => [p.id, p.usage?.requests, p.usage?.inputTokens, p.usage?.outputTokens])).toEqual([["claude", 4n, 3_101n, 1_510n]]);
    expect(summary.platforms[0]?.usage?.costUsd).toBeCloseTo(0.0105 + 0.02145 + 0.000003, 12);
    expect(summary.total?.requests).toBe(4n);
  });

  it("leaves the requests of relays that named no front door out of the split", async () => {
    // Of 2025-01-16's requests only the one of the single-write test named its front door.
    const summary = await usage.getUsageSummary({ fromDay: DAY });
    expect(summary.frontDoors.map((d) => [d.id, d.usage?.requests, d.usage?.inputTokens])).toEqual([["gemini", 1n, 10n]]);
    expect(summary.platforms.map((p) => p.id)).toEqual(["claude", "gemini"]);
  });
});
