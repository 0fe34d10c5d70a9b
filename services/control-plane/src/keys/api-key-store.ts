/**
 * The relay's own client keys. A key is shown once, at creation; Redis holds
 * only its SHA-256 (hex), a short prefix to recognise it by, and the key's
 * policy. One hash per key (`{key:ID}`), a set of all ids, and a string from
 * hash to id for the hot-path lookup. Whether a key may be used is decided by
 * key-policy, not here.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { CatalogChanges } from "../cache/invalidation.js";
import type { RedisClient } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { createRedisScripts } from "../redis/scripts.js";
import {
  checkLimitSettings,
  checkPlatformSettings,
  limitFields,
  NO_LIMITS,
  normalizeClientPatterns,
  normalizePlatformSettings,
  parseLimitFields,
  parsePlatformFields,
  pickLimitSettings,
  platformFields,
  type KeyLimitSettings,
  type KeyLimitState,
  type KeyPlatformSettings,
} from "./key-settings.js";

/**
 * A client key as stored (never the key itself), with its limits and its platform scope (key-settings;
 * absent limits read as no limit, absent platforms as every platform).
 */
export interface ApiKeyRecord extends Partial<KeyLimitState>, Partial<KeyPlatformSettings> {
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
  /** Dedicated binding: only this account serves the key; absent or "" for none. */
  boundAccountId?: string;
  /** Or only the accounts of this group; absent or "" for none. Never both. */
  boundGroup?: string;
  /** How long a request may wait for a slot when every account is full, ms; absent: the control plane's default; 0: never. */
  queueWaitMs?: number;
}

/** Input of ApiKeyStore.create; limits left out are off, platforms left out are all of them. */
export interface NewApiKey extends Partial<KeyLimitSettings>, Partial<KeyPlatformSettings> {
  name: string;
  concurrencyLimit?: number;
  expiresAtMs?: number;
  allowedModels?: string[];
  boundAccountId?: string;
  boundGroup?: string;
  queueWaitMs?: number;
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
  /** Changes the fields given; undefined when there is no such key. A revoked key cannot be enabled again. */
  update(id: string, patch: ApiKeyPatch): Promise<ApiKeyRecord | undefined>;
}

/** Fields ApiKeyStore.update may change. */
export type ApiKeyPatch = Partial<
  Pick<ApiKeyRecord, "name" | "enabled" | "expiresAtMs" | "concurrencyLimit" | "allowedModels" | "boundAccountId" | "boundGroup"> & KeyLimitSettings & KeyPlatformSettings
> & {
  /** The key's own wait bound, ms; null: back to the control plane's default. */
  queueWaitMs?: number | null;
};

/** The longest wait bound a key may set: 10 minutes. */
export const MAX_QUEUE_WAIT_MS = 600_000;

