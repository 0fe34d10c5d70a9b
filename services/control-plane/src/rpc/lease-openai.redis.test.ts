/**
 * What the OpenAI accounts need from the lease service, through the real
 * gRPC server over a real Redis with account health kept: Acquire limited to
 * account types, Release binding the continuations of a successful answer to
 * its account, the Codex backend's usage windows (stored, shown, scheduled
 * on, and a 429 put aside until its reset), and the banned state.
 */
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { AccountHealth } from "@claude-relay/proto/admin";
import {
  AccountSignal,
  AcquireRequestSchema,
  CredentialKind,
  OutcomeKind,
  Platform,
  RefusalReason,
  ReleaseRequestSchema,
  UpstreamAccountType,
  type AcquireResponse,
  type Lease,
  type ReleaseRequest,
} from "@claude-relay/proto/lease";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AccountRecord, NewAccount } from "../accounts/account-store.js";
import type { HealthStore } from "../accounts/health-store.js";
import { hashApiKey } from "../keys/api-key-store.js";
import { recordWrites } from "../redis/record-writes.test-helper.js";
import { summedShards } from "../usage/usage-shards.test-helper.js";
import { toHealthFields } from "./admin/account-message.js";
import { openExchange, startHarness, TOKEN, type Harness } from "./lease-server.test-helper.js";

let redisServer: TestRedis;
let h: Harness;
let health: HealthStore;
let keyHash: string;

beforeAll(async () => {
  redisServer = await startRedis();
});

// Each test gets its own namespace and server, so the pool holds only its accounts.
beforeEach(async () => {
  h = await startHarness(redisServer.url, { health: true });
  health = h.health as HealthStore;
  keyHash = hashApiKey((await h.apiKeys.create({ name: "k" })).plaintextKey);
  return () => h.close();
});

afterAll(async () => {
  await redisServer?.close();
});

type AcquireFields = { sessionHash?: string; excludeAccounts?: string[]; accountTypes?: UpstreamAccountType[]; model?: string };

function metadata(): grpc.Metadata {
  const m = new grpc.Metadata();
  m.set("x-internal-token", TOKEN);
  return m;
}

function acquire(fields: AcquireFields = {}): Promise<AcquireResponse> {
  const request = create(AcquireRequestSchema, { keyHash, model: "gpt-5", platform: Platform.OPENAI, ...fields });
  return new Promise((resolve, reject) =>
    (h.client as unknown as { acquire: Function }).acquire(request, metadata(), { deadline: Date.now() + 15_000 }, (err: grpc.ServiceError | null, res: AcquireResponse) =>
      err ? reject(err) : resolve(res),
    ),
  );
}

type OutcomeFields = { kind: OutcomeKind; status: number; signal?: AccountSignal; detail?: string; headers?: Record<string, string> };

type UsageFields = { model: string; inputTokens?: number; cacheReadInputTokens?: number; outputTokens?: number; reasoningTokens?: number };

function release(leaseId: string, fields: Partial<Omit<ReleaseRequest, "$typeName" | "outcome" | "usage">> & { outcome?: OutcomeFields; usage?: UsageFields }): Promise<unknown> {
  const request = create(ReleaseRequestSchema, { leaseId, outcome: { kind: OutcomeKind.SUCCESS, status: 200 }, usage: { model: "gpt-5", inputTokens: 10 }, ...fields });
  return new Promise((resolve, reject) =>
    (h.client as unknown as { release: Function }).release(request, metadata(), { deadline: Date.now() + 15_000 }, (err: grpc.ServiceError | null, res: unknown) =>
      err ? reject(err) : resolve(res),
    ),
  );
}

function leaseOf(res: AcquireResponse): Lease {
  if (res.result.case !== "lease") throw new Error(`expected a lease, got ${res.result.case}: ${JSON.stringify(res.result.value)}`);
  return res.result.value;
}

const accountIdOf = async (fields: AcquireFields = {}) => leaseOf(await acquire(fields)).account?.id;

