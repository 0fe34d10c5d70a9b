/**
 * The relay's own client keys. A key is shown once, at creation; Redis holds
 * only its SHA-256 (hex), a short prefix to recognise it by, and the key's
 * policy. One hash per key (`{key:ID}`), a set of all ids, and a string from
 * hash to id for the hot-path lookup. Whether a key may be used is decided by
 * key-policy, not here.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { createRedisScripts } from "../redis/scripts.js";

/** A client key as stored (never the key itself). */
export interface ApiKeyRecord {
  id: string;
  name: string;
  /** The first characters of the key ("cr_AbCd"), to recognise it. */
  keyPrefix: string;
  /** Lower-case hex SHA-256 of the full key. */
  keyHash: string;
  enabled: boolean;
  createdAtMs: number;
  /** 0 = never. */
  expiresAtMs: number;
  /** Requests the key may run at once; 0 = unlimited. */
  concurrencyLimit: number;
  /** Models the key may use; empty = all. */
  allowedModels: string[];
  /** 0 = not revoked. */
  revokedAtMs: number;
}

/** Input of ApiKeyStore.create. */
export interface NewApiKey {
  name: string;
  concurrencyLimit?: number;
  expiresAtMs?: number;
  allowedModels?: string[];
}

/** Create, look up and revoke client keys. */
export interface ApiKeyStore {
  /** Creates a key; `plaintextKey` exists only in this answer. */
  create(input: NewApiKey): Promise<{ record: ApiKeyRecord; plaintextKey: string }>;
  /** Every key, oldest first. */
  list(): Promise<ApiKeyRecord[]>;
  get(id: string): Promise<ApiKeyRecord | undefined>;
  /** The key whose SHA-256 hex is keyHash, revoked or not. */
  findByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
  /** Disables the key for good; the first revocation time is kept. */
  revoke(id: string): Promise<ApiKeyRecord | undefined>;
}

/** Options of createApiKeyStore. */
export interface ApiKeyStoreOptions {
  redis: Redis;
  now?: () => number;
  keys?: RedisKeys;
}

/** Thrown by the API key store when an input breaks a rule of the record. */
export class ApiKeyInputError extends Error {
  readonly code = "ERR_INVALID_API_KEY";
  constructor(message: string) {
    super(message);
    this.name = "ApiKeyInputError";
  }
}

const KEY_PREFIX = "cr_";
const SHOWN_PREFIX_LENGTH = 7;

/** Lower-case hex SHA-256 of a client key, the only form the key is stored in. */
export function hashApiKey(plaintext: string): string {
  return createHash("sha256").update(plaintext, "utf8").digest("hex");
}

/** A fresh client key: "cr_" and 43 base64url characters (32 random bytes). */
export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString("base64url");
}

/** An API key store over one Redis client. */
export function createApiKeyStore(options: ApiKeyStoreOptions): ApiKeyStore {
  const { redis } = options;
  const now = options.now ?? Date.now;
  const keys = options.keys ?? createRedisKeys();
  const scripts = createRedisScripts(redis);

  async function get(id: string): Promise<ApiKeyRecord | undefined> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) return undefined;
    return toRecord(id, await redis.hgetall(keys.apiKey(id)));
  }

  return {
    async create(input) {
      const name = input.name.trim();
      if (!name) throw new ApiKeyInputError("an API key needs a name");
      const concurrencyLimit = input.concurrencyLimit ?? 0;
      const expiresAtMs = input.expiresAtMs ?? 0;
      if (!Number.isInteger(concurrencyLimit) || concurrencyLimit < 0) throw new ApiKeyInputError("concurrencyLimit must be a non-negative integer");
      if (!Number.isInteger(expiresAtMs) || expiresAtMs < 0) throw new ApiKeyInputError("expiresAtMs must be a non-negative integer");
      const plaintextKey = generateApiKey();
      const record: ApiKeyRecord = {
        id: randomUUID(),
        name,
        keyPrefix: plaintextKey.slice(0, SHOWN_PREFIX_LENGTH),
        keyHash: hashApiKey(plaintextKey),
        enabled: true,
        createdAtMs: now(),
        expiresAtMs,
        concurrencyLimit,
        allowedModels: [...new Set((input.allowedModels ?? []).map((m) => m.trim()).filter(Boolean))],
        revokedAtMs: 0,
      };
      await redis.hset(keys.apiKey(record.id), toFields(record));
      await Promise.all([redis.set(keys.apiKeyByHash(record.keyHash), record.id), redis.sadd(keys.apiKeyIndex(), record.id)]);
      return { record, plaintextKey };
    },

    async list() {
      const ids = await redis.smembers(keys.apiKeyIndex());
      const records = await Promise.all(ids.map((id) => get(id)));
      return records
        .filter((r): r is ApiKeyRecord => r !== undefined)
        .sort((a, b) => a.createdAtMs - b.createdAtMs || a.id.localeCompare(b.id));
    },

    get,

    async findByHash(keyHash) {
      if (!/^[0-9a-f]{64}$/.test(keyHash)) return undefined;
      const id = await redis.get(keys.apiKeyByHash(keyHash));
      if (!id) return undefined;
      const record = await get(id);
      return record?.keyHash === keyHash ? record : undefined;
    },

    async revoke(id) {
      const current = await get(id);
      if (!current) return undefined;
      if (current.revokedAtMs === 0) {
        const updated = await scripts.updateRecord(keys.apiKey(id), { enabled: "0", revokedAtMs: String(now()) });
        if (!updated) return undefined;
      }
      return get(id);
    },
  };
}

function toFields(record: ApiKeyRecord): Record<string, string> {
  return {
    name: record.name,
    keyPrefix: record.keyPrefix,
    keyHash: record.keyHash,
    enabled: record.enabled ? "1" : "0",
    createdAtMs: String(record.createdAtMs),
    expiresAtMs: String(record.expiresAtMs),
    concurrencyLimit: String(record.concurrencyLimit),
    allowedModels: JSON.stringify(record.allowedModels),
    revokedAtMs: String(record.revokedAtMs),
  };
}

function toRecord(id: string, hash: Record<string, string>): ApiKeyRecord | undefined {
  if (!hash.keyHash) return undefined;
  return {
    id,
    name: hash.name ?? "",
    keyPrefix: hash.keyPrefix ?? "",
    keyHash: hash.keyHash,
    enabled: hash.enabled === "1",
    createdAtMs: Number(hash.createdAtMs ?? 0),
    expiresAtMs: Number(hash.expiresAtMs ?? 0),
    concurrencyLimit: Number(hash.concurrencyLimit ?? 0),
    allowedModels: hash.allowedModels ? (JSON.parse(hash.allowedModels) as string[]) : [],
    revokedAtMs: Number(hash.revokedAtMs ?? 0),
  };
}
