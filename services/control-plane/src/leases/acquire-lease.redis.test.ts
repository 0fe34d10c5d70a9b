import { randomBytes } from "node:crypto";
import { createLogger } from "@claude-relay/logging";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAccountStore, type AccountStore, type NewAccount } from "../accounts/account-store.js";
import { createCredentialCipher } from "../accounts/credential-cipher.js";
import { createApiKeyStore, hashApiKey, type ApiKeyStore } from "../keys/api-key-store.js";
import { createRedis } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { recordWrites } from "../redis/record-writes.test-helper.js";
import { createStickyStore, type StickyStore } from "../sessions/sticky-store.js";
import { createAcquireLease, type AcquireInput, type AcquireResult, type LeaseCatalog } from "./acquire-lease.js";
import { createLastReads } from "./last-reads.js";
import { createLeaseStore, type LeaseStore } from "./lease-store.js";

const TTL = 30_000;
const log = createLogger({ service: "control-plane", level: "silent" });
let server: TestRedis;
let redis: Redis;
let keys: RedisKeys;
let accounts: AccountStore;
let apiKeys: ApiKeyStore;
let leases: LeaseStore;
let sticky: StickyStore;
let catalog: LeaseCatalog;
let acquire: (input: AcquireInput) => Promise<AcquireResult>;
let clock = 1_700_000_000_000;
const now = () => clock;

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url);
});

// Every test gets its own namespace, so the account list holds only its accounts.
beforeEach(() => {
  keys = createRedisKeys({ prefix: `test-${randomBytes(6).toString("hex")}` });
  accounts = createAccountStore({ redis, cipher: createCredentialCipher(randomBytes(32)), now, keys });
  apiKeys = createApiKeyStore({ redis, now, keys });
  leases = createLeaseStore({ redis, ttlMs: TTL, now, keys });
  sticky = createStickyStore({ redis, ttlSeconds: 3600, keys });
  catalog = { findKeyByHash: apiKeys.findByHash, listAccounts: accounts.list, credential: accounts.credential };
  acquire = createAcquireLease({ catalog, leases, sticky, log, now });
});

afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

function consoleAccount(name: string, over: Partial<NewAccount> = {}) {
  return accounts.create({ name, type: "claude-console", credential: { kind: "api-key", apiKey: `sk-${name}` }, ...over });
}

async function clientKey(over: Parameters<ApiKeyStore["create"]>[0] = { name: "k" }) {
  const { record, plaintextKey } = await apiKeys.create(over);
  return { record, keyHash: hashApiKey(plaintextKey) };
}

function input(keyHash: string, over: Partial<AcquireInput> = {}): AcquireInput {
  return { keyHash, model: "claude-sonnet-4-5", sessionHash: "", excludeAccounts: [], ...over };
}

