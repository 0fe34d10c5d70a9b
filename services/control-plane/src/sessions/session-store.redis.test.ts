import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { createLogger } from "@claude-relay/logging";
import { createMetricsRegistry, type Registry } from "@claude-relay/metrics";
import { OutcomeKind } from "@claude-relay/proto/lease";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAccountStore, type AccountStore } from "../accounts/account-store.js";
import { createCredentialCipher } from "../accounts/credential-cipher.js";
import { createApiKeyStore, hashApiKey } from "../keys/api-key-store.js";
import { createAcquireLease, type AcquireInput, type AcquireResult } from "../leases/acquire-lease.js";
import { createLeaseStore, type LeaseStore } from "../leases/lease-store.js";
import { createReleaseLease, type ReleaseInput } from "../leases/release-lease.js";
import { createRedis } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { recordWrites, type SentCommand } from "../redis/record-writes.test-helper.js";
import { createAffinityCounter, type AffinityCounter } from "./affinity-counter.js";
import { createSessionStore, type SessionRelease, type SessionStore, type SessionStoreOptions } from "./session-store.js";
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
/** Connections and stores of one test, closed after it. */
let opened: Redis[] = [];
let stores: SessionStore[] = [];

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url);
});

beforeEach(() => {
  clock = START;
  keys = createRedisKeys({ prefix: `test-${randomBytes(6).toString("hex")}` });
  // The index is written by list() and flush() here, never by the timer in the middle of a test.
  sessions = createSessionStore({ redis, keys, now, ttlSeconds: 3_600, indexFlushMs: 60_000 });
  stores = [sessions];
  sticky = createStickyStore({ redis, keys, ttlSeconds: 600 });
  leases = createLeaseStore({ redis, keys, ttlMs: 30_000, now });
});

afterEach(async () => {
  await Promise.allSettled(stores.map((store) => store.close()));
  for (const connection of opened) connection.disconnect();
  [opened, stores] = [[], []];
});

afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

const finished = (hash: string, accountId: string, failed: boolean, status: number, keyId = "key-1", store = sessions) =>
  Promise.all(store.releaseCommands({ sessionHash: hash, accountId, keyId, failed, status, nowMs: clock }));

/** A fine request of a session on acct-a with key-1, finished at nowMs. */
const fineRelease = (sessionHash: string, nowMs = clock): SessionRelease => ({ sessionHash, accountId: "acct-a", keyId: "key-1", failed: false, status: 200, nowMs });

/** A store on a connection of its own (connected, or at `url`), whose writes are recorded. */
async function storeOnOwnConnection(options: Partial<SessionStoreOptions> = {}, url = server.url) {
  const connection = createRedis(url);
  opened.push(connection);
  await connection.ping();
  const writes = recordWrites(connection);
  const store = createSessionStore({ redis: connection, keys, now, ttlSeconds: 3_600, indexFlushMs: 60_000, ...options });
  stores.push(store);
  return { connection, store, writes };
}

/** The index as Redis holds it: session hash → last use. */
async function indexed(): Promise<Record<string, number>> {
  const flat = await redis.zrange(keys.sessionIndex(), 0, -1, "WITHSCORES");
  const entries: Record<string, number> = {};
  for (let i = 0; i < flat.length; i += 2) entries[flat[i] as string] = Number(flat[i + 1]);
  return entries;
}

const indexWrites = (batches: SentCommand[][]) => batches.flat().filter(({ name, first }) => name === "zadd" && first === keys.sessionIndex());
const hashesOf = (list: { sessions: { sessionHash: string }[] }) => list.sessions.map((s) => s.sessionHash);

/** Resolves once check() holds; fails after timeoutMs. */
async function until(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(10);
  }
}

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

