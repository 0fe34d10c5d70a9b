/**
 * Account health end to end: real Release calls through the gRPC lease
 * service change an account's health in Redis, and the next Acquire schedules
 * around it. The clock is injected, so "later" is exact.
 */
import { randomBytes } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { Secret } from "@claude-relay/config";
import { createLogger } from "@claude-relay/logging";
import { createMetricsRegistry } from "@claude-relay/metrics";
import { toGrpcServiceDefinition } from "@claude-relay/proto/grpc";
import {
  AccountSignal,
  AcquireRequestSchema,
  LeaseService,
  OutcomeKind,
  Platform,
  RefusalReason,
  ReleaseRequestSchema,
  type AcquireResponse,
} from "@claude-relay/proto/lease";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createApiKeyStore, hashApiKey, type ApiKeyStore, type NewApiKey } from "../keys/api-key-store.js";
import { createAcquireLease } from "../leases/acquire-lease.js";
import { createLeaseStore } from "../leases/lease-store.js";
import { createReleaseLease } from "../leases/release-lease.js";
import { createRenewLease } from "../leases/renew-lease.js";
import { createRedis } from "../redis/client.js";
import { createRedisKeys } from "../redis/keys.js";
import { createLeaseMetrics } from "../rpc/lease-metrics.js";
import { createLeaseServer, type LeaseServer } from "../rpc/lease-server.js";
import { createStickyStore, type StickyStore } from "../sessions/sticky-store.js";
import type { HealthConfig } from "./account-health.js";
import { createAccountStore, type AccountStore, type NewAccount } from "./account-store.js";
import { createCredentialCipher } from "./credential-cipher.js";
import { createHealthStore, type HealthStore } from "./health-store.js";

const TOKEN = "account-health-test-token-0123";
const TTL = 30_000;
const CONFIG: HealthConfig = { rateLimitDefaultMs: 45_000, overloadCooldownMs: 20_000, breakerFailures: 3, breakerWindowMs: 300_000, breakerOpenMs: 60_000 };
const log = createLogger({ service: "control-plane", level: "silent" });
const LeaseClient = grpc.makeGenericClientConstructor(toGrpcServiceDefinition(LeaseService), "LeaseService");

let server: TestRedis;
let redis: Redis;
let clock = 1_900_000_000_000;
const now = () => clock;
let accounts: AccountStore;
let apiKeys: ApiKeyStore;
let health: HealthStore;
let sticky: StickyStore;
let leaseServer: LeaseServer;
let client: grpc.Client;

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url);
});

// Each test gets its own namespace (so the pool holds only its accounts) and its own lease server.
beforeEach(async () => {
  const keys = createRedisKeys({ prefix: `test-${randomBytes(6).toString("hex")}` });
  accounts = createAccountStore({ redis, cipher: createCredentialCipher(randomBytes(32)), now, keys });
  apiKeys = createApiKeyStore({ redis, now, keys });
  health = createHealthStore({ redis, keys, now, config: CONFIG, probeTtlMs: TTL });
  sticky = createStickyStore({ redis, keys });
  const leases = createLeaseStore({ redis, ttlMs: TTL, now, keys });
  const catalog = { findKeyByHash: apiKeys.findByHash, listAccounts: accounts.list, credential: accounts.credential };
  leaseServer = createLeaseServer({
    acquire: createAcquireLease({ catalog, leases, sticky, health, log, now }),
    renew: createRenewLease({ leases }),
    release: createReleaseLease({ leases, health, log, now }),
    internalToken: new Secret(TOKEN),
    metrics: createLeaseMetrics(createMetricsRegistry("control-plane")),
    log,
  });
  client = new LeaseClient(`127.0.0.1:${await leaseServer.listen("127.0.0.1", 0)}`, grpc.credentials.createInsecure());
  return async () => {
    client.close();
    await leaseServer.close(1_000);
  };
});

afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

function call<T>(method: "acquire" | "release", request: unknown): Promise<T> {
  const metadata = new grpc.Metadata();
  metadata.set("x-internal-token", TOKEN);
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, Function>)[method]!.bind(client);
    fn(request, metadata, { deadline: Date.now() + 15_000 }, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
  });
}

async function clientKey(over: Partial<NewApiKey> = {}): Promise<string> {
  return hashApiKey((await apiKeys.create({ name: "k", ...over })).plaintextKey);
}