const openaiApi = (name: string, over: Partial<NewAccount> = {}) => h.accounts.create({ name, type: "openai-api", credential: { kind: "api-key", apiKey: `sk-${name}` }, ...over });
const codex = (name: string, over: Partial<NewAccount> = {}) =>
  h.accounts.create({
    name,
    type: "openai-oauth",
    credential: { kind: "oauth", accessToken: `at-${name}`, refreshToken: `rt-${name}`, expiresAtMs: Date.now() + 3_600_000, scopes: [] },
    ...over,
  });

/** Holds one slot on `account` until the test ends, so it counts as busier than an idle one. */
async function busy(account: AccountRecord): Promise<void> {
  await h.redis.zadd(h.keys.accountLeases(account.id), Date.now() + 600_000, `${account.id}:busy:${Math.random()}`);
}

describe("Acquire limited to account types", () => {
  it("serves chat completions only from OpenAI API keys, with the bearer credential", async () => {
    await codex("codex", { priority: 1 });
    const key = await openaiApi("key", { priority: 90 });
    const lease = leaseOf(await acquire({ accountTypes: [UpstreamAccountType.OPENAI_API] }));
    expect(lease.account).toMatchObject({ id: key.id, type: UpstreamAccountType.OPENAI_API, credentialKind: CredentialKind.BEARER_API_KEY, credential: "sk-key" });
    const none = await acquire({ accountTypes: [UpstreamAccountType.OPENAI_API], excludeAccounts: [key.id] });
    expect(none.result).toMatchObject({ case: "refusal", value: { reason: RefusalReason.NO_ACCOUNT } });
    expect(leaseOf(await acquire({ excludeAccounts: [key.id] })).account?.type).toBe(UpstreamAccountType.OPENAI_OAUTH);
  });

  it.each([UpstreamAccountType.UNSPECIFIED, 42 as UpstreamAccountType])("answers INVALID_ARGUMENT for account type %s, never a wider choice", async (type) => {
    await openaiApi("key");
    await expect(acquire({ accountTypes: [UpstreamAccountType.OPENAI_API, type] })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
  });
});

describe("Usage of OpenAI requests", () => {
  it("counts a Responses request under the openai platform and the openai-responses front door, priced from the OpenAI table", async () => {
    await codex("codex");
    // input_tokens 12,000 of which 8,000 cached, output 3,000 of which 2,500 reasoning, as the relay reports them.
    const usage = { model: "gpt-5-codex", inputTokens: 4_000, cacheReadInputTokens: 8_000, outputTokens: 3_000, reasoningTokens: 2_500 };
    await release(leaseOf(await acquire()).leaseId, { usage, frontDoor: "openai-responses" });
    const day = new Date().toISOString().slice(0, 10);
    // 4,000 × $1.25 + 8,000 × $0.125 + 3,000 × $10 per million = $0.036.
    expect(await summedShards(h.redis, (s) => h.keys.usageDay(day, s))).toMatchObject({
      "openai|input_tokens": "4000",
      "openai|cache_read_input_tokens": "8000",
      "openai|output_tokens": "3000",
      "openai|cost_nanos": "36000000",
      "door:openai-responses|requests": "1",
    });
  });
});

describe("Release with continuation hashes", () => {
  it("binds each continuation of a successful answer to its account, in the release's one round trip", async () => {
    const served = await codex("served", { priority: 50 });
    const better = await codex("better", { priority: 10 });
    const lease = leaseOf(await acquire({ excludeAccounts: [better.id] }));
    expect(lease.account?.id).toBe(served.id);
    const writes = recordWrites(h.redis);
    await release(lease.leaseId, { continuationHashes: ["resp-1", "resp-2", "resp-1"] });
    // This harness reads the account list from Redis (the app's catalog is a cache); after that, one batch.
    const releaseBatches = writes.batches.filter((batch) => batch.some((c) => c.name !== "smembers" && c.name !== "hgetall"));
    expect(releaseBatches).toHaveLength(1);
    expect(releaseBatches[0]?.filter((c) => c.name === "zrem")).toHaveLength(2);
    expect(releaseBatches[0]?.filter((c) => c.name === "set").map((c) => c.first)).toEqual([h.keys.sticky("resp-1"), h.keys.sticky("resp-2")]);
    expect(await h.redis.get(h.keys.sticky("resp-2"))).toBe(served.id);
    const ttl = await h.redis.ttl(h.keys.sticky("resp-1"));
    expect(ttl).toBeGreaterThan(3_500);
    expect(ttl).toBeLessThanOrEqual(3_600);
    // A request continuing either answer lands where it was given, though a better account is free.
    expect(await accountIdOf({ sessionHash: "resp-1" })).toBe(served.id);
    expect(await accountIdOf({ sessionHash: "resp-2" })).toBe(served.id);
    expect(await accountIdOf({ sessionHash: "fresh" })).toBe(better.id);
  });

  it("binds nothing after a failed or abandoned answer", async () => {
    await codex("only");
    for (const [i, outcome] of [
      { kind: OutcomeKind.UPSTREAM_ERROR, status: 500 },
      { kind: OutcomeKind.STREAM_INTERRUPTED, status: 200 },
      { kind: OutcomeKind.CLIENT_ABORTED, status: 200 },
    ].entries()) {
      await release(leaseOf(await acquire()).leaseId, { outcome, continuationHashes: [`resp-${i}`] });
      expect(await h.redis.exists(h.keys.sticky(`resp-${i}`))).toBe(0);
    }
  });

  it("binds the continuations of a release sent on the Exchange stream too, and refuses too many", async () => {
    const only = await codex("only");
    const stream = openExchange(h.client);
    const lease = leaseOf(await acquire());
    const request = create(ReleaseRequestSchema, { leaseId: lease.leaseId, outcome: { kind: OutcomeKind.SUCCESS, status: 200 }, continuationHashes: ["resp-x"] });
    const answer = await stream.call(1, { case: "release", value: request });
    expect(answer.case).toBe("release");
    expect(await h.redis.get(h.keys.sticky("resp-x"))).toBe(only.id);
    const many = Array.from({ length: 33 }, (_, i) => `h-${i}`);
    await expect(release(leaseOf(await acquire()).leaseId, { continuationHashes: many })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    stream.halfClose();
    await stream.status;
  });
});

describe("Codex usage windows", () => {
  const codexHeaders = (primary: string, secondary: string) => ({
    "x-codex-primary-used-percent": primary,
    "x-codex-primary-window-minutes": "300",
    "x-codex-primary-reset-after-seconds": "3600",
    "x-codex-secondary-used-percent": secondary,
    "x-codex-secondary-window-minutes": "10080",
    "x-codex-secondary-reset-after-seconds": "400000",
    "x-codex-plan-type": "plus",
  });

  it("stores both windows from a Release, shows them to admins with their length, and passes over the account near a window's end", async () => {
    const near = await codex("near");
    const roomy = await codex("roomy");
    await busy(roomy);
    // Both idle but one: the idle "near" account would win on active leases alone.
    expect(await accountIdOf()).toBe(near.id);
    const before = Date.now();
    await release(leaseOf(await acquire({ excludeAccounts: [roomy.id] })).leaseId, { outcome: { kind: OutcomeKind.SUCCESS, status: 200, headers: codexHeaders("12", "93.5") } });
    await release(leaseOf(await acquire({ excludeAccounts: [near.id] })).leaseId, { outcome: { kind: OutcomeKind.SUCCESS, status: 200, headers: codexHeaders("60", "40") } });
    const stored = await health.read(near.id);
    expect(stored.windows).toEqual([
      { name: "primary", status: "", utilization: 0.12, windowMinutes: 300, resetMs: expect.any(Number) },
      { name: "secondary", status: "", utilization: 0.935, windowMinutes: 10080, resetMs: expect.any(Number) },
    ]);
    expect(stored.windows[0]?.resetMs).toBeGreaterThanOrEqual(before + 3_600_000);
    const shown = toHealthFields(stored, Date.now());
    expect(shown.windows).toEqual([
      expect.objectContaining({ name: "primary", utilization: 0.12, windowMinutes: 300 }),
      expect.objectContaining({ name: "secondary", utilization: 0.935, windowMinutes: 10080 }),
    ]);
    for (let i = 0; i < 3; i++) expect(await accountIdOf()).toBe(roomy.id);
    // The near account still serves when it is the only one left.
    expect(await accountIdOf({ excludeAccounts: [roomy.id] })).toBe(near.id);
  });

  it("puts an account aside after a Codex 429 until its used-up window resets, or until retry-after", async () => {
    const limited = await codex("limited");
    const other = await codex("other");
    await busy(other);
    const before = Date.now();
    await release(leaseOf(await acquire({ excludeAccounts: [other.id] })).leaseId, {
      outcome: { kind: OutcomeKind.UPSTREAM_ERROR, status: 429, signal: AccountSignal.RATE_LIMITED, detail: "usage_limit_reached", headers: { ...codexHeaders("100", "70"), "retry-after": "30" } },
    });
    const stored = await health.read(limited.id);
    expect(stored.health).toMatchObject({ status: "rate_limited", reason: "upstream answered 429: usage_limit_reached" });
    expect(stored.health.untilMs).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(stored.health.untilMs).toBeLessThanOrEqual(Date.now() + 3_600_000);
    expect(await accountIdOf()).toBe(other.id);
    const alone = await acquire({ excludeAccounts: [other.id] });
    expect(alone.result).toMatchObject({ case: "refusal", value: { reason: RefusalReason.NO_ACCOUNT } });

    // A 429 whose only reset is the relay's retry-after (from the body's resets_in_seconds).
    const second = await openaiApi("second");
    await release(leaseOf(await acquire({ accountTypes: [UpstreamAccountType.OPENAI_API] })).leaseId, {
      outcome: { kind: OutcomeKind.UPSTREAM_ERROR, status: 429, headers: { "retry-after": "120" } },
    });
    const retry = (await health.read(second.id)).health;
    expect(retry.status).toBe("rate_limited");
    expect(retry.untilMs).toBeGreaterThanOrEqual(before + 120_000);
    expect(retry.untilMs).toBeLessThanOrEqual(Date.now() + 120_000);
  });
});

describe("Banned accounts", () => {
  it("bans on the BANNED signal with the detail as the reason, keeps the account out through a token refresh, until an admin resets it", async () => {
    const banned = await codex("banned", { priority: 1 });
    const other = await codex("other", { priority: 50 });
    await release(leaseOf(await acquire()).leaseId, {
      outcome: { kind: OutcomeKind.UPSTREAM_ERROR, status: 402, signal: AccountSignal.BANNED, detail: "deactivated_workspace" },
    });
    const stored = await health.read(banned.id);
    expect(stored.health).toMatchObject({ status: "banned", reason: "upstream answered 402: deactivated_workspace", untilMs: 0 });
    expect(toHealthFields(stored, Date.now())).toMatchObject({ health: AccountHealth.BANNED, healthReason: "upstream answered 402: deactivated_workspace", healthUntil: undefined });
    for (let i = 0; i < 3; i++) expect(await accountIdOf()).toBe(other.id);
    // Alone, it is refused with no retry time: it does not come back by itself.
    const alone = await acquire({ excludeAccounts: [other.id] });
    expect(alone.result).toMatchObject({ case: "refusal", value: { reason: RefusalReason.NO_ACCOUNT, retryAfterMs: 0 } });
    // A token refresh lifts unauthorized, never banned; a later 401 does not turn it into unauthorized either.
    await health.apply(banned.id, { kind: "reauthorized" });
    await health.apply(banned.id, { kind: "block", status: "unauthorized", reason: "OAuth refresh failed: invalid_grant", untilMs: 0 });
    expect((await health.read(banned.id)).health.status).toBe("banned");
    // ResetAccountHealth applies "reset".
    await health.apply(banned.id, { kind: "reset" });
    expect(await accountIdOf()).toBe(banned.id);
  });
});
