/**
 * The upstream accounts: one Redis hash per account (`{acct:ID}`) plus a set of
 * all ids. Credentials and proxy URLs (which may carry a password) are sealed
 * by the CredentialCipher before they reach Redis and opened only by
 * `credential()`; records handed out never contain a secret. Slots and usage
 * of an account belong to the lease store.
 */
import { randomUUID } from "node:crypto";
import type { CatalogChanges } from "../cache/invalidation.js";
import type { RedisClient } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { createRedisScripts } from "../redis/scripts.js";
import type { CredentialCipher } from "./credential-cipher.js";

import { ACCOUNT_TYPES, type AccountType, isAccountType, isChatGptAccountId, isProjectId } from "../providers/account-types.js";

export type { AccountType } from "../providers/account-types.js";

/** The secret an account authenticates with upstream. */
export type AccountCredential =
  | { kind: "api-key"; apiKey: string }
  | { kind: "oauth"; accessToken: string; refreshToken: string; expiresAtMs: number; scopes: string[] };

/** An account as stored, without its credential. */
export interface AccountRecord {
  id: string;
  name: string;
  type: AccountType;
  baseUrl: string;
  /** Lower runs first. */
  priority: number;
  /** Slots the account may hold at once; 0 means unlimited. */
  maxConcurrentTasks: number;
  schedulable: boolean;
  /** Empty for a direct connection. Contains any proxy password: mask it before showing it. */
  proxyUrl: string;
  createdAtMs: number;
  /** 0 until the first lease. */
  lastUsedAtMs: number;
  /** OAuth accounts: when the access token expires; 0 otherwise. */
  tokenExpiresAtMs: number;
  /** Scheduling group; "" for none. */
  group: string;
  /** Models the account may serve; empty = all. */
  allowedModels: string[];
  /** Gemini OAuth accounts: the Code Assist project their requests name; "" for none. */
  projectId: string;
  /** OAuth accounts: the token endpoint refreshes go to; "" for the platform's default. */
  tokenUrl: string;
  /** OpenAI OAuth accounts: the ChatGPT account (workspace) id their requests name; "" for none. */
  chatgptAccountId: string;
}

/** Input of AccountStore.create. */
export interface NewAccount {
  name: string;
  type: AccountType;
  baseUrl?: string;
  priority?: number;
  maxConcurrentTasks?: number;
  schedulable?: boolean;
  proxyUrl?: string;
  group?: string;
  allowedModels?: string[];
  /** Gemini OAuth accounts only; "" clears it. */
  projectId?: string;
  /** OAuth accounts only; "" means the platform's default. */
  tokenUrl?: string;
  /** OpenAI OAuth accounts only; "" clears it. */
  chatgptAccountId?: string;
  credential: AccountCredential;
}

/** Fields to change; the type of an account never changes. */
export type AccountPatch = Partial<Omit<NewAccount, "type">>;

/** CRUD over accounts; the only way to read a credential is `credential(id)`. */
export interface AccountStore {
  create(input: NewAccount): Promise<AccountRecord>;
  get(id: string): Promise<AccountRecord | undefined>;
  /** Every account, oldest first. */
  list(): Promise<AccountRecord[]>;
  update(id: string, patch: AccountPatch): Promise<AccountRecord | undefined>;
  /** True when the account existed. Its open leases are dropped with it. */
  delete(id: string): Promise<boolean>;
  /** The decrypted credential; undefined when the account does not exist. */
  credential(id: string): Promise<AccountCredential | undefined>;
}

/** Options of createAccountStore. */
export interface AccountStoreOptions {
  redis: RedisClient;
  /** Told of every write, so per-replica caches drop the account (grant stamps of lastUsedAtMs excepted). */
  changes?: CatalogChanges;
  cipher: CredentialCipher;
  /** Base URL of an account that names none, per type (default: ACCOUNT_TYPES). */
  defaultBaseUrls?: Partial<Readonly<Record<AccountType, string>>>;
  now?: () => number;
  keys?: RedisKeys;
}

/** Thrown by the account store when an input breaks a rule of the record (a bad call, not a refusal). */
export class AccountInputError extends Error {
  readonly code = "ERR_INVALID_ACCOUNT";
  constructor(message: string) {
    super(message);
    this.name = "AccountInputError";
  }
}

/** Base URL of Claude accounts that do not name one; every type's default is in ACCOUNT_TYPES. */
export const DEFAULT_BASE_URL = ACCOUNT_TYPES["claude-console"].defaultBaseUrl;
/** Priority of accounts that do not name one. */
export const DEFAULT_PRIORITY = 50;
/** The record field the lease store stamps on every grant. */
export const ACCOUNT_LAST_USED_FIELD = "lastUsedAtMs";