function account(name: string, over: Partial<NewAccount> = {}) {
  return accounts.create({ name, type: "claude-console", credential: { kind: "api-key", apiKey: `sk-${name}` }, ...over });
}

type Granted = { leaseId: string; accountId: string };
type Refused = { reason: RefusalReason; retryAfterMs: number };

async function acquire(keyHash: string, over: { model?: string; sessionHash?: string; platform?: Platform } = {}): Promise<Granted | Refused> {
  const res = await call<AcquireResponse>("acquire", create(AcquireRequestSchema, { keyHash, model: "claude-sonnet-4-5", ...over }));
  if (res.result.case === "lease") return { leaseId: res.result.value.leaseId, accountId: res.result.value.account?.id ?? "" };
  if (res.result.case === "refusal") return { reason: res.result.value.reason, retryAfterMs: res.result.value.retryAfterMs };
  throw new Error("empty AcquireResponse");
}

async function granted(keyHash: string, over: { model?: string; sessionHash?: string } = {}): Promise<Granted> {
  const result = await acquire(keyHash, over);
  if (!("leaseId" in result)) throw new Error(`expected a lease, got refusal ${RefusalReason[result.reason]}`);
  return result;
}

function release(leaseId: string, kind: OutcomeKind, status: number, headers: Record<string, string> = {}) {
  return call("release", create(ReleaseRequestSchema, { leaseId, outcome: { kind, status, headers, detail: kind === OutcomeKind.CONNECTION_FAILURE ? "connection refused" : "" } }));
}

const noAccount = (retryAfterMs: number) => ({ reason: RefusalReason.NO_ACCOUNT, retryAfterMs });

