import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  AcquireRequestSchema,
  CredentialKind,
  OutcomeKind,
  RefusalReason,
  ReleaseRequestSchema,
  RenewRequestSchema,
  type AcquireResponse,
  type Lease,
} from "@claude-relay/proto/lease";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../keys/api-key-store.js";
import { startHarness, TOKEN, TTL, type Harness } from "./lease-server.test-helper.js";

function call<T>(client: grpc.Client, method: "acquire" | "renew" | "release", request: unknown, token: string | null = TOKEN): Promise<T> {
  const metadata = new grpc.Metadata();
  if (token !== null) metadata.set("x-internal-token", token);
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, Function>)[method]!.bind(client);
    fn(request, metadata, { deadline: Date.now() + 15_000 }, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
  });
}

const acquire = (h: Harness, fields: Partial<{ keyHash: string; model: string; sessionHash: string; excludeAccounts: string[] }>, token?: string) =>
  call<AcquireResponse>(h.client, "acquire", create(AcquireRequestSchema, { model: "claude-sonnet-4-5", ...fields }), token);

function leaseOf(res: AcquireResponse): Lease {
  if (res.result.case !== "lease") throw new Error(`expected a lease, got ${res.result.case}`);
  return res.result.value;
}

let redisServer: TestRedis;
let h: Harness;

beforeAll(async () => {
  redisServer = await startRedis();
  h = await startHarness(redisServer.url);
});

afterAll(async () => {
  await h?.close();
  await redisServer?.close();
});