/** An account store over one Redis client. */
export function createAccountStore(options: AccountStoreOptions): AccountStore {
  const { redis, cipher } = options;
  const now = options.now ?? Date.now;
  const keys = options.keys ?? createRedisKeys();
  const scripts = createRedisScripts(redis);
  const changed = async (id: string) => options.changes?.publish({ kind: "account", id });
  const defaults = options.defaultBaseUrls ?? {};
  const baseUrlOf = (type: AccountType): string => (Object.hasOwn(defaults, type) ? defaults[type] : undefined) ?? ACCOUNT_TYPES[type]?.defaultBaseUrl ?? DEFAULT_BASE_URL;
  const toFields = (input: AccountPatch, type: AccountType) => fieldsOf(input, type, baseUrlOf(type), cipher);

  async function get(id: string): Promise<AccountRecord | undefined> {
    if (!isId(id)) return undefined;
    return toRecord(id, await redis.hgetall(keys.account(id)), cipher, baseUrlOf);
  }

  return {
    async create(input) {
      if (!isAccountType(input.type)) throw new AccountInputError(`unknown account type "${String(input.type)}"`);
      const id = randomUUID();
      const fields: Record<string, string> = {
        type: input.type,
        createdAtMs: String(now()),
        [ACCOUNT_LAST_USED_FIELD]: "0",
        ...toFields({ baseUrl: "", priority: DEFAULT_PRIORITY, maxConcurrentTasks: 0, schedulable: true, proxyUrl: "", projectId: "", tokenUrl: "", chatgptAccountId: "", ...input }, input.type),
      };
      if (!fields.name) throw new AccountInputError("an account needs a name");
      await redis.hset(keys.account(id), fields);
      await redis.sadd(keys.accountIndex(), id);
      await changed(id);
      return (await get(id)) as AccountRecord;
    },

    get,

    async list() {
      const ids = await redis.smembers(keys.accountIndex());
      const records = await Promise.all(ids.map((id) => get(id)));
      return records
        .filter((r): r is AccountRecord => r !== undefined)
        .sort((a, b) => a.createdAtMs - b.createdAtMs || a.id.localeCompare(b.id));
    },

    async update(id, patch) {
      const current = await get(id);
      if (!current) return undefined;
      const fields = toFields(patch, current.type);
      if (fields.name === "") throw new AccountInputError("an account needs a name");
      if (!(await scripts.updateRecord(keys.account(id), fields))) return undefined;
      await changed(id);
      return get(id);
    },

    async delete(id) {
      if (!isId(id)) return false;
      const [removed] = await Promise.all([
        redis.del(keys.account(id), keys.accountLeases(id), keys.accountHealth(id), keys.accountFailures(id), keys.oauthRefreshUsed(id)),
        redis.srem(keys.accountIndex(), id),
      ]);
      await changed(id);
      return removed > 0;
    },

    async credential(id) {
      if (!isId(id)) return undefined;
      const sealed = await redis.hget(keys.account(id), "credential");
      if (!sealed) return undefined;
      return JSON.parse(cipher.decrypt(sealed)) as AccountCredential;
    },
  };
}

/** Stored hash fields for the given (partial) input; secrets are sealed here. */
function fieldsOf(input: AccountPatch, type: AccountType, defaultBaseUrl: string, cipher: CredentialCipher): Record<string, string> {
  const fields: Record<string, string> = {};
  if (input.name !== undefined) fields.name = input.name.trim();
  if (input.baseUrl !== undefined) fields.baseUrl = checkUrl(input.baseUrl || defaultBaseUrl, ["https:", "http:"], "baseUrl").replace(/\/+$/, "");
  if (input.priority !== undefined) fields.priority = String(checkInt(input.priority, "priority"));
  if (input.maxConcurrentTasks !== undefined) fields.maxConcurrentTasks = String(checkInt(input.maxConcurrentTasks, "maxConcurrentTasks"));
  if (input.schedulable !== undefined) fields.schedulable = input.schedulable ? "1" : "0";
  if (input.proxyUrl !== undefined) {
    fields.proxyUrl = input.proxyUrl ? cipher.encrypt(checkUrl(input.proxyUrl, ["socks5:", "socks5h:", "http:", "https:"], "proxyUrl")) : "";
  }
  if (input.group !== undefined) fields.group = checkGroup(input.group);
  if (input.allowedModels !== undefined) fields.allowedModels = JSON.stringify([...new Set(input.allowedModels.map((m) => m.trim()).filter(Boolean))]);
  if (input.projectId !== undefined) fields.projectId = checkProjectId(input.projectId, type);
  if (input.chatgptAccountId !== undefined) fields.chatgptAccountId = checkChatGptAccountId(input.chatgptAccountId, type);
  if (input.tokenUrl !== undefined) {
    if (input.tokenUrl !== "" && ACCOUNT_TYPES[type].credential !== "oauth") throw new AccountInputError(`a ${type} account has no token URL`);
    fields.tokenUrl = input.tokenUrl === "" ? "" : checkUrl(input.tokenUrl, ["https:", "http:"], "tokenUrl");
  }
  if (input.credential !== undefined) {
    const credential = checkCredential(input.credential, type);
    fields.credential = cipher.encrypt(JSON.stringify(credential));
    fields.tokenExpiresAtMs = String(credential.kind === "oauth" ? credential.expiresAtMs : 0);
  }
  return fields;
}