describe("account health driven by Release", () => {
  it("rate-limits an account on 429 until the announced reset, and schedules around it meanwhile", async () => {
    const a = await account("a", { priority: 1 });
    const key = await clientKey();
    const first = await granted(key);
    await release(first.leaseId, OutcomeKind.UPSTREAM_ERROR, 429, { "anthropic-ratelimit-unified-reset": String((clock + 120_000) / 1000) });
    expect(await health.read(a.id)).toMatchObject({ health: { status: "rate_limited", reason: "upstream answered 429", untilMs: clock + 120_000 } });
    expect(await acquire(key)).toEqual(noAccount(120_000));
    const b = await account("b", { priority: 2 });
    expect(await granted(key)).toMatchObject({ accountId: b.id });
    clock += 120_000;
    expect(await granted(key)).toMatchObject({ accountId: a.id });
  });

  it("rate-limits for the configured default when a 429 announces no reset", async () => {
    const a = await account("a");
    const key = await clientKey();
    await release((await granted(key)).leaseId, OutcomeKind.UPSTREAM_ERROR, 429, { "retry-after": "garbage" });
    expect(await health.read(a.id)).toMatchObject({ health: { status: "rate_limited", untilMs: clock + CONFIG.rateLimitDefaultMs } });
  });

  it("marks an account overloaded on 529 for the cooldown", async () => {
    const a = await account("a");
    const key = await clientKey();
    await release((await granted(key)).leaseId, OutcomeKind.UPSTREAM_ERROR, 529);
    expect(await health.read(a.id)).toMatchObject({ health: { status: "overloaded", untilMs: clock + CONFIG.overloadCooldownMs } });
    expect(await acquire(key)).toEqual(noAccount(CONFIG.overloadCooldownMs));
    clock += CONFIG.overloadCooldownMs;
    expect(await granted(key)).toMatchObject({ accountId: a.id });
  });

  it("marks an account unauthorized on 401 and 403 until it is reset, with no retry time", async () => {
    await account("a");
    await account("b");
    const key = await clientKey();
    const first = await granted(key);
    await release(first.leaseId, OutcomeKind.UPSTREAM_ERROR, 401);
    const second = await granted(key);
    expect(second.accountId).not.toBe(first.accountId);
    await release(second.leaseId, OutcomeKind.UPSTREAM_ERROR, 403);
    for (const [lease, status] of [[first, 401], [second, 403]] as const) {
      expect(await health.read(lease.accountId)).toMatchObject({ health: { status: "unauthorized", reason: `upstream answered ${status}`, untilMs: 0 } });
    }
    clock += 30 * 24 * 3_600_000;
    expect(await acquire(key)).toEqual(noAccount(0));
    await health.apply(first.accountId, { kind: "reset" });
    expect(await granted(key)).toMatchObject({ accountId: first.accountId });
  });

  it("opens the breaker after three failures, lets one probe through after the open time, re-opens on its failure and closes on success", async () => {
    const a = await account("a");
    const key = await clientKey();
    await release((await granted(key)).leaseId, OutcomeKind.UPSTREAM_ERROR, 502);
    await release((await granted(key)).leaseId, OutcomeKind.CONNECTION_FAILURE, 0);
    expect((await health.read(a.id)).health.status).toBe("healthy");
    await release((await granted(key)).leaseId, OutcomeKind.UPSTREAM_ERROR, 500);
    expect(await health.read(a.id)).toMatchObject({ health: { status: "circuit_open", untilMs: clock + CONFIG.breakerOpenMs } });
    expect(await acquire(key)).toEqual(noAccount(CONFIG.breakerOpenMs));

    clock += CONFIG.breakerOpenMs;
    const probe = await granted(key);
    // While the probe runs, no other request may test the account.
    expect(await acquire(key)).toEqual(noAccount(0));
    await release(probe.leaseId, OutcomeKind.UPSTREAM_ERROR, 503);
    expect(await health.read(a.id)).toMatchObject({ health: { status: "circuit_open", untilMs: clock + CONFIG.breakerOpenMs } });
    expect(await acquire(key)).toEqual(noAccount(CONFIG.breakerOpenMs));

    clock += CONFIG.breakerOpenMs;
    const second = await granted(key);
    await release(second.leaseId, OutcomeKind.SUCCESS, 200);
    expect(await health.read(a.id)).toMatchObject({ health: { status: "healthy" }, failureCount: 0 });
    const [x, y] = [await granted(key), await granted(key)];
    expect([x.accountId, y.accountId]).toEqual([a.id, a.id]);
  });

  it("lets another probe through when the probe's client went away without an answer", async () => {
    const a = await account("a");
    const key = await clientKey();
    for (let i = 0; i < 3; i++) await release((await granted(key)).leaseId, OutcomeKind.UPSTREAM_ERROR, 500);
    clock += CONFIG.breakerOpenMs;
    await release((await granted(key)).leaseId, OutcomeKind.CLIENT_ABORTED, 0);
    expect((await health.read(a.id)).health.status).toBe("circuit_open");
    expect(await granted(key)).toMatchObject({ accountId: a.id });
  });
});

describe("scheduling with health, windows, models and bindings", () => {
  const windows = (utilization: string, status = "allowed") => ({
    "anthropic-ratelimit-unified-status": status,
    "anthropic-ratelimit-unified-reset": String((clock + 3_600_000) / 1000),
    "anthropic-ratelimit-unified-5h-utilization": utilization,
  });

  it("prefers the account with the most headroom and never picks one the upstream said is exhausted", async () => {
    const a = await account("a");
    const b = await account("b");
    const key = await clientKey();
    const leases = [await granted(key), await granted(key)];
    for (const lease of leases) await release(lease.leaseId, OutcomeKind.SUCCESS, 200, windows(lease.accountId === a.id ? "0.9" : "0.1"));
    expect(await granted(key)).toMatchObject({ accountId: b.id });
    expect(await granted(key)).toMatchObject({ accountId: b.id });

    const onB = await granted(key);
    await release(onB.leaseId, OutcomeKind.SUCCESS, 200, windows("0.5", "rejected"));
    expect(await granted(key)).toMatchObject({ accountId: a.id });
    await release((await granted(key)).leaseId, OutcomeKind.SUCCESS, 200, { "anthropic-ratelimit-unified-7d-utilization": "1.0", "anthropic-ratelimit-unified-7d-reset": String((clock + 600_000) / 1000) });
    expect(await acquire(key)).toEqual(noAccount(600_000));
  });

  it("moves a sticky session off an account that turned unhealthy, and the binding with it", async () => {
    await account("a", { priority: 1 });
    const b = await account("b", { priority: 2 });
    const key = await clientKey();
    const first = await granted(key, { sessionHash: "s1" });
    await release(first.leaseId, OutcomeKind.UPSTREAM_ERROR, 529);
    expect(await granted(key, { sessionHash: "s1" })).toMatchObject({ accountId: b.id });
    expect(await sticky.get("s1")).toBe(b.id);
  });

  it("never picks an account for a model outside its allow-list", async () => {
    await account("haiku", { priority: 1, allowedModels: ["claude-haiku-*"] });
    const general = await account("general", { priority: 2 });
    const key = await clientKey();
    expect(await granted(key, { model: "claude-opus-4-1" })).toMatchObject({ accountId: general.id });
    await accounts.update(general.id, { allowedModels: ["claude-sonnet-4-5"] });
    expect(await acquire(key, { model: "claude-opus-4-1" })).toEqual(noAccount(0));
  });

  it("keeps a key bound to a group inside it, and a key bound to an account on that account only", async () => {
    await account("pool", { priority: 1 });
    const team = await account("team", { priority: 5, group: "team-a" });
    const dedicated = await account("dedicated", { priority: 9 });
    const groupKey = await clientKey({ boundGroup: "team-a" });
    const accountKey = await clientKey({ boundAccountId: dedicated.id });
    expect(await granted(groupKey)).toMatchObject({ accountId: team.id });
    const lease = await granted(accountKey);
    expect(lease).toMatchObject({ accountId: dedicated.id });
    // No spilling out of the binding, even when its account is rate-limited.
    await release(lease.leaseId, OutcomeKind.UPSTREAM_ERROR, 429, { "retry-after": "30" });
    expect(await acquire(accountKey)).toEqual(noAccount(30_000));
  });
});