/** Options of createApiKeyStore. */
export interface ApiKeyStoreOptions {
  redis: RedisClient;
  /** Told of every write, so per-replica caches drop the key. */
  changes?: CatalogChanges;
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
  const changed = async (id: string) => options.changes?.publish({ kind: "api-key", id });

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
      checkQueueWaitMs(input.queueWaitMs);
      const boundAccountId = input.boundAccountId?.trim() ?? "";
      const boundGroup = input.boundGroup?.trim() ?? "";
      if (boundAccountId !== "" && boundGroup !== "") throw new ApiKeyInputError("a key is bound to an account or to a group, not both");
      const limits: KeyLimitSettings = { ...NO_LIMITS, ...pickLimitSettings(input), allowedClients: normalizeClientPatterns(input.allowedClients ?? []) };
      const limitProblem = checkLimitSettings(limits);
      if (limitProblem) throw new ApiKeyInputError(limitProblem);
      const scope = normalizePlatformSettings(input);
      const scopeProblem = checkPlatformSettings(scope);
      if (scopeProblem) throw new ApiKeyInputError(scopeProblem);
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
        boundAccountId,
        boundGroup,
        ...limits,
        ...scope,
        firstUsedAtMs: 0,
        ...(input.queueWaitMs !== undefined && { queueWaitMs: input.queueWaitMs }),
      };
      await redis.hset(keys.apiKey(record.id), toFields(record));
      await Promise.all([redis.set(keys.apiKeyByHash(record.keyHash), record.id), redis.sadd(keys.apiKeyIndex(), record.id)]);
      await changed(record.id);
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
        await changed(id);
      }
      return get(id);
    },

    async update(id, patch) {
      const current = await get(id);
      if (!current) return undefined;
      const { queueWaitMs, ...fields } = patch;
      const next: ApiKeyRecord = { ...current, ...definedOnly(fields) };
      if (queueWaitMs === null) delete next.queueWaitMs;
      else if (queueWaitMs !== undefined) next.queueWaitMs = queueWaitMs;
      checkQueueWaitMs(next.queueWaitMs);
      next.name = next.name.trim();
      if (!next.name) throw new ApiKeyInputError("an API key needs a name");
      if (patch.enabled === true && current.revokedAtMs !== 0) throw new ApiKeyInputError("a revoked key cannot be enabled again");
      if (!Number.isInteger(next.concurrencyLimit) || next.concurrencyLimit < 0) throw new ApiKeyInputError("concurrencyLimit must be a non-negative integer");
      if (!Number.isInteger(next.expiresAtMs) || next.expiresAtMs < 0) throw new ApiKeyInputError("expiresAtMs must be a non-negative integer");
      next.allowedModels = [...new Set(next.allowedModels.map((m) => m.trim()).filter(Boolean))];
      next.allowedClients = normalizeClientPatterns(next.allowedClients ?? []);
      next.boundAccountId = next.boundAccountId?.trim() ?? "";
      next.boundGroup = next.boundGroup?.trim() ?? "";
      if (next.boundAccountId !== "" && next.boundGroup !== "") throw new ApiKeyInputError("a key is bound to an account or to a group, not both");
      const limitProblem = checkLimitSettings(next);
      if (limitProblem) throw new ApiKeyInputError(limitProblem);
      Object.assign(next, normalizePlatformSettings(next));
      const scopeProblem = checkPlatformSettings(next);
      if (scopeProblem) throw new ApiKeyInputError(scopeProblem);
      // Identity, creation, revocation and first use are never rewritten: the acquire script stamps firstUsedAtMs.
      const { keyHash: _h, keyPrefix: _p, createdAtMs: _c, revokedAtMs: _r, firstUsedAtMs: _f, name: _n, ...rest } = toFields(next);
      if (!(await scripts.updateRecord(keys.apiKey(id), { ...rest, name: next.name }))) return undefined;
      await changed(id);
      return get(id);
    },
  };
}

function checkQueueWaitMs(value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > MAX_QUEUE_WAIT_MS)) {
    throw new ApiKeyInputError(`queueWaitMs must be an integer from 0 to ${MAX_QUEUE_WAIT_MS}`);
  }
}

/** The entries of an object whose value is not undefined. */
function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
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
    boundAccountId: record.boundAccountId ?? "",
    boundGroup: record.boundGroup ?? "",
    // "" is the default bound: an update writes it over a bound being cleared.
    queueWaitMs: record.queueWaitMs === undefined ? "" : String(record.queueWaitMs),
    ...limitFields({ ...pickLimitSettings(record), firstUsedAtMs: record.firstUsedAtMs }),
    ...platformFields(normalizePlatformSettings(record)),
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
    boundAccountId: hash.boundAccountId ?? "",
    boundGroup: hash.boundGroup ?? "",
    ...parseLimitFields(hash),
    ...parsePlatformFields(hash),
    ...parseQueueWait(hash.queueWaitMs),
  };
}

/** The stored wait bound; missing or "" (keys made before it existed, or cleared) reads as the default. */
function parseQueueWait(field: string | undefined): Pick<ApiKeyRecord, "queueWaitMs"> {
  if (field === undefined || field === "") return {};
  const value = Number(field);
  return Number.isInteger(value) && value >= 0 ? { queueWaitMs: value } : {};
}
