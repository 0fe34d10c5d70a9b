import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { Code, createClient, type Client } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { loadConfig } from "@claude-relay/config";
import { createLogger } from "@claude-relay/logging";
import { AccountService, AccountType, ApiKeyService, Platform, PriceService, PriceSource, UsageService } from "@claude-relay/proto/admin";
import { toGrpcServiceDefinition } from "@claude-relay/proto/grpc";
import { AcquireRequestSchema, LeaseService, OutcomeKind, RefusalReason, ReleaseRequestSchema, type AcquireResponse } from "@claude-relay/proto/lease";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildControlPlane, type ControlPlane } from "../app.js";
import { controlPlaneConfigSchema, type ControlPlaneConfig } from "../config.js";
import { hashApiKey } from "../keys/api-key-store.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { rpcError, signIn } from "../rpc/admin/admin-client.test-helper.js";

const TOKEN = "prices-app-internal-token-0123456";
const PASSWORD = "prices-app-admin-password";
const LeaseClient = grpc.makeGenericClientConstructor(toGrpcServiceDefinition(LeaseService), "LeaseService");
const log = createLogger({ service: "control-plane", level: "silent" });

let redis: TestRedis;
let dataDir: string;
let config: ControlPlaneConfig;
let keys: RedisKeys;
const apps: ControlPlane[] = [];
let leaseB: grpc.Client;
let pricesA: Client<typeof PriceService>;
let apiKeys: Client<typeof ApiKeyService>;
let usage: Client<typeof UsageService>;

beforeAll(async () => {
  redis = await startRedis();
  dataDir = await mkdtemp(join(tmpdir(), "control-plane-prices-"));
  config = loadConfig(controlPlaneConfigSchema, {
    REDIS_URL: redis.url,
    CONTROL_PLANE_GRPC_PORT: "0",
    CONTROL_PLANE_HTTP_PORT: "0",
    CONTROL_PLANE_METRICS_PORT: "0",
    CONTROL_PLANE_INTERNAL_TOKEN: TOKEN,
    CONTROL_PLANE_ENCRYPTION_KEY: randomBytes(32).toString("hex"),
    CONTROL_PLANE_DATA_DIR: dataDir,
    ADMIN_PASSWORD: PASSWORD,
  });
  // Two replicas of one deployment: same Redis, same key namespace. Admin writes go to A, leases to B.
  keys = createRedisKeys({ prefix: `test-${randomBytes(4).toString("hex")}` });
  const a = await startApp();
  const b = await startApp();
  leaseB = new LeaseClient(`127.0.0.1:${b.grpcPort}`, grpc.credentials.createInsecure());
  const { transport } = await signIn(`http://127.0.0.1:${a.httpPort}`, "admin", PASSWORD);
  pricesA = createClient(PriceService, transport);
  apiKeys = createClient(ApiKeyService, transport);
  usage = createClient(UsageService, transport);
  await createClient(AccountService, transport).createAccount({ name: "pool", type: AccountType.CLAUDE_CONSOLE, apiKey: "sk-ant-prices-test", maxConcurrentTasks: 0 });
}, 30_000);