// Every case runs twice: as the flow reads, and with this replica's last reads guessing the account
// (a guess must never change an answer, only how many round trips it takes).
describe.each([{ guessing: false }, { guessing: true }])("createAcquireLease (guessing from last reads: $guessing)", ({ guessing }) => {
  beforeEach(() => {
    acquire = createAcquireLease({ catalog, leases, sticky, log, now, ...(guessing && { lastReads: createLastReads() }) });
  });

  it("grants a lease on the best account with its decrypted credential and both slots taken", async () => {
    await consoleAccount("second", { priority: 20 });
    const first = await consoleAccount("first", { priority: 10 });
    const { record, keyHash } = await clientKey();
    const result = await acquire(input(keyHash));
    expect(result).toMatchObject({ ok: true, ttlMs: TTL, keyId: record.id, account: { id: first.id }, credential: { kind: "api-key", apiKey: "sk-first" } });
    if (!result.ok) throw new Error("expected a lease");
    expect(await redis.zscore(keys.accountLeases(first.id), result.leaseId)).toBe(String(clock + TTL));
    expect(await redis.zscore(keys.apiKeyLeases(record.id), result.leaseId)).toBe(String(clock + TTL));
    expect((await accounts.get(first.id))?.lastUsedAtMs).toBe(clock);
  });

  it("refuses an unknown, revoked or expired key as KEY_INVALID", async () => {
    await consoleAccount("a");
    expect(await acquire(input(hashApiKey("cr_nope")))).toMatchObject({ ok: false, reason: "KEY_INVALID", message: "invalid x-api-key" });
    expect(await acquire(input(""))).toMatchObject({ ok: false, reason: "KEY_INVALID" });
    const revoked = await clientKey();
    await apiKeys.revoke(revoked.record.id);
    expect(await acquire(input(revoked.keyHash))).toMatchObject({ ok: false, reason: "KEY_INVALID" });
    const expired = await clientKey({ name: "old", expiresAtMs: clock - 1 });
    expect(await acquire(input(expired.keyHash))).toMatchObject({ ok: false, reason: "KEY_INVALID" });
  });

  it("refuses a model outside the key's allow-list as NOT_ALLOWED", async () => {
    await consoleAccount("a");
    const { keyHash } = await clientKey({ name: "k", allowedModels: ["claude-haiku-4-5"] });
    expect(await acquire(input(keyHash))).toMatchObject({ ok: false, reason: "NOT_ALLOWED", message: expect.stringContaining("claude-sonnet-4-5") });
  });

  it("refuses over the key's concurrency limit with a retry hint, without holding an account slot", async () => {
    const a = await consoleAccount("a");
    const { keyHash } = await clientKey({ name: "k", concurrencyLimit: 1 });
    expect((await acquire(input(keyHash))).ok).toBe(true);
    const refused = await acquire(input(keyHash));
    expect(refused).toMatchObject({ ok: false, reason: "KEY_LIMIT" });
    expect(!refused.ok && refused.retryAfterMs).toBeGreaterThan(0);
    expect(await leases.activeCount(a.id)).toBe(1);
  });

  it("refuses NO_ACCOUNT when every account is full, and gives the key slot back", async () => {
    await consoleAccount("a", { maxConcurrentTasks: 1 });
    const { record, keyHash } = await clientKey();
    expect((await acquire(input(keyHash))).ok).toBe(true);
    const refused = await acquire(input(keyHash));
    expect(refused).toMatchObject({ ok: false, reason: "NO_ACCOUNT", message: "no account available" });
    expect(!refused.ok && refused.retryAfterMs).toBeGreaterThan(0);
    expect(await redis.zcard(keys.apiKeyLeases(record.id))).toBe(1);
  });

  it("refuses NO_ACCOUNT without a retry hint when no account is schedulable", async () => {
    await consoleAccount("off", { schedulable: false });
    const { keyHash } = await clientKey();
    expect(await acquire(input(keyHash))).toEqual({ ok: false, reason: "NO_ACCOUNT", message: "no account available", retryAfterMs: 0 });
  });

  it("skips excluded accounts", async () => {
    const a = await consoleAccount("a", { priority: 1 });
    const b = await consoleAccount("b", { priority: 2 });
    const { keyHash } = await clientKey();
    expect(await acquire(input(keyHash, { excludeAccounts: [a.id] }))).toMatchObject({ ok: true, account: { id: b.id } });
  });

  it("tries the next account when the chosen one fills up in a race, and frees the first key slot", async () => {
    const a = await consoleAccount("a", { priority: 1, maxConcurrentTasks: 1 });
    const b = await consoleAccount("b", { priority: 2 });
    const { record, keyHash } = await clientKey();
    // Another replica takes a's last slot between our count and our acquire.
    const racing: LeaseStore = {
      ...leases,
      async activeCounts(ids) {
        const counts = await leases.activeCounts(ids);
        await leases.acquire("intruder", { kind: "account", id: a.id }, 1);
        return counts;
      },
    };
    const result = await createAcquireLease({ catalog, leases: racing, sticky, log, now })(input(keyHash));
    expect(result).toMatchObject({ ok: true, account: { id: b.id } });
    expect(await redis.zcard(keys.apiKeyLeases(record.id))).toBe(1);
    expect(await redis.zrange(keys.accountLeases(a.id), 0, -1)).toEqual(["intruder"]);
  });

  describe("sticky sessions", () => {
    it("binds a new session to the chosen account and keeps it there while it has room", async () => {
      const a = await consoleAccount("a", { priority: 1 });
      const b = await consoleAccount("b", { priority: 2 });
      const { keyHash } = await clientKey();
      await sticky.bind("s1", b.id);
      expect(await acquire(input(keyHash, { sessionHash: "s1" }))).toMatchObject({ ok: true, account: { id: b.id } });
      const fresh = await acquire(input(keyHash, { sessionHash: "s2" }));
      expect(fresh).toMatchObject({ ok: true, account: { id: a.id } });
      expect(await sticky.get("s2")).toBe(a.id);
    });

    it("renews the binding's TTL on every use", async () => {
      await consoleAccount("a");
      const { keyHash } = await clientKey();
      await acquire(input(keyHash, { sessionHash: "renew" }));
      await redis.expire(keys.sticky("renew"), 10);
      await acquire(input(keyHash, { sessionHash: "renew" }));
      expect(await redis.ttl(keys.sticky("renew"))).toBeGreaterThan(3000);
    });

    it("moves the binding when the bound account is full", async () => {
      const a = await consoleAccount("a", { priority: 1, maxConcurrentTasks: 1 });
      const b = await consoleAccount("b", { priority: 2 });
      const { keyHash } = await clientKey();
      expect(await acquire(input(keyHash, { sessionHash: "full" }))).toMatchObject({ account: { id: a.id } });
      expect(await acquire(input(keyHash, { sessionHash: "full" }))).toMatchObject({ ok: true, account: { id: b.id } });
      expect(await sticky.get("full")).toBe(b.id);
    });

    it("moves the binding when the bound account is excluded", async () => {
      const a = await consoleAccount("a", { priority: 1 });
      const b = await consoleAccount("b", { priority: 2 });
      const { keyHash } = await clientKey();
      await sticky.bind("failover", a.id);
      expect(await acquire(input(keyHash, { sessionHash: "failover", excludeAccounts: [a.id] }))).toMatchObject({ ok: true, account: { id: b.id } });
      expect(await sticky.get("failover")).toBe(b.id);
    });
  });
});

