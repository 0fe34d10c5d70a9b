import { randomBytes } from "node:crypto";
import { createLogger } from "@claude-relay/logging";
import { createMetricsRegistry, type Registry } from "@claude-relay/metrics";
import { OutcomeKind } from "@claude-relay/proto/lease";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAccountStore, type AccountStore } from "../accounts/account-store.js";
import { createCredentialCipher } from "../accounts/credential-cipher.js";
import { createApiKeyStore, hashApiKey } from "../keys/api-key-store.js";
import { createAcquireLease, type AcquireInput, type AcquireResult } from "../leases/acquire-lease.js";
import { createLeaseStore, type LeaseStore } from "../leases/lease-store.js";
import { createReleaseLease, type ReleaseInput } from "../leases/release-lease.js";
import { createRedis } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { createAffinityCounter, type AffinityCounter } from "./affinity-counter.js";
import { createSessionStore, type SessionStore } from "./session-store.js";
import { createStickyStore, type StickyStore } from "./sticky-store.js";

const log = createLogger({ service: "control-plane", level: "silent" });
const START = 1_700_000_000_000;
const noTokens = { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };

let server: TestRedis;
let redis: Redis;
let keys: RedisKeys;
let sessions: SessionStore;
let sticky: StickyStore;
let leases: LeaseStore;
let clock = START;
const now = () => clock;

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url);
});

beforeEach(() => {
  clock = START;
  keys = createRedisKeys({ prefix: `test-${randomBytes(6).toString("hex")}` });
  sessions = createSessionStore({ redis, keys, now, ttlSeconds: 3_600 });
  sticky = createStickyStore({ redis, keys, ttlSeconds: 600 });
  leases = createLeaseStore({ redis, keys, ttlMs: 30_000, now });
});

afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

const finished = (hash: string, accountId: string, failed: boolean, status: number, keyId = "key-1") =>
  Promise.all(sessions.releaseCommands({ sessionHash: hash, accountId, keyId, failed, status, nowMs: clock }));

describe("createSessionStore", () => {
  it("keeps a session's account, key, times, counts and last status", async () => {
    await sessions.touch("s1", { accountId: "acct-a", keyId: "key-1" });
    await sticky.bind("s1", "acct-a");
    clock += 5_000;
    await finished("s1", "acct-a", false, 200);
    clock += 5_000;
    await finished("s1", "acct-a", true, 529);
    expect(await sessions.get("s1")).toEqual({
      sessionHash: "s1",
      boundAccountId: "acct-a",
      lastAccountId: "acct-a",
      keyId: "key-1",
      firstSeenAtMs: START,
      lastSeenAtMs: START + 10_000,
      requestCount: 2,
      errorCount: 1,
      lastStatus: 529,
      moveCount: 0,
      status: "error",
    });
    const ttl = await redis.ttl(keys.session("s1"));
    expect(ttl).toBeGreaterThan(3_500);
    expect(ttl).toBeLessThanOrEqual(3_600);
    expect(await sessions.get("never-seen")).toBeUndefined();
  });

  it("counts a move when the session is served by another account", async () => {
    await sessions.touch("s2", { accountId: "acct-a", keyId: "key-1" });
    await sessions.touch("s2", { accountId: "acct-a", keyId: "key-1" });
    await sessions.touch("s2", { accountId: "acct-b", keyId: "key-1" });
    expect(await sessions.get("s2")).toMatchObject({ lastAccountId: "acct-b", moveCount: 1, requestCount: 0, status: "unbound" });
  });

  it("unbinds a session: its binding goes, its record stays", async () => {
    await sessions.touch("s3", { accountId: "acct-a", keyId: "key-1" });
    await sticky.bind("s3", "acct-a");
    await finished("s3", "acct-a", false, 200);
    expect((await sessions.get("s3"))?.status).toBe("ok");
    expect(await sessions.unbind("s3")).toMatchObject({ sessionHash: "s3", boundAccountId: "", lastAccountId: "acct-a", requestCount: 1, status: "unbound" });
    expect(await sticky.get("s3")).toBeUndefined();
    expect(await sessions.unbind("no-such-session")).toBeUndefined();
  });

  it("lists sessions most recent first, filtered by key, account and status, page by page", async () => {
    for (let i = 0; i < 7; i++) {
      clock += 1_000;
      const hash = `list-${i}`;
      const accountId = i % 2 === 0 ? "acct-even" : "acct-odd";
      const keyId = i < 5 ? "key-1" : "key-2";
      await sessions.touch(hash, { accountId, keyId });
      await sticky.bind(hash, accountId);
      await finished(hash, accountId, i === 3, i === 3 ? 500 : 200, keyId);
    }
    const hashes = (list: { sessions: { sessionHash: string }[] }) => list.sessions.map((s) => s.sessionHash);

    const firstPage = await sessions.list({ limit: 3 });
    expect(hashes(firstPage)).toEqual(["list-6", "list-5", "list-4"]);
    const secondPage = await sessions.list({ limit: 3, offset: firstPage.nextOffset ?? -1 });
    expect(hashes(secondPage)).toEqual(["list-3", "list-2", "list-1"]);
    const lastPage = await sessions.list({ limit: 3, offset: secondPage.nextOffset ?? -1 });
    expect(hashes(lastPage)).toEqual(["list-0"]);
    expect(lastPage.nextOffset).toBeUndefined();

    expect(hashes(await sessions.list({ limit: 50, keyId: "key-2" }))).toEqual(["list-6", "list-5"]);
    expect(hashes(await sessions.list({ limit: 50, accountId: "acct-odd" }))).toEqual(["list-5", "list-3", "list-1"]);
    expect(hashes(await sessions.list({ limit: 50, status: "error" }))).toEqual(["list-3"]);
    await sessions.unbind("list-2");
    expect(hashes(await sessions.list({ limit: 50, status: "unbound" }))).toEqual(["list-2"]);
    expect(hashes(await sessions.list({ limit: 50, keyId: "key-1", accountId: "acct-even", status: "ok" }))).toEqual(["list-4", "list-0"]);
  });

  it("drops sessions from the list once their records are past their time", async () => {
    await sessions.touch("old", { accountId: "acct-a", keyId: "key-1" });
    clock += 3_600_001;
    await sessions.touch("new", { accountId: "acct-a", keyId: "key-1" });
    expect((await sessions.list({ limit: 10 })).sessions.map((s) => s.sessionHash)).toEqual(["new"]);
    expect(await redis.zscore(keys.sessionIndex(), "old")).toBeNull();
  });
});

