import { randomBytes } from "node:crypto";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { createLogger } from "@claude-relay/logging";
import { createMetricsRegistry } from "@claude-relay/metrics";
import { Platform, QueueService } from "@claude-relay/proto/admin";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccountStore, type AccountStore } from "../../accounts/account-store.js";
import { createCredentialCipher } from "../../accounts/credential-cipher.js";
import { createAdminSessions } from "../../auth/admin-sessions.js";
import { createAdminUsers } from "../../auth/admin-users.js";
import { createAdminHttpServer, type AdminHttpServer } from "../../http/server.js";
import { createApiKeyStore, type ApiKeyStore } from "../../keys/api-key-store.js";
import { createLeaseStore } from "../../leases/lease-store.js";
import { waitGroupOf } from "../../leases/wait-group.js";
import { createWaitQueue, type WaitQueue } from "../../leases/wait-queue.js";
import { createRedis } from "../../redis/client.js";
import { createRedisKeys } from "../../redis/keys.js";
import { rpcError, signIn } from "./admin-client.test-helper.js";

const PASSWORD = "queue-service-test-password";

let redisServer: TestRedis;
let redis: Redis;
let accounts: AccountStore;
let apiKeys: ApiKeyStore;
let waitQueue: WaitQueue;
let http: AdminHttpServer;
let baseUrl: string;
let queue: Client<typeof QueueService>;
let clock = 1_700_000_000_000;

beforeAll(async () => {
  redisServer = await startRedis();
  redis = createRedis(redisServer.url);
  const keys = createRedisKeys({ prefix: `t-${randomBytes(6).toString("hex")}` });
  const users = createAdminUsers({ redis, keys, scryptParams: { logN: 10, r: 8, p: 1 } });
  await users.createIfAbsent("admin", PASSWORD);
  // Its own ticking clock, so accounts list in the order they were made.
  let created = 0;
  accounts = createAccountStore({ redis, keys, cipher: createCredentialCipher(randomBytes(32)), now: () => 1_000 + created++ });
  apiKeys = createApiKeyStore({ redis, keys });
  waitQueue = createWaitQueue({ redis, keys, aliveMs: 10_000, now: () => clock });
  http = createAdminHttpServer({
    redis,
    users,
    sessions: createAdminSessions({ redis, keys }),
    accounts,
    apiKeys,
    leases: createLeaseStore({ redis, keys, ttlMs: 30_000 }),
    waitQueue,
    log: createLogger({ service: "control-plane", level: "silent" }),
    registry: createMetricsRegistry("control-plane"),
    now: () => clock,
  });
  baseUrl = `http://127.0.0.1:${await http.listen(0, "127.0.0.1")}`;
  queue = createClient(QueueService, (await signIn(baseUrl, "admin", PASSWORD)).transport);
});

afterAll(async () => {
  await http?.close();
  redis?.disconnect();
  await redisServer?.close();
});

describe("QueueService.GetQueue", () => {
  it("shows every line with its waiters, the age of its first in turn and the accounts that serve it, and the waits of keys and accounts", async () => {
    const credential = { kind: "api-key" as const, apiKey: "sk-test" };
    const pooled = await accounts.create({ name: "pooled", type: "claude-console", credential });
    const teamA = await accounts.create({ name: "team-a", type: "claude-console", group: "team-a", credential });
    await accounts.create({ name: "paused", type: "claude-console", credential, schedulable: false });
    const studio = await accounts.create({ name: "studio", type: "gemini-api", credential: { kind: "api-key", apiKey: "AIza" } });
    const { record: ci } = await apiKeys.create({ name: "ci" });
    const { record: batch } = await apiKeys.create({ name: "batch" });
    await apiKeys.create({ name: "never waited" });

    const pool = waitGroupOf("claude", { accountId: "", group: "" });
    const team = waitGroupOf("claude", { accountId: "", group: "team-a" });
    const gemini = waitGroupOf("gemini", { accountId: "", group: "" });
    for (const group of [pool, team, gemini]) await waitQueue.describe(group);
    await waitQueue.join(team.id, "r-1", { busyOnly: false, maxWaiters: 10 });
    clock += 1_000;
    await waitQueue.join(team.id, "r-2", { busyOnly: false, maxWaiters: 10 });
    await waitQueue.join(pool.id, "r-3", { busyOnly: false, maxWaiters: 10 });
    clock += 1_500;
    for (const ms of [100, 200, 300, 400]) await waitQueue.recordWait(ms, ci.id, pooled.id);
    await waitQueue.recordWait(9_000, batch.id, undefined);

    const res = await queue.getQueue({});
    expect(res.groups.map((g) => ({ name: g.name, platform: g.platform, waiting: g.waiting, oldestWaitMs: g.oldestWaitMs, accountIds: g.accountIds }))).toEqual([
      { name: "claude/group:team-a", platform: Platform.CLAUDE, waiting: 2, oldestWaitMs: 2_500, accountIds: [teamA.id] },
      { name: "claude/pool", platform: Platform.CLAUDE, waiting: 1, oldestWaitMs: 1_500, accountIds: [pooled.id, teamA.id] },
      { name: "gemini/pool", platform: Platform.GEMINI, waiting: 0, oldestWaitMs: 0, accountIds: [studio.id] },
    ]);
    expect(res.keys.map((k) => ({ ...k }))).toEqual([
      expect.objectContaining({ id: batch.id, name: "batch", count: 1, p50Ms: 9_000, p90Ms: 9_000, p99Ms: 9_000, maxMs: 9_000 }),
      expect.objectContaining({ id: ci.id, name: "ci", count: 4, p50Ms: 200, p90Ms: 400, p99Ms: 400, maxMs: 400 }),
    ]);
    expect(res.accounts).toEqual([expect.objectContaining({ id: pooled.id, name: "pooled", count: 4, p50Ms: 200, maxMs: 400 })]);
  });

  it("drops a waiter nobody renews any more from the count", async () => {
    const solo = waitGroupOf("openai", { accountId: "", group: "" });
    await waitQueue.describe(solo);
    await waitQueue.join(solo.id, "r-gone", { busyOnly: false, maxWaiters: 10 });
    const waitingNow = async () => (await queue.getQueue({})).groups.find((g) => g.name === "openai/pool")?.waiting;
    expect(await waitingNow()).toBe(1);
    clock += 10_001;
    expect(await waitingNow()).toBe(0);
  });

  it("answers only a signed-in caller", async () => {
    const anonymous = createClient(QueueService, createConnectTransport({ baseUrl, httpVersion: "1.1" }));
    expect((await rpcError(anonymous.getQueue({}))).code).toBe(Code.Unauthenticated);
  });
});
