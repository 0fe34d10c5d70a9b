/**
 * Every Redis key the control plane reads or writes, and nothing else. Keys
 * that one Lua script touches together share a hash tag naming their owner
 * (`{acct:ID}`, `{key:ID}`, `{sess:HASH}`), so each script stays inside one
 * Redis Cluster slot and runs unchanged on a cluster. Indexes that span owners
 * (the account and API key lists, the hash → key id lookup) are plain keys and
 * are only ever used by single commands.
 */

/** Key names under one namespace prefix. */
export interface RedisKeys {
  /** Hash: one account's record and its sealed credential. */
  account(accountId: string): string;
  /** Sorted set: the account's leases, member = lease id, score = expiry ms. */
  accountLeases(accountId: string): string;
  /** Hash: the account's token counters for one UTC day (YYYY-MM-DD). */
  accountDailyUsage(accountId: string, day: string): string;
  /** Set: every account id. */
  accountIndex(): string;
  /** Hash: one API key's record (never the key itself). */
  apiKey(keyId: string): string;
  /** Sorted set: the API key's leases, member = lease id, score = expiry ms. */
  apiKeyLeases(keyId: string): string;
  /** Hash: the API key's token counters for one UTC day (YYYY-MM-DD). */
  apiKeyDailyUsage(keyId: string, day: string): string;
  /** String: SHA-256 hex of a client key → that key's id. */
  apiKeyByHash(keyHash: string): string;
  /** Set: every API key id. */
  apiKeyIndex(): string;
  /** String with TTL: session hash → the account the session is bound to. */
  sticky(sessionHash: string): string;
  /** Hash: admin username → JSON record with the scrypt password hash. */
  adminUsers(): string;
  /** String with TTL: SHA-256 hex of an admin session token → JSON session record. */
  adminSession(tokenHash: string): string;
}

/** Options of createRedisKeys. */
export interface RedisKeysOptions {
  /** Namespace in front of every key; tests use a random one to stay apart on a shared server. */
  prefix?: string;
}

/** Builds the key names under a prefix (default "cr"). */
export function createRedisKeys(options: RedisKeysOptions = {}): RedisKeys {
  const p = options.prefix ?? "cr";
  return {
    account: (id) => `${p}:account:{acct:${id}}`,
    accountLeases: (id) => `${p}:leases:{acct:${id}}`,
    accountDailyUsage: (id, day) => `${p}:usage:{acct:${id}}:${day}`,
    accountIndex: () => `${p}:accounts`,
    apiKey: (id) => `${p}:apikey:{key:${id}}`,
    apiKeyLeases: (id) => `${p}:leases:{key:${id}}`,
    apiKeyDailyUsage: (id, day) => `${p}:usage:{key:${id}}:${day}`,
    apiKeyByHash: (hash) => `${p}:apikey-hash:${hash}`,
    apiKeyIndex: () => `${p}:apikeys`,
    sticky: (hash) => `${p}:sticky:{sess:${hash}}`,
    adminUsers: () => `${p}:admin:users`,
    adminSession: (hash) => `${p}:admin:session:${hash}`,
  };
}