describe("sessions through Acquire and Release", () => {
  let accounts: AccountStore;
  let affinity: AffinityCounter;
  let registry: Registry;
  let acquire: (input: AcquireInput) => Promise<AcquireResult>;
  let release: (input: ReleaseInput) => Promise<unknown>;
  let keyHash: string;
  let keyId: string;

  beforeEach(async () => {
    accounts = createAccountStore({ redis, keys, now, cipher: createCredentialCipher(randomBytes(32)) });
    const apiKeys = createApiKeyStore({ redis, keys, now });
    registry = createMetricsRegistry("control-plane");
    affinity = createAffinityCounter({ redis, keys, registry });
    const catalog = { findKeyByHash: apiKeys.findByHash, listAccounts: accounts.list, credential: accounts.credential };
    acquire = createAcquireLease({ catalog, leases, sticky, sessions, affinity, log, now });
    release = createReleaseLease({ leases, sessions, log, now });
    const created = await apiKeys.create({ name: "k" });
    keyHash = hashApiKey(created.plaintextKey);
    keyId = created.record.id;
  });

  const input = (sessionHash: string): AcquireInput => ({ keyHash, model: "claude-sonnet-4-5", sessionHash, excludeAccounts: [] });
  const leaseOf = (result: AcquireResult) => {
    if (!result.ok) throw new Error(`expected a lease, got ${result.reason}`);
    return result;
  };

  it("counts new sessions, hits and moves on the affinity counter, on the metric and on the session", async () => {
    const a = await accounts.create({ name: "a", type: "claude-console", priority: 1, maxConcurrentTasks: 1, credential: { kind: "api-key", apiKey: "sk-a" } });
    const b = await accounts.create({ name: "b", type: "claude-console", priority: 2, credential: { kind: "api-key", apiKey: "sk-b" } });
    const first = leaseOf(await acquire(input("conv")));
    expect(first.account.id).toBe(a.id);
    await release({ leaseId: first.leaseId, outcome: OutcomeKind.SUCCESS, status: 200, detail: "", usage: noTokens, model: "m", latencyMs: 1, ttfbMs: 1, sessionHash: "conv" });
    const hit = leaseOf(await acquire(input("conv")));
    expect(hit.account.id).toBe(a.id);
    // a is full while the hit holds it: the session moves to b.
    const moved = leaseOf(await acquire(input("conv")));
    expect(moved.account.id).toBe(b.id);
    await acquire(input(""));

    expect(await affinity.totals()).toEqual({ hit: 1, moved: 1, new: 1 });
    const metric = await registry.getSingleMetricAsString("control_plane_sticky_total");
    for (const result of ["hit", "moved", "new"]) expect(metric).toMatch(new RegExp(`result="${result}"[^\\n]* 1$`, "m"));
    expect(await sessions.get("conv")).toMatchObject({ boundAccountId: b.id, lastAccountId: b.id, keyId, moveCount: 1, requestCount: 1, status: "ok" });
  });

  it("counts a failed request on the session from the Release that carries its session", async () => {
    await accounts.create({ name: "a", type: "claude-console", credential: { kind: "api-key", apiKey: "sk-a" } });
    const lease = leaseOf(await acquire(input("failing")));
    clock += 2_000;
    await release({ leaseId: lease.leaseId, outcome: OutcomeKind.UPSTREAM_ERROR, status: 529, detail: "overloaded", usage: noTokens, model: "m", latencyMs: 1, ttfbMs: 0, sessionHash: "failing" });
    expect(await sessions.get("failing")).toMatchObject({ requestCount: 1, errorCount: 1, lastStatus: 529, status: "error", lastSeenAtMs: START + 2_000 });
    const aborted = leaseOf(await acquire(input("failing")));
    await release({ leaseId: aborted.leaseId, outcome: OutcomeKind.CLIENT_ABORTED, status: 200, detail: "", usage: noTokens, model: "m", latencyMs: 1, ttfbMs: 1, sessionHash: "failing" });
    expect(await sessions.get("failing")).toMatchObject({ requestCount: 2, errorCount: 1, lastStatus: 200, status: "ok" });
  });
});
