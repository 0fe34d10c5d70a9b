import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { createLogger } from "@claude-relay/logging";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAccountStore, type AccountStore } from "../accounts/account-store.js";
import { createCredentialCipher } from "../accounts/credential-cipher.js";
import { createApiKeyStore, hashApiKey, type ApiKeyStore } from "../keys/api-key-store.js";
import { createRedis } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { createStickyStore } from "../sessions/sticky-store.js";
import { createAcquireLease, type AcquireInput, type AcquireResult, type GrantedLease } from "./acquire-lease.js";
import { createLeaseStore, type LeaseStore } from "./lease-store.js";
import { createQueuedAcquire, HAND_BACK, HandBackError, type QueuedAcquire } from "./queued-acquire.js";
import { createWaitQueue, type WaitQueue } from "./wait-queue.js";
import { waitGroupOf } from "./wait-group.js";

const log = createLogger({ service: "control-plane", level: "silent" });
const POLL_MS = 20;
let server: TestRedis;
let redis: Redis;
let keys: RedisKeys;
let accounts: AccountStore;
let apiKeys: ApiKeyStore;
let leases: LeaseStore;
let queue: WaitQueue;
let replicas: QueuedAcquire[];
/** The wait bound every key of a test gets (as the key's own setting). */
let keyWaitMs: number | undefined;

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url);
});

beforeEach(() => {
  keys = createRedisKeys({ prefix: `test-${randomBytes(6).toString("hex")}` });
  accounts = createAccountStore({ redis, cipher: createCredentialCipher(randomBytes(32)), keys });
  apiKeys = createApiKeyStore({ redis, keys });
  leases = createLeaseStore({ redis, ttlMs: 30_000, keys });
  queue = createWaitQueue({ redis, keys, aliveMs: 1_000 });
  replicas = [];
  keyWaitMs = 10_000;
});

afterEach(() => {
  for (const replica of replicas) replica.close();
});

afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

/** A control plane's Acquire with waiting, over the shared Redis. */
function replica(options: { maxWaiters?: number; defaultWaitMs?: number } = {}): QueuedAcquire {
  const catalog = { findKeyByHash: apiKeys.findByHash, listAccounts: accounts.list, credential: accounts.credential };
  const acquire = createAcquireLease({ catalog, leases, sticky: createStickyStore({ redis, keys }), log });
  const queued = createQueuedAcquire({
    acquire,
    catalog: { findKeyByHash: async (hash) => ({ ...(await apiKeys.findByHash(hash))!, ...(keyWaitMs !== undefined && { queueWaitMs: keyWaitMs }) }) },
    queue,
    defaultWaitMs: options.defaultWaitMs ?? 0,
    maxWaiters: options.maxWaiters ?? 100,
    pollMs: POLL_MS,
    log,
  });
  replicas.push(queued);
  return queued;
}

async function setup(limit: number) {
  const account = await accounts.create({ name: "only", type: "claude-console", credential: { kind: "api-key", apiKey: "sk-only" }, maxConcurrentTasks: limit });
  const { plaintextKey } = await apiKeys.create({ name: "k" });
  return { account, keyHash: hashApiKey(plaintextKey) };
}

function input(keyHash: string, requestId: string, over: Partial<AcquireInput> = {}): AcquireInput {
  return { keyHash, model: "claude-sonnet-4-5", sessionHash: "", excludeAccounts: [], requestId, maxWaitMs: 60_000, ...over };
}

/** Holds a granted lease for `holdMs`, then releases it and tells its replica. */
async function holdThenRelease(result: AcquireResult, holdMs: number, on: QueuedAcquire): Promise<void> {
  if (!result.ok) return;
  await sleep(holdMs);
  await leases.release(result.leaseId, [{ kind: "account", id: result.account.id }, { kind: "key", id: result.keyId }]);
  on.slotFreed();
}

const lineLength = (groupName: string) => redis.zcard(keys.waitQueue(waitGroupOf("claude", { accountId: "", group: "" }).id, "line")).then((n) => ({ groupName, n }));

