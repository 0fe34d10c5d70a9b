/**
 * The control plane on a 3-node Redis Cluster that this test starts itself:
 * the same scripts, stores, Acquire/Renew/Release flow, sticky sessions,
 * cache invalidation and the whole app over gRPC, unchanged.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { loadConfig } from "@claude-relay/config";
import { createLogger } from "@claude-relay/logging";
import { toGrpcServiceDefinition } from "@claude-relay/proto/grpc";
import { AcquireRequestSchema, LeaseService, OutcomeKind, ReleaseRequestSchema, RenewRequestSchema, type AcquireResponse } from "@claude-relay/proto/lease";
import { freePort, startRedis, type TestRedis } from "@claude-relay/testkit";
import { Redis, type Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccountStore, type AccountStore } from "../accounts/account-store.js";
import { createCredentialCipher } from "../accounts/credential-cipher.js";
import { buildControlPlane } from "../app.js";
import { createAdminSessions } from "../auth/admin-sessions.js";
import { createAdminUsers } from "../auth/admin-users.js";
import { createCachedCatalog } from "../cache/cached-catalog.js";
import { createCacheInvalidation, type CacheInvalidation, type Invalidation } from "../cache/invalidation.js";
import { controlPlaneConfigSchema } from "../config.js";
import { createApiKeyStore, hashApiKey, type ApiKeyStore } from "../keys/api-key-store.js";
import { createAcquireLease } from "../leases/acquire-lease.js";
import { createLeaseStore, type LeaseStore } from "../leases/lease-store.js";
import { createReleaseLease } from "../leases/release-lease.js";
import { createRenewLease } from "../leases/renew-lease.js";
import { createStickyStore, type StickyStore } from "../sessions/sticky-store.js";
import { healthServiceDefinition, ServingStatus } from "../rpc/health-service.js";
import { createNodeConnection, createRedisClient, parseRedisTarget, type RedisTarget } from "./client.js";
import { createRedisKeys } from "./keys.js";

const run = promisify(execFile);
const log = createLogger({ service: "control-plane", level: "silent" });
const keys = createRedisKeys({ prefix: `cluster-${randomBytes(4).toString("hex")}` });

let nodes: TestRedis[] = [];
let target: RedisTarget;
let cluster: Cluster;
let accounts: AccountStore;
let apiKeys: ApiKeyStore;
let leases: LeaseStore;
let sticky: StickyStore;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  const ports = [await freePort(), await freePort(), await freePort()];
  nodes = await Promise.all(
    ports.map((port) => startRedis({ own: true, port, args: ["--cluster-enabled", "yes", "--cluster-config-file", `nodes-${port}.conf`, "--cluster-node-timeout", "2000"] })),
  );
  await run("redis-cli", ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes"], { timeout: 30_000 });
  for (const port of ports) await waitClusterOk(port);

  target = parseRedisTarget(`redis+cluster://127.0.0.1:${ports[0]}`, ports.slice(1).map((p) => `127.0.0.1:${p}`).join(","));
  cluster = createRedisClient(target) as Cluster;
  await cluster.ping();
  const cipher = createCredentialCipher(randomBytes(32));
  accounts = createAccountStore({ redis: cluster, cipher, keys });
  apiKeys = createApiKeyStore({ redis: cluster, keys });
  leases = createLeaseStore({ redis: cluster, keys, ttlMs: 30_000 });
  sticky = createStickyStore({ redis: cluster, keys });
}, 60_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
  cluster?.disconnect();
  await Promise.all(nodes.map((n) => n.close()));
});

async function waitClusterOk(port: number): Promise<void> {
  const client = new Redis(port, "127.0.0.1");
  try {
    const deadline = Date.now() + 20_000;
    while (!String(await client.cluster("INFO")).includes("cluster_state:ok")) {
      if (Date.now() > deadline) throw new Error(`cluster not ok on ${port}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    client.disconnect();
  }
}

const consoleAccount = (name: string, maxConcurrentTasks: number) =>
  accounts.create({ name, type: "claude-console", maxConcurrentTasks, credential: { kind: "api-key", apiKey: `sk-${name}` } });

describe("on a 3-node Redis Cluster", () => {
  it("spreads owners over several nodes, so the flows below really cross slots", async () => {
    const masters = (await cluster.cluster("SLOTS")) as unknown[];
    expect(masters.length).toBe(3);
    const slots = await Promise.all(["a", "b", "c", "d", "e", "f"].map((id) => cluster.cluster("KEYSLOT", keys.accountLeases(id)) as Promise<number>));
    expect(new Set(slots.map((s) => Math.floor(s / 5462))).size).toBeGreaterThan(1);
  });

  it("keeps accounts, API keys and admin users and sessions in the stores", async () => {
    const account = await consoleAccount("store-1", 2);
    expect(await accounts.get(account.id)).toMatchObject({ name: "store-1", maxConcurrentTasks: 2 });
    expect(await accounts.credential(account.id)).toEqual({ kind: "api-key", apiKey: "sk-store-1" });
    expect((await accounts.update(account.id, { name: "store-renamed" }))?.name).toBe("store-renamed");
    expect((await accounts.list()).map((a) => a.id)).toContain(account.id);

    const { record, plaintextKey } = await apiKeys.create({ name: "cluster-key", concurrencyLimit: 3 });
    expect((await apiKeys.findByHash(hashApiKey(plaintextKey)))?.id).toBe(record.id);
    expect((await apiKeys.revoke(record.id))?.enabled).toBe(false);
    expect(await accounts.delete(account.id)).toBe(true);
    expect(await accounts.get(account.id)).toBeUndefined();

    const users = createAdminUsers({ redis: cluster, keys, scryptParams: { logN: 10, r: 8, p: 1 } });
    await users.createIfAbsent("admin", "cluster-admin-password");
    expect(await users.verify("admin", "cluster-admin-password")).toBe(true);
    const sessions = createAdminSessions({ redis: cluster, keys });
    const { token } = await sessions.create("admin");
    expect((await sessions.verify(token))?.username).toBe("admin");
  });

  it("acquires, renews and releases through the Acquire flow, and moves a sticky session off a full account", async () => {
    const first = await consoleAccount("flow-1", 1);
    const second = await consoleAccount("flow-2", 1);
    const { record, plaintextKey } = await apiKeys.create({ name: "flow", concurrencyLimit: 5 });
    const catalog = { findKeyByHash: apiKeys.findByHash, listAccounts: async () => (await accounts.list()).filter((a) => a.id === first.id || a.id === second.id), credential: accounts.credential };
    const acquire = createAcquireLease({ catalog, leases, sticky, log });
    const renew = createRenewLease({ leases });
    const release = createReleaseLease({ leases, log });
    const input = { keyHash: hashApiKey(plaintextKey), model: "claude-sonnet-4-5", sessionHash: `s-${randomBytes(4).toString("hex")}`, excludeAccounts: [] };

    const granted = await acquire(input);
    if (!granted.ok) throw new Error(`refused: ${granted.reason}`);
    expect(granted.keyId).toBe(record.id);
    expect(await sticky.get(input.sessionHash)).toBe(granted.account.id);
    expect(await renew(granted.leaseId)).toEqual({ ok: true, ttlMs: 30_000 });

    // The bound account is full now: a second request of the session moves to the other one.
    const moved = await acquire(input);
    if (!moved.ok) throw new Error(`refused: ${moved.reason}`);
    expect(moved.account.id).not.toBe(granted.account.id);
    expect(await sticky.get(input.sessionHash)).toBe(moved.account.id);
    expect(await acquire(input)).toMatchObject({ ok: false, reason: "NO_ACCOUNT" });

    const usage = { inputTokens: 1, outputTokens: 2, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
    for (const leaseId of [granted.leaseId, moved.leaseId]) {
      expect(await release({ leaseId, outcome: OutcomeKind.SUCCESS, status: 200, detail: "", usage, model: "claude-sonnet-4-5", latencyMs: 5, ttfbMs: 1 })).toMatchObject({ held: true });
    }
    expect(await renew(granted.leaseId)).toEqual({ ok: false, reason: "NOT_FOUND" });
    expect(await leases.activeCounts([first.id, second.id])).toEqual(new Map([[first.id, 0], [second.id, 0]]));
  });

  it("never grants more than the limit to 200 concurrent acquires", async () => {
    const limit = 7;
    const account = await consoleAccount("race", limit);
    const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => leases.acquire(`${account.id}.k.${i}`, { kind: "account", id: account.id }, limit)));
    expect(replies.filter((r) => r.status === "granted")).toHaveLength(limit);
    expect(await leases.activeCount(account.id)).toBe(limit);

    // The same through the whole flow, two accounts with limits 3 and 4 behind one key.
    const a = await consoleAccount("race-a", 3);
    const b = await consoleAccount("race-b", 4);
    const { plaintextKey } = await apiKeys.create({ name: "race" });
    const catalog = { findKeyByHash: apiKeys.findByHash, listAccounts: async () => (await accounts.list()).filter((x) => x.id === a.id || x.id === b.id), credential: accounts.credential };
    const acquire = createAcquireLease({ catalog, leases, sticky, log });
    const results = await Promise.all(
      Array.from({ length: 200 }, () => acquire({ keyHash: hashApiKey(plaintextKey), model: "m", sessionHash: "", excludeAccounts: [] })),
    );
    const granted = results.filter((r) => r.ok);
    expect(granted).toHaveLength(7);
    expect(granted.filter((r) => r.ok && r.account.id === a.id)).toHaveLength(3);
    expect(results.filter((r) => !r.ok && r.reason === "NO_ACCOUNT")).toHaveLength(193);
  });

  it("carries cache invalidations between nodes", async () => {
    const channel = keys.cacheInvalidation();
    const seen: Invalidation[] = [];
    // The subscriber sits on the third node; the publisher is the cluster client.
    const replica: CacheInvalidation = createCacheInvalidation({ channel, publisher: cluster, connect: (attempt) => createNodeConnection(target, attempt + 2), log });
    closers.push(() => replica.close());
    replica.onInvalidate((i) => seen.push(i));
    replica.start();
    const deadline = Date.now() + 5_000;
    while (!replica.live && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(replica.live).toBe(true);

    const publisher = createCacheInvalidation({ channel, publisher: cluster, connect: (attempt) => createNodeConnection(target, attempt), log });
    const changing = createAccountStore({ redis: cluster, cipher: createCredentialCipher(randomBytes(32)), keys, changes: publisher });
    const catalog = createCachedCatalog({ source: { findKeyByHash: apiKeys.findByHash, listAccounts: changing.list, credential: changing.credential }, invalidation: replica });
    closers.push(async () => catalog.stop());
    const before = (await catalog.listAccounts()).length;
    const account = await changing.create({ name: "announced", type: "claude-console", credential: { kind: "api-key", apiKey: "sk-x" } });
    while (!seen.some((i) => i !== "all" && i.id === account.id) && Date.now() < deadline + 5_000) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen).toContainEqual({ kind: "account", id: account.id });
    expect((await catalog.listAccounts()).length).toBe(before + 1);
  });

  it("runs the whole control plane on the cluster: health, Acquire and Release over gRPC", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "control-plane-cluster-"));
    closers.push(() => rm(dataDir, { recursive: true, force: true }));
    const token = "cluster-internal-token-0123456";
    const config = loadConfig(controlPlaneConfigSchema, {
      REDIS_URL: `redis+cluster://127.0.0.1:${nodes[0]!.port}`,
      REDIS_CLUSTER_NODES: nodes.slice(1).map((n) => `127.0.0.1:${n.port}`).join(","),
      CONTROL_PLANE_GRPC_PORT: "0",
      CONTROL_PLANE_HTTP_PORT: "0",
      CONTROL_PLANE_METRICS_PORT: "0",
      CONTROL_PLANE_INTERNAL_TOKEN: token,
      CONTROL_PLANE_ENCRYPTION_KEY: randomBytes(32).toString("hex"),
      CONTROL_PLANE_DATA_DIR: dataDir,
      ADMIN_PASSWORD: "cluster-admin-password",
    });
    const appKeys = createRedisKeys({ prefix: `cluster-app-${randomBytes(4).toString("hex")}` });
    const app = buildControlPlane(config, log, { keys: appKeys });
    closers.push(() => app.close());
    const { grpcPort } = await app.start();

    // Set up through stores on the same namespace (another replica's writes, as far as the app knows).
    const cipher = createCredentialCipher(Buffer.from(config.CONTROL_PLANE_ENCRYPTION_KEY.reveal(), "hex"));
    const appAccounts = createAccountStore({ redis: cluster, cipher, keys: appKeys });
    await appAccounts.create({ name: "app", type: "claude-console", maxConcurrentTasks: 2, credential: { kind: "api-key", apiKey: "sk-app" } });
    const { plaintextKey } = await createApiKeyStore({ redis: cluster, keys: appKeys }).create({ name: "app" });

    const address = `127.0.0.1:${grpcPort}`;
    const Health = grpc.makeGenericClientConstructor(healthServiceDefinition, "Health");
    const Lease = grpc.makeGenericClientConstructor(toGrpcServiceDefinition(LeaseService), "LeaseService");
    const health = new Health(address, grpc.credentials.createInsecure());
    const lease = new Lease(address, grpc.credentials.createInsecure());
    try {
      const metadata = new grpc.Metadata();
      metadata.set("x-internal-token", token);
      const unary = <T>(client: grpc.Client, method: string, request: unknown, md = new grpc.Metadata()) =>
        new Promise<T>((resolve, reject) =>
          (client as unknown as Record<string, Function>)[method]!.call(client, request, md, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))),
        );
      expect(await unary(health, "check", { service: "" })).toEqual({ status: ServingStatus.SERVING });
      const res = await unary<AcquireResponse>(lease, "acquire", create(AcquireRequestSchema, { keyHash: hashApiKey(plaintextKey), model: "m", sessionHash: "cluster-session" }), metadata);
      if (res.result.case !== "lease") throw new Error(`expected a lease, got ${res.result.case}`);
      expect(res.result.value.account?.credential).toBe("sk-app");
      await unary(lease, "release", create(ReleaseRequestSchema, { leaseId: res.result.value.leaseId }), metadata);
      await expect(unary(lease, "renew", create(RenewRequestSchema, { leaseId: res.result.value.leaseId }), metadata)).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });

      // 200 at once through every script the app runs (key limits, health, sessions): the account's limit of 2 holds.
      const burst = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          unary<AcquireResponse>(lease, "acquire", create(AcquireRequestSchema, { keyHash: hashApiKey(plaintextKey), model: "m", sessionHash: `burst-${i % 7}` }), metadata),
        ),
      );
      const leases = burst.flatMap((r) => (r.result.case === "lease" ? [r.result.value.leaseId] : []));
      expect(leases).toHaveLength(2);
      for (const leaseId of leases) await unary(lease, "release", create(ReleaseRequestSchema, { leaseId }), metadata);
    } finally {
      health.close();
      lease.close();
    }
  });
});