function toRecord(id: string, hash: Record<string, string>, cipher: CredentialCipher, baseUrlOf: (type: AccountType) => string): AccountRecord | undefined {
  if (!hash.type) return undefined;
  return {
    id,
    name: hash.name ?? "",
    type: hash.type as AccountType,
    baseUrl: hash.baseUrl || baseUrlOf(hash.type as AccountType),
    priority: Number(hash.priority ?? DEFAULT_PRIORITY),
    maxConcurrentTasks: Number(hash.maxConcurrentTasks ?? 0),
    schedulable: hash.schedulable !== "0",
    proxyUrl: hash.proxyUrl ? cipher.decrypt(hash.proxyUrl) : "",
    createdAtMs: Number(hash.createdAtMs ?? 0),
    lastUsedAtMs: Number(hash[ACCOUNT_LAST_USED_FIELD] ?? 0),
    tokenExpiresAtMs: Number(hash.tokenExpiresAtMs ?? 0),
    group: hash.group ?? "",
    allowedModels: hash.allowedModels ? (JSON.parse(hash.allowedModels) as string[]) : [],
    projectId: hash.projectId ?? "",
    tokenUrl: hash.tokenUrl ?? "",
    chatgptAccountId: hash.chatgptAccountId ?? "",
  };
}

/** A group name: trimmed, at most 64 characters of letters, digits, "_", "-", "." and ":"; "" for none. */
function checkGroup(group: string): string {
  const trimmed = group.trim();
  if (trimmed !== "" && !/^[A-Za-z0-9_.:-]{1,64}$/.test(trimmed)) throw new AccountInputError("group must be at most 64 letters, digits, '_', '-', '.' or ':'");
  return trimmed;
}

/** A project id (see isProjectId), only on types that name a project; "" for none. */
function checkProjectId(projectId: string, type: AccountType): string {
  const trimmed = projectId.trim();
  if (trimmed === "") return "";
  if (!ACCOUNT_TYPES[type].namesProject) throw new AccountInputError(`a ${type} account has no project id`);
  if (!isProjectId(trimmed)) throw new AccountInputError("projectId must be at most 128 letters, digits, '_', '-', '.' or ':'");
  return trimmed;
}

/** A ChatGPT account id (see isChatGptAccountId), only on types that name one; "" for none. */
function checkChatGptAccountId(accountId: string, type: AccountType): string {
  const trimmed = accountId.trim();
  if (trimmed === "") return "";
  if (!ACCOUNT_TYPES[type].namesChatGptAccount) throw new AccountInputError(`a ${type} account has no ChatGPT account id`);
  if (!isChatGptAccountId(trimmed)) throw new AccountInputError("chatgptAccountId must be at most 128 letters, digits, '_', '-', '.' or ':'");
  return trimmed;
}

/** The credential an account of `type` stores: its kind, and the fields that kind cannot do without. */
function checkCredential(credential: AccountCredential, type: AccountType): AccountCredential {
  const expected = ACCOUNT_TYPES[type].credential;
  if (credential.kind !== expected) throw new AccountInputError(`a ${type} account needs an ${expected} credential`);
  if (credential.kind === "api-key") {
    const apiKey = credential.apiKey.trim();
    if (!apiKey) throw new AccountInputError("the API key is empty");
    if (/\s/.test(apiKey)) throw new AccountInputError("the API key contains whitespace");
    return { kind: "api-key", apiKey };
  }
  if (!credential.accessToken) throw new AccountInputError("the OAuth access token is empty");
  if (!Number.isFinite(credential.expiresAtMs) || credential.expiresAtMs < 0) throw new AccountInputError("the OAuth expiry is not a time");
  return credential;
}

function checkUrl(value: string, protocols: string[], field: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AccountInputError(`${field} is not a valid URL`);
  }
  if (!protocols.includes(url.protocol)) throw new AccountInputError(`${field} must use ${protocols.join(", ")}`);
  return value;
}

function checkInt(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 2_147_483_647) throw new AccountInputError(`${field} must be a non-negative integer`);
  return value;
}

/** Ids are ours (UUIDs); anything else cannot name an account and must not reach a key name. */
function isId(id: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(id);
}