describe("lease server", () => {
  it("answers UNAUTHENTICATED without the internal token or with a wrong one", async () => {
    await expect(acquire(h, {}, "")).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    await expect(call(h.client, "acquire", create(AcquireRequestSchema, {}), null)).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
    });
    await expect(acquire(h, {}, `${TOKEN}x`)).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    await expect(call(h.client, "renew", create(RenewRequestSchema, { leaseId: "a.b.c" }), "wrong")).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
  });

  it("grants console leases as API_KEY and OAuth leases as OAUTH_TOKEN with the decrypted credential", async () => {
    const consoleAcct = await h.accounts.create({ name: "console", type: "claude-console", priority: 1, baseUrl: "https://console.example", credential: { kind: "api-key", apiKey: "sk-ant-console-1" } });
    const oauth = await h.accounts.create({
      name: "oauth",
      type: "claude-oauth",
      priority: 2,
      proxyUrl: "socks5://127.0.0.1:1080",
      credential: { kind: "oauth", accessToken: "sk-ant-oat-1", refreshToken: "sk-ant-ort-1", expiresAtMs: Date.now() + 3_600_000, scopes: [] },
    });
    const { record, plaintextKey } = await h.apiKeys.create({ name: "grpc" });
    const first = leaseOf(await acquire(h, { keyHash: hashApiKey(plaintextKey) }));
    expect(first).toMatchObject({ ttlMs: TTL, keyId: record.id, account: { id: consoleAcct.id, name: "console", baseUrl: "https://console.example", credentialKind: CredentialKind.API_KEY, credential: "sk-ant-console-1", proxyUrl: "" } });
    const second = leaseOf(await acquire(h, { keyHash: hashApiKey(plaintextKey), excludeAccounts: [consoleAcct.id] }));
    expect(second.account).toMatchObject({ id: oauth.id, credentialKind: CredentialKind.OAUTH_TOKEN, credential: "sk-ant-oat-1", proxyUrl: "socks5://127.0.0.1:1080", baseUrl: "https://api.anthropic.com" });
    expect(await h.registry.getSingleMetricAsString("control_plane_acquire_total")).toMatch(/result="lease"[^\n]* [2-9]/);
  });

  it("returns every refusal reason as a value", async () => {
    const unknown = await acquire(h, { keyHash: hashApiKey("cr_unknown") });
    expect(unknown.result).toMatchObject({ case: "refusal", value: { reason: RefusalReason.KEY_INVALID, message: "invalid x-api-key" } });

    const limited = await h.apiKeys.create({ name: "limited", concurrencyLimit: 1, allowedModels: ["claude-haiku-*"] });
    const notAllowed = await acquire(h, { keyHash: hashApiKey(limited.plaintextKey) });
    expect(notAllowed.result).toMatchObject({ case: "refusal", value: { reason: RefusalReason.NOT_ALLOWED, message: expect.stringContaining("claude-sonnet-4-5") } });

    leaseOf(await acquire(h, { keyHash: hashApiKey(limited.plaintextKey), model: "claude-haiku-4-5" }));
    const overLimit = await acquire(h, { keyHash: hashApiKey(limited.plaintextKey), model: "claude-haiku-4-5" });
    expect(overLimit.result).toMatchObject({ case: "refusal", value: { reason: RefusalReason.KEY_LIMIT } });
    expect(overLimit.result.case === "refusal" && overLimit.result.value.retryAfterMs).toBeGreaterThan(0);

    const free = await h.apiKeys.create({ name: "free" });
    const all = await h.accounts.list();
    const noAccount = await acquire(h, { keyHash: hashApiKey(free.plaintextKey), excludeAccounts: all.map((a) => a.id) });
    expect(noAccount.result).toMatchObject({ case: "refusal", value: { reason: RefusalReason.NO_ACCOUNT, message: "no account available" } });
    const metrics = await h.registry.getSingleMetricAsString("control_plane_acquire_total");
    for (const reason of ["key_invalid", "not_allowed", "key_limit", "no_account"]) expect(metrics).toContain(`result="${reason}"`);
  });

  it("renews a held lease, releases it with usage, then answers NOT_FOUND for it", async () => {
    const { record, plaintextKey } = await h.apiKeys.create({ name: "cycle" });
    const lease = leaseOf(await acquire(h, { keyHash: hashApiKey(plaintextKey) }));
    const renewed = await call<{ ttlMs: number }>(h.client, "renew", create(RenewRequestSchema, { leaseId: lease.leaseId }));
    expect(renewed.ttlMs).toBe(TTL);
    await call(
      h.client,
      "release",
      create(ReleaseRequestSchema, {
        leaseId: lease.leaseId,
        outcome: { kind: OutcomeKind.SUCCESS, status: 200 },
        usage: { model: "claude-sonnet-4-5", inputTokens: 11, outputTokens: 22 },
        latencyMs: 120,
      }),
    );
    expect(await h.redis.zscore(h.keys.apiKeyLeases(record.id), lease.leaseId)).toBeNull();
    const day = new Date().toISOString().slice(0, 10);
    expect(await h.redis.hget(h.keys.apiKeyDailyUsage(record.id, day), "output_tokens")).toBe("22");
    await expect(call(h.client, "renew", create(RenewRequestSchema, { leaseId: lease.leaseId }))).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    expect(await h.registry.getSingleMetricAsString("control_plane_releases_total")).toContain('outcome="success"');
  });

  it("answers NOT_FOUND when renewing a lease that was never issued", async () => {
    await expect(call(h.client, "renew", create(RenewRequestSchema, { leaseId: "acct.key.random" }))).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it("accepts the release of an unknown lease and still counts its usage", async () => {
    await call(h.client, "release", create(ReleaseRequestSchema, { leaseId: "ghost-acct.ghost-key.r", usage: { inputTokens: 5 }, outcome: { kind: OutcomeKind.UPSTREAM_ERROR, status: 529 } }));
    const day = new Date().toISOString().slice(0, 10);
    expect(await h.redis.hget(h.keys.accountDailyUsage("ghost-acct", day), "input_tokens")).toBe("5");
  });

  it("answers INVALID_ARGUMENT for malformed input", async () => {
    await expect(acquire(h, { keyHash: "not-hex" })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    await expect(acquire(h, { keyHash: hashApiKey("x"), model: "m".repeat(300) })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    await expect(call(h.client, "renew", create(RenewRequestSchema, { leaseId: "nope" }))).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    await expect(call(h.client, "release", create(ReleaseRequestSchema, { leaseId: "" }))).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
  });

  it("answers UNAVAILABLE when Redis is down", async () => {
    const own = await startRedis({ own: true });
    const down = await startHarness(own.url);
    try {
      const { plaintextKey } = await down.apiKeys.create({ name: "down" });
      await own.close();
      await expect(acquire(down, { keyHash: hashApiKey(plaintextKey) })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
      expect(await down.registry.getSingleMetricAsString("control_plane_redis_errors_total")).toMatch(/ [1-9]/);
    } finally {
      await down.close();
      await own.close();
    }
  });
});