describe("createAcquireLease guessing from last reads", () => {
  it("gives a wrong guess's slots back: the account that filled up since the last reads holds no extra lease", async () => {
    const full = await consoleAccount("busy", { priority: 10, maxConcurrentTasks: 1 });
    const spare = await consoleAccount("spare", { priority: 20 });
    const { record, keyHash } = await clientKey();
    acquire = createAcquireLease({ catalog, leases, sticky, log, now, lastReads: createLastReads() });
    const first = await acquire(input(keyHash));
    expect(first).toMatchObject({ ok: true, account: { id: full.id } });
    if (!first.ok) throw new Error("expected a lease");
    // The last reads saw "busy" empty, so the next Acquire guesses it again; its slot is taken by then.
    const second = await acquire(input(keyHash));
    expect(second).toMatchObject({ ok: true, account: { id: spare.id } });
    if (!second.ok) throw new Error("expected a lease");
    expect(await redis.zrange(keys.accountLeases(full.id), 0, -1)).toEqual([first.leaseId]);
    expect(await redis.zrange(keys.apiKeyLeases(record.id), 0, -1)).toHaveLength(2);
  });

  it("keeps the key's own limit: a refused key holds no account slot after a guess", async () => {
    const account = await consoleAccount("only");
    const { record, keyHash } = await clientKey({ name: "k", concurrencyLimit: 1 });
    acquire = createAcquireLease({ catalog, leases, sticky, log, now, lastReads: createLastReads() });
    const held = await acquire(input(keyHash));
    expect(held.ok).toBe(true);
    expect(await acquire(input(keyHash))).toMatchObject({ ok: false, reason: "KEY_LIMIT" });
    expect(await redis.zcard(keys.accountLeases(account.id))).toBe(1);
    expect(await redis.zcard(keys.apiKeyLeases(record.id))).toBe(1);
  });

  it("keeps a guess the fresh reads rank equal (same priority and headroom), though it holds more leases now", async () => {
    const idle = await consoleAccount("idle", { priority: 10 });
    const busy = await consoleAccount("busy", { priority: 10 });
    const { keyHash } = await clientKey();
    const lastReads = createLastReads();
    acquire = createAcquireLease({ catalog, leases, sticky, log, now, lastReads });
    // This replica last saw "busy" empty and "idle" loaded, long enough ago that every account is
    // read again; since then it went the other way.
    lastReads.remember({ readAtMs: clock - 60_000, accountIds: [idle.id, busy.id], active: new Map([[idle.id, 5]]), conditions: new Map(), sessionHash: "", stickyAccountId: undefined });
    await leases.acquire("other-1", { kind: "account", id: busy.id }, 0);
    await leases.acquire("other-2", { kind: "account", id: busy.id }, 0);

    // Fewest leases would pick "idle", but that only breaks ties: the guess, "busy", is as good by
    // priority and headroom, so it stands and the Acquire needs no second round trip.
    const result = await acquire(input(keyHash));
    expect(result).toMatchObject({ ok: true, account: { id: busy.id } });
    expect(await redis.zcard(keys.accountLeases(busy.id))).toBe(3);
    expect(await redis.zcard(keys.accountLeases(idle.id))).toBe(0);
  });

  it("drops a guess the fresh reads rank lower: a better-priority account that came back", async () => {
    const preferred = await consoleAccount("preferred", { priority: 10, maxConcurrentTasks: 1 });
    const fallback = await consoleAccount("fallback", { priority: 20 });
    const { keyHash } = await clientKey();
    acquire = createAcquireLease({ catalog, leases, sticky, log, now, lastReads: createLastReads() });
    const blocker = await acquire(input(keyHash));
    expect(blocker).toMatchObject({ ok: true, account: { id: preferred.id } });
    if (!blocker.ok) throw new Error("expected a lease");
    const whileFull = await acquire(input(keyHash));
    expect(whileFull).toMatchObject({ ok: true, account: { id: fallback.id } });
    // The last reads saw "preferred" full, so the guess is "fallback"; meanwhile "preferred" has room again.
    await leases.release(blocker.leaseId, [{ kind: "account", id: preferred.id }]);
    const after = await acquire(input(keyHash));
    expect(after).toMatchObject({ ok: true, account: { id: preferred.id } });
    if (!whileFull.ok) throw new Error("expected a lease");
    expect(await redis.zrange(keys.accountLeases(fallback.id), 0, -1)).toEqual([whileFull.leaseId]);
  });

  it("reads only the guessed account of a large pool of equals, and the whole pool once its last reads age", async () => {
    const pool = [];
    for (let i = 0; i < 10; i++) pool.push(await consoleAccount(`equal-${i}`, { priority: 10 }));
    const { keyHash } = await clientKey();
    acquire = createAcquireLease({ catalog, leases, sticky, log, now, lastReads: createLastReads() });
    const writes = recordWrites(redis);
    const counted = async () => {
      writes.batches.length = 0;
      const result = await acquire(input(keyHash));
      expect(result.ok).toBe(true);
      return writes.batches.flat().filter((c) => c.name === "zcount").length;
    };
    expect(await counted()).toBe(10);
    expect(await counted()).toBe(1);
    expect(await counted()).toBe(1);
    clock += 1_500;
    expect(await counted()).toBe(10);
    expect(await counted()).toBe(1);
    const held = await Promise.all(pool.map((a) => redis.zcard(keys.accountLeases(a.id))));
    expect(held.reduce((a, b) => a + b)).toBe(5);
  });
});