describe("the session index, written per replica", () => {
  it("updates a session with its script alone, issued in the caller's tick, and leaves the index for the flush", async () => {
    const { connection, store, writes } = await storeOnOwnConnection();
    await store.touch("quiet", { accountId: "acct-a", keyId: "key-1" });
    // Release issues its other writes in the same tick: the script goes out with them.
    const released = [connection.exists(keys.sticky("quiet")), ...store.releaseCommands(fineRelease("quiet"))];
    expect(released).toHaveLength(2);
    await Promise.all(released);

    // The first call sends the script's body, later ones its SHA.
    expect(writes.batches.map((batch) => batch.map((c) => c.name))).toEqual([["eval"], ["exists", "evalsha"]]);
    expect(await store.get("quiet")).toMatchObject({ requestCount: 1, lastSeenAtMs: START });
    expect(await indexed()).toEqual({});
  });

  it("writes every waiting entry with one ZADD in one write", async () => {
    const { store, writes } = await storeOnOwnConnection();
    await store.touch("a", { accountId: "acct-a", keyId: "key-1" });
    clock += 1_000;
    await finished("b", "acct-a", false, 200, "key-1", store);
    clock += 1_000;
    await finished("c", "acct-b", true, 529, "key-2", store);
    writes.batches.length = 0;

    await store.flush();
    expect(writes.batches).toEqual([[{ name: "zadd", first: keys.sessionIndex() }]]);
    expect(await indexed()).toEqual({ a: START, b: START + 1_000, c: START + 2_000 });

    // Nothing waits since: nothing to write.
    await store.flush();
    expect(writes.batches).toHaveLength(1);
  });

  it("splits a large flush into ZADDs of at most 1000 sessions, sent in one write", async () => {
    const { store, writes } = await storeOnOwnConnection();
    const hashes = Array.from({ length: 2_500 }, (_, i) => `many-${i}`);
    await Promise.all(hashes.flatMap((hash, i) => store.releaseCommands(fineRelease(hash, START + i))));
    writes.batches.length = 0;

    await store.flush();
    expect(writes.batches).toHaveLength(1);
    expect(indexWrites(writes.batches)).toHaveLength(3);
    const index = await indexed();
    expect(Object.keys(index)).toHaveLength(2_500);
    expect(index["many-2499"]).toBe(START + 2_499);
  });

  it("keeps the later use of a session seen twice, whatever order the two arrive in", async () => {
    await sessions.touch("twice", { accountId: "acct-a", keyId: "key-1" });
    await Promise.all(sessions.releaseCommands(fineRelease("twice", START + 5_000)));
    // A Release that finished earlier but reached this replica later.
    await Promise.all(sessions.releaseCommands(fineRelease("twice", START + 2_000)));

    await sessions.flush();
    expect(await indexed()).toEqual({ twice: START + 5_000 });
  });

  it("never moves a session back in time when another replica wrote a later use", async () => {
    await redis.zadd(keys.sessionIndex(), START + 10_000, "elsewhere-later", START - 10_000, "elsewhere-earlier");
    await sessions.touch("elsewhere-later", { accountId: "acct-a", keyId: "key-1" });
    await sessions.touch("elsewhere-earlier", { accountId: "acct-a", keyId: "key-1" });
    await sessions.touch("only-here", { accountId: "acct-a", keyId: "key-1" });

    await sessions.flush();
    expect(await indexed()).toEqual({ "elsewhere-later": START + 10_000, "elsewhere-earlier": START, "only-here": START });
  });

  it("lists a session released just now first, writing this replica's entries before it reads", async () => {
    await sessions.touch("earlier", { accountId: "acct-a", keyId: "key-1" });
    await sessions.flush();
    clock += 1_000;
    await finished("just-now", "acct-a", false, 200);

    expect(hashesOf(await sessions.list({ limit: 10 }))).toEqual(["just-now", "earlier"]);
  });

  it("writes what waits by itself every indexFlushMs, entries of many ticks in one write", async () => {
    const { store, writes } = await storeOnOwnConnection({ indexFlushMs: 100 });
    await store.touch("timed-1", { accountId: "acct-a", keyId: "key-1" });
    clock += 1_000;
    await store.touch("timed-2", { accountId: "acct-a", keyId: "key-1" });

    await until(async () => Object.keys(await indexed()).length === 2);
    await sleep(150);
    expect(indexWrites(writes.batches)).toHaveLength(1);
    expect(await indexed()).toEqual({ "timed-1": START, "timed-2": START + 1_000 });
  });

  it("writes what is left on close, and nothing by itself afterwards", async () => {
    const { store, writes } = await storeOnOwnConnection({ indexFlushMs: 20 });
    await store.touch("before-close", { accountId: "acct-a", keyId: "key-1" });

    await store.close();
    expect(await indexed()).toEqual({ "before-close": START });
    clock += 1_000;
    await store.touch("after-close", { accountId: "acct-a", keyId: "key-1" });
    await sleep(100);
    expect(indexWrites(writes.batches)).toHaveLength(1);
    expect(await indexed()).toEqual({ "before-close": START });
    // Still recorded: an explicit flush writes it.
    await store.flush();
    expect(await indexed()).toEqual({ "before-close": START, "after-close": START + 1_000 });
  });

  it("keeps the entries of a write that failed and writes them with the next flush", async () => {
    const { connection, store } = await storeOnOwnConnection();
    await store.touch("kept", { accountId: "acct-a", keyId: "key-1" });
    connection.disconnect();

    await expect(store.flush()).rejects.toThrow(/Connection is closed/);
    expect(await indexed()).toEqual({});
    await connection.connect();
    clock += 1_000;
    await store.touch("later", { accountId: "acct-a", keyId: "key-1" });
    await store.flush();
    expect(await indexed()).toEqual({ kept: START, later: START + 1_000 });
  });

  it("retries a failed write by itself after indexFlushMs", async () => {
    const { connection, store } = await storeOnOwnConnection({ indexFlushMs: 50 });
    await store.touch("retried", { accountId: "acct-a", keyId: "key-1" });
    connection.disconnect();
    await expect(store.flush()).rejects.toThrow(/Connection is closed/);

    await connection.connect();
    await until(async () => (await indexed()).retried === START);
  });

  it("lists what Redis holds when the index write fails, and keeps the entries", async (ctx) => {
    // An ACL user without ZADD fails the index write alone; users reconfigure the server, so only ours.
    if (!server.owned) ctx.skip();
    const user = `no-zadd-${randomBytes(4).toString("hex")}`;
    await redis.call("ACL", "SETUSER", user, "on", ">no-zadd-password", "~*", "&*", "+@all", "-zadd");
    try {
      const url = new URL(server.url);
      [url.username, url.password] = [user, "no-zadd-password"];
      const { store } = await storeOnOwnConnection({}, url.toString());
      await sessions.touch("written", { accountId: "acct-a", keyId: "key-1" });
      await sessions.flush();
      clock += 1_000;
      await finished("waiting", "acct-a", false, 200, "key-1", store);

      expect(hashesOf(await store.list({ limit: 10 }))).toEqual(["written"]);
      await expect(store.flush()).rejects.toThrow(/NOPERM/);
      await redis.call("ACL", "SETUSER", user, "+zadd");
      await store.flush();
      expect(hashesOf(await store.list({ limit: 10 }))).toEqual(["waiting", "written"]);
    } finally {
      await redis.call("ACL", "DELUSER", user);
    }
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