afterAll(async () => {
  leaseB?.close();
  await Promise.all(apps.map((app) => app.close()));
  await redis?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function startApp() {
  const app = buildControlPlane(config, log, { keys });
  apps.push(app);
  return app.start();
}

function call<T>(method: "acquire" | "release", request: unknown): Promise<T> {
  const metadata = new grpc.Metadata();
  metadata.set("x-internal-token", TOKEN);
  return new Promise((resolve, reject) => {
    const fn = (leaseB as unknown as Record<string, Function>)[method]!.bind(leaseB);
    fn(request, metadata, { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
  });
}

function acquireOnB(keyHash: string, model: string): Promise<AcquireResponse> {
  return call<AcquireResponse>("acquire", create(AcquireRequestSchema, { keyHash, model }));
}

/** One request on replica B: Acquire, then Release with these tokens. */
async function requestOnB(keyHash: string, model: string, tokens: { inputTokens: number; outputTokens?: number; cacheCreationInputTokens?: number; cacheCreation1hInputTokens?: number; cacheReadInputTokens?: number }) {
  const res = await acquireOnB(keyHash, model);
  if (res.result.case !== "lease") throw new Error(`no lease: ${JSON.stringify(res.result.value)}`);
  await call("release", create(ReleaseRequestSchema, { leaseId: res.result.value.leaseId, outcome: { kind: OutcomeKind.SUCCESS, status: 200 }, usage: { model, ...tokens } }));
}

async function newKey(name: string, dailyUsd = 0): Promise<string> {
  const { plaintextKey } = await apiKeys.createApiKey({ name, ...(dailyUsd > 0 && { costLimits: { dailyUsd } }) });
  return hashApiKey(plaintextKey);
}

async function modelUsage(model: string) {
  return (await usage.getDailyUsage({ subject: { subject: { case: "model", value: model } } })).total;
}

const rates = (input: number) => ({ input, output: input * 5, cacheWriteFiveMinutes: input * 1.25, cacheWriteOneHour: input * 2, cacheRead: input / 10 });

describe("prices in Redis across replicas", () => {
  it("prices the next request on replica B at a price set on replica A, with no restart", async () => {
    const keyHash = await newKey("new-model");
    // Before it has a price, the model's tokens are counted and the request is flagged unpriced, never costed at zero in silence.
    await requestOnB(keyHash, "claude-sonnet-9", { inputTokens: 1_000 });
    expect(await modelUsage("claude-sonnet-9")).toMatchObject({ inputTokens: 1_000n, costUsd: 0, unpricedRequests: 1n });

    const { price } = await pricesA.setPrice({
      model: "claude-sonnet-9",
      rates: { input: 7, output: 21, cacheWriteFiveMinutes: 8, cacheWriteOneHour: 14, cacheRead: 0.7 },
    });
    expect(price).toMatchObject({ model: "claude-sonnet-9", platform: Platform.CLAUDE, source: PriceSource.ADMIN, shipped: false });

    await requestOnB(keyHash, "claude-sonnet-9-20270101", { inputTokens: 1_000, outputTokens: 100, cacheCreationInputTokens: 200, cacheCreation1hInputTokens: 50, cacheReadInputTokens: 1_000 });
    // 1,000 × $7 + 100 × $21 + 150 × $8 + 50 × $14 + 1,000 × $0.70 = $11,700 per million.
    expect((await modelUsage("claude-sonnet-9-20270101"))?.costUsd).toBeCloseTo(0.0117, 12);
    expect(await modelUsage("claude-sonnet-9-20270101")).toMatchObject({ unpricedRequests: 0n });
  });

  it("seeds the shipped prices, keeps an admin edit through a restart, and restores the shipped price when the edit is deleted", async () => {
    const shipped = (await pricesA.listPrices({})).prices;
    expect(shipped.find((p) => p.model === "claude-sonnet-4-5")).toMatchObject({
      platform: Platform.CLAUDE,
      source: PriceSource.SHIPPED,
      shipped: true,
      rates: { input: 3, output: 15, cacheWriteFiveMinutes: 3.75, cacheWriteOneHour: 6, cacheRead: 0.3 },
    });
    expect(shipped.find((p) => p.model === "gemini-2.5-pro")).toMatchObject({ platform: Platform.GEMINI, longPrompt: { aboveTokens: 200_000n, rates: { input: 2.5, output: 15 } } });
    expect(shipped.find((p) => p.model === "gpt-5")?.platform).toBe(Platform.OPENAI);

    await pricesA.setPrice({ model: "claude-haiku-4-5", rates: rates(2) });
    // A new replica seeds again at start: the admin price stays.
    const restarted = await startApp();
    const pricesC = createClient(PriceService, (await signIn(`http://127.0.0.1:${restarted.httpPort}`, "admin", PASSWORD)).transport);
    const haiku = (await pricesC.listPrices({})).prices.find((p) => p.model === "claude-haiku-4-5");
    expect(haiku).toMatchObject({ source: PriceSource.ADMIN, shipped: true, rates: { input: 2, output: 10 } });
    expect(haiku?.updatedAt).toBeDefined();

    const keyHash = await newKey("haiku");
    await requestOnB(keyHash, "claude-haiku-4-5", { inputTokens: 1_000 });
    expect((await modelUsage("claude-haiku-4-5"))?.costUsd).toBeCloseTo(0.002, 12);

    const { price } = await pricesC.deletePrice({ model: "claude-haiku-4-5" });
    expect(price).toMatchObject({ source: PriceSource.SHIPPED, rates: { input: 1, output: 5 } });
    expect((await pricesA.listPrices({})).prices.find((p) => p.model === "claude-haiku-4-5")).toMatchObject({ source: PriceSource.SHIPPED, rates: { input: 1 } });
    // At the shipped $1 per million again: $0.002 + $0.001.
    await requestOnB(keyHash, "claude-haiku-4-5", { inputTokens: 1_000 });
    expect((await modelUsage("claude-haiku-4-5"))?.costUsd).toBeCloseTo(0.003, 12);

    expect((await rpcError(pricesA.deletePrice({ model: "claude-haiku-4-5" }))).code).toBe(Code.FailedPrecondition);
    expect((await rpcError(pricesA.deletePrice({ model: "claude-never-priced" }))).code).toBe(Code.NotFound);
  });

  it("counts a key's cost limit at an edited price", async () => {
    const keyHash = await newKey("limited", 0.01);
    // Unpriced: 200 tokens cost nothing against the limit.
    await requestOnB(keyHash, "claude-limit-9", { inputTokens: 200 });
    expect((await acquireOnB(keyHash, "claude-limit-9")).result.case).toBe("lease");

    await pricesA.setPrice({ model: "claude-limit-9", rates: rates(100) });
    // 200 × $100 per million = $0.02, over the $0.01 a day.
    await requestOnB(keyHash, "claude-limit-9", { inputTokens: 200 });
    const refused = await acquireOnB(keyHash, "claude-limit-9");
    expect(refused.result.case).toBe("refusal");
    expect(refused.result.case === "refusal" && refused.result.value.reason).toBe(RefusalReason.KEY_LIMIT);
  });

  it("imports a LiteLLM table, reporting what it skipped, and prices requests at it", async () => {
    const json = readFileSync(new URL("./litellm-prices.fixture.json", import.meta.url), "utf8");
    const result = await pricesA.importPrices({ json });
    expect(result).toMatchObject({
      imported: 3,
      skipped: 5,
      models: ["claude-import-test-1", "gemini-import-test-pro", "gpt-import-test-2"],
      skipReasons: [
        { reason: "not a chat model", count: 2 },
        { reason: "listed twice", count: 1 },
        { reason: "no price", count: 1 },
        { reason: "not a platform served here", count: 1 },
      ],
    });
    const listed = (await pricesA.listPrices({})).prices;
    expect(listed.find((p) => p.model === "gemini-import-test-pro")).toMatchObject({
      platform: Platform.GEMINI,
      source: PriceSource.ADMIN,
      rates: { input: 1.25, output: 10, cacheRead: 0.3125 },
      longPrompt: { aboveTokens: 200_000n, rates: { input: 2.5, output: 15 } },
    });
    expect(listed.find((p) => p.model === "gpt-import-test-2")).toMatchObject({ platform: Platform.OPENAI, rates: { input: 1.25, cacheRead: 0.125 } });

    const keyHash = await newKey("imported");
    await requestOnB(keyHash, "claude-import-test-1", { inputTokens: 1_000, outputTokens: 1_000 });
    // 1,000 × $3 + 1,000 × $15.
    expect((await modelUsage("claude-import-test-1"))?.costUsd).toBeCloseTo(0.018, 12);

    const bad = await rpcError(pricesA.importPrices({ json: "[1]" }));
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(bad.rawMessage).toMatch(/^json: must be a JSON object/);
  });

  it("prices a long prompt at the tier set through the admin API", async () => {
    await pricesA.setPrice({ model: "claude-long-9", rates: rates(2), longPrompt: { aboveTokens: 200_000n, rates: rates(4) } });
    const keyHash = await newKey("long");
    // 150,000 in + 60,000 read = a 210,000-token prompt: every token at the tier, 150,000 × $4 + 60,000 × $0.40 = $0.624.
    await requestOnB(keyHash, "claude-long-9", { inputTokens: 150_000, cacheReadInputTokens: 60_000 });
    expect((await modelUsage("claude-long-9"))?.costUsd).toBeCloseTo(0.624, 12);
    // 100,000 in stays at the base rate: $0.20 more.
    await requestOnB(keyHash, "claude-long-9", { inputTokens: 100_000 });
    expect((await modelUsage("claude-long-9"))?.costUsd).toBeCloseTo(0.824, 12);
    const err = await rpcError(pricesA.setPrice({ model: "claude-long-9", rates: rates(2), longPrompt: { aboveTokens: 0n, rates: rates(4) } }));
    expect(err.rawMessage).toMatch(/^long_prompt.above_tokens: /);
    expect((await rpcError(pricesA.setPrice({ model: "claude-long-9", rates: rates(2), longPrompt: { aboveTokens: 1n } }))).rawMessage).toMatch(/^long_prompt.rates: must be set/);
  });

  it("refuses a bad price naming the field", async () => {
    const err = await rpcError(pricesA.setPrice({ model: "claude-bad", rates: { ...rates(1), output: -1 } }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toMatch(/^rates.output: /);
    expect((await rpcError(pricesA.setPrice({ model: "claude-bad" }))).rawMessage).toMatch(/^rates: must be set/);
    expect((await rpcError(pricesA.setPrice({ model: "anthropic/claude-bad", rates: rates(1) }))).rawMessage).toMatch(/^model: /);
  });
});