describe("createQueuedAcquire", () => {
  it("serves every request of a burst over a limit of 2, in the order they came, each once its turn comes", async () => {
    const { keyHash } = await setup(2);
    const cp = replica();
    const served: string[] = [];
    const runs = [];
    for (let i = 0; i < 6; i++) {
      const id = `r${i}`;
      runs.push(
        cp.acquire(input(keyHash, id)).then(async (result) => {
          served.push(result.ok ? id : `refused:${id}`);
          await holdThenRelease(result, 150, cp);
        }),
      );
      // Arrival order is the order the line numbers them in.
      await sleep(5);
    }
    await Promise.all(runs);
    expect(served).toEqual(["r0", "r1", "r2", "r3", "r4", "r5"]);
    expect(await redis.zcard(keys.waitQueue(waitGroupOf("claude", { accountId: "", group: "" }).id, "line"))).toBe(0);
    // Four waited, and their waits were recorded for the key and the account.
    const [key] = await apiKeys.list();
    expect(await queue.waitTimes("key", key!.id)).toHaveLength(4);
  });

  it("refuses at once, as today, when the key's bound is 0", async () => {
    const { keyHash } = await setup(2);
    keyWaitMs = 0;
    const cp = replica({ defaultWaitMs: 10_000 });
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => cp.acquire(input(keyHash, `r${i}`))));
    expect(results.filter((r) => r.ok)).toHaveLength(2);
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.reason)).toEqual(["NO_ACCOUNT", "NO_ACCOUNT", "NO_ACCOUNT", "NO_ACCOUNT"]);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("uses the default bound for a key that sets none, and refuses with a retry hint when it runs out", async () => {
    const { keyHash } = await setup(1);
    keyWaitMs = undefined;
    const cp = replica({ defaultWaitMs: 300 });
    const held = await cp.acquire(input(keyHash, "holder"));
    expect(held.ok).toBe(true);
    const started = Date.now();
    const late = await cp.acquire(input(keyHash, "late"));
    expect(late).toMatchObject({ ok: false, reason: "NO_ACCOUNT", message: "no account became available in time" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(!late.ok && late.retryAfterMs).toBeGreaterThan(0);
  });

  it("takes a waiter that stops waiting out of the line at once, holding nothing", async () => {
    const { keyHash, account } = await setup(1);
    const cp = replica();
    const held = await cp.acquire(input(keyHash, "holder"));
    const stop = new AbortController();
    const waiting = cp.acquire(input(keyHash, "quitter", { signal: stop.signal }));
    await sleep(100);
    expect((await lineLength("pool")).n).toBe(1);
    expect(cp.waiting).toBe(1);
    stop.abort();
    const leftAt = Date.now();
    expect(await waiting).toMatchObject({ ok: false, reason: "NO_ACCOUNT" });
    expect((await lineLength("pool")).n).toBe(0);
    expect(Date.now() - leftAt).toBeLessThan(100);
    expect(cp.waiting).toBe(0);
    await holdThenRelease(held, 0, cp);
    expect(await leases.activeCount(account.id)).toBe(0);
  });

  it("refuses at once when the line is full", async () => {
    const { keyHash } = await setup(1);
    const cp = replica({ maxWaiters: 2 });
    const held = await cp.acquire(input(keyHash, "holder"));
    const waiters = [cp.acquire(input(keyHash, "w1")), cp.acquire(input(keyHash, "w2"))];
    await sleep(100);
    const started = Date.now();
    expect(await cp.acquire(input(keyHash, "w3"))).toMatchObject({ ok: false, reason: "NO_ACCOUNT", message: expect.stringContaining("too many requests are waiting") });
    expect(Date.now() - started).toBeLessThan(500);
    await holdThenRelease(held, 0, cp);
    const first = await waiters[0]!;
    await holdThenRelease(first, 0, cp);
    expect((await waiters[1]!).ok).toBe(true);
  });

  it("serves waiters on two replicas first come, first served", async () => {
    const { keyHash } = await setup(1);
    const a = replica();
    const b = replica();
    const held = await a.acquire(input(keyHash, "holder"));
    const served: string[] = [];
    const runs = [];
    for (let i = 0; i < 6; i++) {
      const on = i % 2 === 0 ? a : b;
      const id = `w${i}`;
      runs.push(on.acquire(input(keyHash, id)).then(async (result) => {
        served.push(result.ok ? id : `refused:${id}`);
        await holdThenRelease(result, 30, on);
      }));
      await sleep(10);
    }
    await holdThenRelease(held, 0, a);
    await Promise.all(runs);
    expect(served).toEqual(["w0", "w1", "w2", "w3", "w4", "w5"]);
  });

  it("hands a waiter back when its replica closes, and it keeps its place on another replica", async () => {
    const { keyHash } = await setup(1);
    const closing = replica();
    const other = replica();
    const held = await other.acquire(input(keyHash, "holder"));
    const first = closing.acquire(input(keyHash, "first"));
    await sleep(50);
    const second = other.acquire(input(keyHash, "second"));
    await sleep(50);
    closing.close();
    await expect(first).rejects.toBeInstanceOf(HandBackError);
    // The relay sends it again, through the other replica: it is still ahead of "second".
    const again = other.acquire(input(keyHash, "first"));
    const order: string[] = [];
    void again.then((r) => order.push(r.ok ? "first" : "refused"));
    void second.then((r) => order.push(r.ok ? "second" : "refused"));
    await holdThenRelease(held, 0, other);
    await holdThenRelease(await again, 20, other);
    await second;
    expect(order).toEqual(["first", "second"]);
  });

  it("treats an abort with HAND_BACK as a hand-back, keeping the place", async () => {
    const { keyHash } = await setup(1);
    const cp = replica();
    const held = await cp.acquire(input(keyHash, "holder"));
    const stop = new AbortController();
    const waiting = cp.acquire(input(keyHash, "kept", { signal: stop.signal }));
    await sleep(50);
    stop.abort(HAND_BACK);
    await expect(waiting).rejects.toBeInstanceOf(HandBackError);
    expect((await lineLength("pool")).n).toBe(1);
    const again = await Promise.all([cp.acquire(input(keyHash, "kept")), holdThenRelease(held, 30, cp)]);
    expect((again[0] as GrantedLease).ok).toBe(true);
  });

  it("drops a waiter whose replica stopped renewing it, so the line moves on", async () => {
    const { keyHash } = await setup(1);
    const cp = replica();
    const held = await cp.acquire(input(keyHash, "holder"));
    // A waiter of a replica that died: in the line, never renewed.
    const group = waitGroupOf("claude", { accountId: "", group: "" });
    expect(await queue.join(group.id, "ghost", { busyOnly: false, maxWaiters: 10 })).toMatchObject({ kind: "joined", place: 0 });
    const live = cp.acquire(input(keyHash, "live"));
    await holdThenRelease(held, 50, cp);
    const started = Date.now();
    expect((await live).ok).toBe(true);
    // Dropped after aliveMs (1 s), not after the bound.
    expect(Date.now() - started).toBeLessThan(2_500);
  });
});
