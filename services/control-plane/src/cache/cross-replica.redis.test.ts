import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { loadConfig } from "@claude-relay/config";
import { createLogger } from "@claude-relay/logging";
import { AccountService, AccountType, ApiKeyService, AuthService } from "@claude-relay/proto/admin";
import { toGrpcServiceDefinition } from "@claude-relay/proto/grpc";
import { AcquireRequestSchema, LeaseService, RefusalReason, ReleaseRequestSchema, type AcquireResponse } from "@claude-relay/proto/lease";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildControlPlane, type ControlPlane } from "../app.js";
import { controlPlaneConfigSchema } from "../config.js";
import { hashApiKey } from "../keys/api-key-store.js";
import { createRedisKeys } from "../redis/keys.js";

const TOKEN = "cross-replica-internal-token-0123";
const PASSWORD = "cross-replica-admin-password";
const LeaseClient = grpc.makeGenericClientConstructor(toGrpcServiceDefinition(LeaseService), "LeaseService");

let redis: TestRedis;
let dataDir: string;
const apps: ControlPlane[] = [];
let httpA: number;
let metricsB: number;
let leaseB: grpc.Client;
let accounts: Client<typeof AccountService>;
let apiKeys: Client<typeof ApiKeyService>;

beforeAll(async () => {
  redis = await startRedis();
  dataDir = await mkdtemp(join(tmpdir(), "control-plane-replicas-"));
  const config = loadConfig(controlPlaneConfigSchema, {
    REDIS_URL: redis.url,
    CONTROL_PLANE_GRPC_PORT: "0",
    CONTROL_PLANE_HTTP_PORT: "0",
    CONTROL_PLANE_METRICS_PORT: "0",
    CONTROL_PLANE_INTERNAL_TOKEN: TOKEN,
    CONTROL_PLANE_ENCRYPTION_KEY: randomBytes(32).toString("hex"),
    CONTROL_PLANE_DATA_DIR: dataDir,
    ADMIN_PASSWORD: PASSWORD,
  });
  // Two replicas of one deployment: same Redis, same key namespace.
  const keys = createRedisKeys({ prefix: `test-${randomBytes(4).toString("hex")}` });
  const log = createLogger({ service: "control-plane", level: "silent" });
  apps.push(buildControlPlane(config, log, { keys }), buildControlPlane(config, log, { keys }));
  const [a, b] = [await apps[0]!.start(), await apps[1]!.start()];
  httpA = a.httpPort;
  metricsB = b.metricsPort;
  leaseB = new LeaseClient(`127.0.0.1:${b.grpcPort}`, grpc.credentials.createInsecure());
  // Every admin write goes through replica A.
  const baseUrl = `http://127.0.0.1:${httpA}`;
  const { token } = await createClient(AuthService, createConnectTransport({ baseUrl, httpVersion: "1.1" })).login({ username: "admin", password: PASSWORD });
  const bearer: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  const transport = createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [bearer] });
  accounts = createClient(AccountService, transport);
  apiKeys = createClient(ApiKeyService, transport);
}, 30_000);

afterAll(async () => {
  leaseB?.close();
  await Promise.all(apps.map((app) => app.close()));
  await redis?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function call<T>(method: "acquire" | "release", request: unknown): Promise<T> {
  const metadata = new grpc.Metadata();
  metadata.set("x-internal-token", TOKEN);
  return new Promise((resolve, reject) => {
    const fn = (leaseB as unknown as Record<string, Function>)[method]!.bind(leaseB);
    fn(request, metadata, { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
  });
}

/** Acquire on replica B; a granted lease is released at once. */
async function acquireOnB(keyHash: string): Promise<AcquireResponse> {
  const res = await call<AcquireResponse>("acquire", create(AcquireRequestSchema, { keyHash, model: "claude-sonnet-4-5" }));
  if (res.result.case === "lease") await call("release", create(ReleaseRequestSchema, { leaseId: res.result.value.leaseId }));
  return res;
}

/** Polls replica B until `seen` holds; resolves with the milliseconds that took. */
async function untilReplicaB(keyHash: string, seen: (res: AcquireResponse) => boolean): Promise<number> {
  const start = Date.now();
  while (!seen(await acquireOnB(keyHash))) {
    if (Date.now() - start > 5_000) throw new Error("replica B never saw the change");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - start;
}

async function cacheHits(metricsPort: number, cache: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  return Number(new RegExp(`control_plane_catalog_cache_total\\{cache="${cache}",result="hit"[^}]*\\} (\\d+)`).exec(text)?.[1] ?? 0);
}

describe("caches across two replicas on one Redis", () => {
  it("serves keys, accounts and credentials from memory once warm, and sees changes made on the other replica within a second", async () => {
    const { account } = await accounts.createAccount({ name: "pool-1", type: AccountType.CLAUDE_CONSOLE, apiKey: "sk-ant-first-credential", maxConcurrentTasks: 0 });
    const { plaintextKey, apiKey } = await apiKeys.createApiKey({ name: "replicas" });
    const keyHash = hashApiKey(plaintextKey);

    // Replica B learns the key and the account, then answers from its cache.
    await untilReplicaB(keyHash, (res) => res.result.case === "lease" && res.result.value.account?.credential === "sk-ant-first-credential");
    const hitsBefore = await cacheHits(metricsB, "api_key");
    for (let i = 0; i < 5; i++) expect((await acquireOnB(keyHash)).result.case).toBe("lease");
    expect(await cacheHits(metricsB, "api_key")).toBeGreaterThanOrEqual(hitsBefore + 5);
    expect(await cacheHits(metricsB, "credential")).toBeGreaterThan(0);

    // A rotated credential.
    await accounts.updateAccount({ id: account!.id, apiKey: "sk-ant-rotated-credential" });
    const rotated = await untilReplicaB(keyHash, (res) => res.result.case === "lease" && res.result.value.account?.credential === "sk-ant-rotated-credential");
    expect(rotated).toBeLessThan(1_000);

    // An account taken out of scheduling.
    await accounts.updateAccount({ id: account!.id, schedulable: false });
    const paused = await untilReplicaB(keyHash, (res) => res.result.case === "refusal" && res.result.value.reason === RefusalReason.NO_ACCOUNT);
    expect(paused).toBeLessThan(1_000);
    await accounts.updateAccount({ id: account!.id, schedulable: true });
    expect(await untilReplicaB(keyHash, (res) => res.result.case === "lease")).toBeLessThan(1_000);

    // A revoked key.
    await apiKeys.revokeApiKey({ id: apiKey!.id });
    const revoked = await untilReplicaB(keyHash, (res) => res.result.case === "refusal" && res.result.value.reason === RefusalReason.KEY_INVALID);
    expect(revoked).toBeLessThan(1_000);
    console.log(`replica B saw: rotated credential after ${rotated} ms, unschedulable account after ${paused} ms, revoked key after ${revoked} ms`);
  });
});