describe("account health from a provider's signal", () => {
  const gemini = (name: string) => accounts.create({ name, type: "gemini-api", credential: { kind: "api-key", apiKey: `AIza-${name}` } });
  const acquireGemini = (keyHash: string) => acquire(keyHash, { model: "gemini-2.5-flash", platform: Platform.GEMINI });
  const releaseWith = (leaseId: string, outcome: { kind: OutcomeKind; status: number; headers?: Record<string, string>; detail?: string; signal: AccountSignal }) =>
    call("release", create(ReleaseRequestSchema, { leaseId, outcome }));

  it("rate-limits a Gemini account until the retry-after of an outcome signalled RATE_LIMITED, with the detail as the reason", async () => {
    const g = await gemini("studio");
    const key = await clientKey();
    const lease = await acquireGemini(key);
    if (!("leaseId" in lease)) throw new Error("expected a lease");
    expect(lease.accountId).toBe(g.id);
    await releaseWith(lease.leaseId, {
      kind: OutcomeKind.UPSTREAM_ERROR,
      status: 429,
      headers: { "retry-after": "42" },
      detail: "per-day quota exhausted",
      signal: AccountSignal.RATE_LIMITED,
    });
    expect(await health.read(g.id)).toMatchObject({ health: { status: "rate_limited", reason: "upstream answered 429: per-day quota exhausted", untilMs: clock + 42_000 } });
    expect(await acquireGemini(key)).toEqual(noAccount(42_000));
    clock += 42_000;
    expect(await acquireGemini(key)).toMatchObject({ accountId: g.id });
  });

  it("marks a Gemini account unauthorized on a 400 signalled UNAUTHORIZED, and leaves it alone on one signalled NONE", async () => {
    const g = await gemini("studio");
    const key = await clientKey();
    const first = await acquireGemini(key);
    if (!("leaseId" in first)) throw new Error("expected a lease");
    await releaseWith(first.leaseId, { kind: OutcomeKind.UPSTREAM_ERROR, status: 400, detail: "invalid argument", signal: AccountSignal.NONE });
    expect((await health.read(g.id)).health.status).toBe("healthy");
    const second = await acquireGemini(key);
    if (!("leaseId" in second)) throw new Error("expected a lease");
    await releaseWith(second.leaseId, { kind: OutcomeKind.UPSTREAM_ERROR, status: 400, detail: "API key not valid", signal: AccountSignal.UNAUTHORIZED });
    expect(await health.read(g.id)).toMatchObject({ health: { status: "unauthorized", reason: "upstream answered 400: API key not valid", untilMs: 0 } });
    expect(await acquireGemini(key)).toEqual(noAccount(0));
  });
});
