/**
 * The Acquire flow keeps to the account types a request names, as strictly as
 * to its platform: candidates, the guess from this replica's last reads and
 * sticky bindings never reach an account of another type, and slots on the
 * named type's accounts hold their limit.
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

const openaiApi = (name: string, over: Partial<NewAccount> = {}) => accounts.create({ name, type: "openai-api", credential: { kind: "api-key", apiKey: `sk-${name}` }, ...over });
const codex = (name: string, over: Partial<NewAccount> = {}) =>
  accounts.create({
    name,
    type: "openai-oauth",
    credential: { kind: "oauth", accessToken: `at-${name}`, refreshToken: `rt-${name}`, expiresAtMs: clock + 3_600_000, scopes: [] },
    ...over,
  });

async function keyHash(): Promise<string> {
  return hashApiKey((await apiKeys.create({ name: "k" })).plaintextKey);
}

/** A chat completions request: only OpenAI API keys can serve it. */
function chatRequest(hash: string, over: Partial<AcquireInput> = {}): AcquireInput {
  return { keyHash: hash, model: "gpt-4.1", sessionHash: "", excludeAccounts: [], platform: "openai", accountTypes: ["openai-api"], ...over };
}

const accountOf = (result: AcquireResult) => (result.ok ? result.account.id : `refused: ${result.reason}`);

describe.each([{ guessing: false }, { guessing: true }])("Acquire limited to account types (guessing from last reads: $guessing)", ({ guessing }) => {
  let acquire: (input: AcquireInput) => Promise<AcquireResult>;
  let lastReads: LastReads | undefined;
  beforeEach(() => {
    lastReads = guessing ? createLastReads() : undefined;
    acquire = createAcquireLease({ catalog, leases, sticky, log, now, ...(lastReads && { lastReads }) });
  });

  it("serves a request naming a type only from accounts of it, however much better the others rank", async () => {
    const signIn = await codex("codex", { priority: 1 });
    const key = await openaiApi("key", { priority: 90 });
    const hash = await keyHash();
    for (let i = 0; i < 3; i++) expect(accountOf(await acquire(chatRequest(hash)))).toBe(key.id);
    // Without the limit the better account serves; an empty list is no limit.
    expect(accountOf(await acquire(chatRequest(hash, { accountTypes: undefined })))).toBe(signIn.id);
    expect(accountOf(await acquire(chatRequest(hash, { accountTypes: [] })))).toBe(signIn.id);
    // Both types named: both serve, by rank.
    expect(accountOf(await acquire(chatRequest(hash, { accountTypes: ["openai-oauth", "openai-api"] })))).toBe(signIn.id);
    // With the only account of the type out, nothing of another type stands in.
    expect(accountOf(await acquire(chatRequest(hash, { excludeAccounts: [key.id] })))).toBe("refused: NO_ACCOUNT");
    // A type of another platform matches no account of this one.
    expect(accountOf(await acquire(chatRequest(hash, { accountTypes: ["claude-console"] })))).toBe("refused: NO_ACCOUNT");
  });

  it("moves a session bound to an account of another type, and keeps it on the named type from then on", async () => {
    const signIn = await codex("codex", { priority: 1 });
    const key = await openaiApi("key", { priority: 50 });
    const hash = await keyHash();
    expect(accountOf(await acquire(chatRequest(hash, { sessionHash: "s", accountTypes: [] })))).toBe(signIn.id);
    expect(await sticky.get("s")).toBe(signIn.id);
    for (let i = 0; i < 3; i++) expect(accountOf(await acquire(chatRequest(hash, { sessionHash: "s" })))).toBe(key.id);
    expect(await sticky.get("s")).toBe(key.id);
    expect(await redis.zcard(keys.accountLeases(signIn.id))).toBe(1);
    expect(await redis.zcard(keys.accountLeases(key.id))).toBe(3);
  });

  it("admits exactly 4 of 16 concurrent Acquires on the one account of the named type, limited to 4", async () => {
    const limited = await openaiApi("limited", { maxConcurrentTasks: 4 });
    await codex("roomy", { priority: 1 });
    const hash = await keyHash();
    // Warm the last reads (when guessing) with an Acquire given back at once.
    const warm = await acquire(chatRequest(hash));
    if (warm.ok) await leases.release(warm.leaseId, [{ kind: "account", id: limited.id }, { kind: "key", id: warm.keyId }]);
    const results = await Promise.all(Array.from({ length: 16 }, () => acquire(chatRequest(hash))));
    expect(new Set(results.filter((r) => r.ok).map(accountOf))).toEqual(new Set([limited.id]));
    expect(results.filter((r) => r.ok)).toHaveLength(4);
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.reason)).toEqual(Array(12).fill("NO_ACCOUNT"));
    expect(await redis.zcard(keys.accountLeases(limited.id))).toBe(4);
  });
});

it("never follows this replica's last reads to an account of another type", async () => {
  const signIn = await codex("codex", { priority: 1 });
  const key = await openaiApi("key", { priority: 50 });
  const hash = await keyHash();
  const lastReads = createLastReads();
  const acquire = createAcquireLease({ catalog, leases, sticky, log, now, lastReads });
  // The last reads name the Codex account for this session: the best-ranked one, and the one it is bound to.
  expect(accountOf(await acquire(chatRequest(hash, { sessionHash: "s", accountTypes: [] })))).toBe(signIn.id);
  expect(lastReads.sticky("s")).toBe(signIn.id);
  expect(accountOf(await acquire(chatRequest(hash, { sessionHash: "s" })))).toBe(key.id);
  expect(await redis.zcard(keys.accountLeases(signIn.id))).toBe(1);
});
