/**
 * The Acquire flow keeps to the request's platform: candidates, the guess
 * from this replica's last reads and sticky bindings never reach an account
 * of another platform, and slots on a platform's accounts hold their limit.
 */
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
import { createLastReads, type LastReads } from "./last-reads.js";
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
const clock = 1_700_000_000_000;
const now = () => clock;

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url);
});

beforeEach(() => {
  keys = createRedisKeys({ prefix: `test-${randomBytes(6).toString("hex")}` });
  accounts = createAccountStore({ redis, cipher: createCredentialCipher(randomBytes(32)), now, keys });
  apiKeys = createApiKeyStore({ redis, now, keys });
  leases = createLeaseStore({ redis, ttlMs: TTL, now, keys });
  sticky = createStickyStore({ redis, ttlSeconds: 3600, keys });
  catalog = { findKeyByHash: apiKeys.findByHash, listAccounts: accounts.list, credential: accounts.credential };
});

afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

const claude = (name: string, over: Partial<NewAccount> = {}) => accounts.create({ name, type: "claude-console", credential: { kind: "api-key", apiKey: `sk-${name}` }, ...over });
const gemini = (name: string, over: Partial<NewAccount> = {}) => accounts.create({ name, type: "gemini-api", credential: { kind: "api-key", apiKey: `AIza-${name}` }, ...over });

async function keyHash(): Promise<string> {
  return hashApiKey((await apiKeys.create({ name: "k" })).plaintextKey);
}

function geminiRequest(hash: string, over: Partial<AcquireInput> = {}): AcquireInput {
  return { keyHash: hash, model: "gemini-2.5-flash", sessionHash: "", excludeAccounts: [], platform: "gemini", ...over };
}

const accountOf = (result: AcquireResult) => (result.ok ? result.account.id : `refused: ${result.reason}`);

describe.each([{ guessing: false }, { guessing: true }])("Acquire on one platform (guessing from last reads: $guessing)", ({ guessing }) => {
  let acquire: (input: AcquireInput) => Promise<AcquireResult>;
  let lastReads: LastReads | undefined;
  beforeEach(() => {
    lastReads = guessing ? createLastReads() : undefined;
    acquire = createAcquireLease({ catalog, leases, sticky, log, now, ...(lastReads && { lastReads }) });
  });

  it("moves a session bound to a Claude account to a Gemini account for a Gemini request, and back for a Claude one", async () => {
    const c = await claude("claude", { priority: 1 });
    const g = await gemini("gemini", { priority: 50 });
    const hash = await keyHash();
    expect(accountOf(await acquire({ keyHash: hash, model: "claude-sonnet-4-5", sessionHash: "s", excludeAccounts: [] }))).toBe(c.id);
    for (let i = 0; i < 3; i++) expect(accountOf(await acquire(geminiRequest(hash, { sessionHash: "s" })))).toBe(g.id);
    expect(await sticky.get("s")).toBe(g.id);
    expect(accountOf(await acquire({ keyHash: hash, model: "claude-sonnet-4-5", sessionHash: "s", excludeAccounts: [], platform: "claude" }))).toBe(c.id);
    expect(await redis.zcard(keys.accountLeases(c.id))).toBe(2);
    expect(await redis.zcard(keys.accountLeases(g.id))).toBe(3);
  });

  it("admits exactly 4 of 16 concurrent Gemini Acquires on an account limited to 4, whatever the Claude accounts hold", async () => {
    const limited = await gemini("limited", { maxConcurrentTasks: 4 });
    await claude("roomy");
    const hash = await keyHash();
    // Warm the last reads (when guessing) with an Acquire given back at once.
    const warm = await acquire(geminiRequest(hash));
    if (warm.ok) await leases.release(warm.leaseId, [{ kind: "account", id: limited.id }, { kind: "key", id: warm.keyId }]);
    const results = await Promise.all(Array.from({ length: 16 }, () => acquire(geminiRequest(hash))));
    expect(results.filter((r) => r.ok)).toHaveLength(4);
    expect(new Set(results.filter((r) => r.ok).map(accountOf))).toEqual(new Set([limited.id]));
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.reason)).toEqual(Array(12).fill("NO_ACCOUNT"));
    expect(await redis.zcard(keys.accountLeases(limited.id))).toBe(4);
  });
});

it("keeps a one-round-trip guess for a Gemini request whose session is bound to a Claude account", async () => {
  const c = await claude("claude", { priority: 1 });
  const g = await gemini("gemini");
  const hash = await keyHash();
  // The catalog as a warm per-replica cache serves it: no Redis.
  const [key, list, credentials] = await Promise.all([apiKeys.findByHash(hash), accounts.list(), Promise.all([c.id, g.id].map(accounts.credential))]);
  const warm: LeaseCatalog = {
    findKeyByHash: async () => key,
    listAccounts: async () => list,
    credential: async (id) => credentials[[c.id, g.id].indexOf(id)],
  };
  const acquire = createAcquireLease({ catalog: warm, leases, sticky, log, now, lastReads: createLastReads() });
  // This replica has read the Gemini account; then the session is bound to the Claude account elsewhere.
  expect(accountOf(await acquire(geminiRequest(hash)))).toBe(g.id);
  await sticky.bind("elsewhere", c.id);
  const writes = recordWrites(redis);
  expect(accountOf(await acquire(geminiRequest(hash, { sessionHash: "elsewhere" })))).toBe(g.id);
  // The binding to an account of another platform cannot be kept, so it does not send the flow to read again.
  expect(writes.batches).toHaveLength(1);
  expect(await sticky.get("elsewhere")).toBe(g.id);
});
