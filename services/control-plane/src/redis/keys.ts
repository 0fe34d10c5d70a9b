/**
 * Every Redis key the control plane reads or writes, and nothing else. Keys
 * that one Lua script touches together share a hash tag naming their owner
 * (`{acct:ID}`, `{key:ID}`, `{sess:HASH}`), so each script stays inside one
 * Redis Cluster slot and runs unchanged on a cluster. Indexes that span owners
 * (the account and API key lists, the hash → key id lookup) are plain keys and
 * are only ever used by single commands.
 *
 * No key takes a write from every request. The usage counters everyone shares
 * (the day's and hour's totals and their per key, account and model hashes)
 * come in USAGE_SHARDS copies, each under its own tag `{day:YYYY-MM-DD:sNN}`; a
 * request writes one of them (usage/usage-shards.ts picks it) and readers sum
 * them all. Fleet-wide counters that are not usage (sticky affinity, the session
 * index) are summed per replica and written on a timer, not per request.
 */

/**
 * How many copies of the day-wide usage counters there are. Each is its own hash
 * tag, so on Redis Cluster the per-request writes of these counters spread over
 * this many slots, a sixteenth of them each, and over the primaries that own
 * those slots, instead of landing on one; an admin read of one period costs this
 * many commands (plus one for the unsharded copy of earlier versions). Where the
 * slots fall is up to the hash: on 3 primaries with even slot ranges, a day's 16
 * shards miss one primary with a chance of about 3 × (2/3)^16 ≈ 0.5%. Readers
 * sum the shards below this count: raising it is safe once every replica runs
 * the new value; lowering it would hide what the dropped shards hold.
 */
export const USAGE_SHARDS = 16;

/**
 * Which copy of the day-wide usage counters: a shard, 0 to USAGE_SHARDS - 1, or
 * "unsharded", the single `{day:YYYY-MM-DD}` copy earlier versions wrote. That
 * one is read, never written, until it expires with its day.
 */
export type UsageShard = number | "unsharded";

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
  /** Hash: the account's health state, half-open probe and subscription windows. */
  accountHealth(accountId: string): string;
  /** Sorted set: the account's recent breaker failures, score = time ms. */
  accountFailures(accountId: string): string;
  /** String with TTL: the OAuth refresh lock, value = the holder's random token. */
  oauthRefreshLock(accountId: string): string;
  /** String: SHA-256 hex of the last refresh token sent to the token endpoint (never sent twice). */
  oauthRefreshUsed(accountId: string): string;
  /** String with TTL: a pending OAuth authorization (PKCE verifier) by its state. */
  oauthPending(state: string): string;
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
  /** Sorted set: an admin's session token hashes, score = session expiry ms (to end them all at once). */
  adminUserSessions(username: string): string;
  /** Sorted set with TTL: recent failed sign-ins of one address or user (SHA-256 prefix), score = time ms. */
  signInFailures(kind: "address" | "user", subjectHash: string): string;
  /** Stream, capped: the audit log of admin writes, one JSON entry per event. */
  auditLog(): string;
  /** String: SHA-256 hex of a service token → JSON record (name, scopes, expiry, revocation; never the token). */
  serviceToken(tokenHash: string): string;
  /** Hash: service token id → its SHA-256 hex (the token list). */
  serviceTokenIndex(): string;
  /** Hash: service token id → time of its last use, ms (written at most every few seconds per token). */
  serviceTokenLastUse(): string;
  /** Pub/sub channel: `{kind, id}` of every account, API key or model alias change, so replicas drop their cached copy. */
  cacheInvalidation(): string;
  /** Hash: the account's usage counters for one UTC hour (YYYY-MM-DDTHH). */
  accountHourlyUsage(accountId: string, hour: string): string;
  /** Hash: the account's usage counters over its whole life. */
  accountTotalUsage(accountId: string): string;
  /** Hash: the API key's usage counters for one UTC hour (YYYY-MM-DDTHH). */
  apiKeyHourlyUsage(keyId: string, hour: string): string;
  /** Hash: the API key's usage counters over its whole life (its total cost limit reads them). */
  apiKeyTotalUsage(keyId: string): string;
  /** Hash: the API key's usage counters of Opus models for the UTC week starting on Monday `weekStart` (YYYY-MM-DD). */
  apiKeyWeeklyOpusUsage(keyId: string, weekStart: string): string;
  /** Hash: the API key's usage counters per model for one UTC day, field = "<model>|<counter>" (its holder's usage page reads them). */
  apiKeyDailyUsageByModel(keyId: string, day: string): string;
  /** Sorted set: the API key's requests in its rate window, member = lease id, score = start ms. */
  apiKeyRequestWindow(keyId: string): string;
  /** Sorted set: the API key's finished requests in its rate window, member = "<lease id>:<tokens>", score = end ms. */
  apiKeyTokenWindow(keyId: string): string;
  /** String: the sum of the tokens in apiKeyTokenWindow. */
  apiKeyTokenWindowTotal(keyId: string): string;
  /**
   * Hash: one shard of everyone's usage counters for one UTC day, and beside them each platform's, field =
   * "<platform>|<counter>", and each front door's, field = "door:<front door>|<counter>". The day's other
   * usage keys of the same shard share its hash tag; the day's totals are the sum over its shards.
   */
  usageDay(day: string, shard: UsageShard): string;
  /** Hash: one shard of everyone's usage counters for one UTC hour (YYYY-MM-DDTHH), and each platform's and front door's as in usageDay. */
  usageHour(hour: string, shard: UsageShard): string;
  /** Hash: one shard of one UTC day's usage counters per key, account or model, field = "<id>|<counter>". */
  usageDayBy(day: string, dimension: "key" | "account" | "model", shard: UsageShard): string;
  /** Hash: one shard of one UTC hour's usage counters per model, field = "<model>|<counter>". */
  usageHourByModel(hour: string, shard: UsageShard): string;
  /** Hash with TTL: a session's record (bound account, key, times, counts, last status). */
  session(sessionHash: string): string;
  /** Sorted set: every recent session hash, score = last seen ms. */
  sessionIndex(): string;
  /** Hash: sticky-session affinity results since counting began (hit, moved, new). */
  stickyStats(): string;
  /** Hash: model alias → JSON `{target, updatedAtMs}`; the OpenAI front door's names for models the pool serves. */
  modelAliases(): string;
  /** Hash: model id → JSON `{platform, source, price, updatedAtMs}`; the prices requests are costed at (usage/price-store.ts). */
  prices(): string;
  /**
   * Webhook notifications, all under the one `{notify}` tag (low volume; their scripts span them):
   * "targets" (hash: id → JSON record, URL and secret sealed), "groups" (sorted set: fold key → when
   * its group is sent), "group:<fold key>" (hash: the folded event and its count), "deliveries"
   * (sorted set: delivery id → when it is due or its claim ends), "delivery:<id>" (hash: one target's
   * copy and its attempts), "log:<target id>" (list, capped: the target's latest delivery results),
   * "recoveries" (sorted set: account id → when its rate limit or overload ends, recovery-watch.ts).
   */
  notifications(part: string): string;
  /**
   * The wait-for-a-slot queue of one group of accounts (leases/wait-queue.ts), all under the group's tag
   * `{wait:ID}`: "line" (sorted set: waiter id → arrival number), "alive" (sorted set: waiter id → when it
   * is dropped unless its replica renews it), "since" (hash: waiter id → when it first joined, ms),
   * "seq" (string: the last arrival number).
   */
  waitQueue(groupId: string, part: "line" | "alive" | "since" | "seq"): string;
  /** Hash: wait group id → JSON description (platform, binding, account types), for the admin's queue view. */
  waitGroups(): string;
  /** List, capped: how long the waits of one key or account took, ms, newest first. */
  waitTimes(owner: "key" | "account", id: string): string;
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
    accountHealth: (id) => `${p}:health:{acct:${id}}`,
    accountFailures: (id) => `${p}:failures:{acct:${id}}`,
    oauthRefreshLock: (id) => `${p}:oauth-lock:{acct:${id}}`,
    oauthRefreshUsed: (id) => `${p}:oauth-used:{acct:${id}}`,
    oauthPending: (state) => `${p}:oauth-pending:${state}`,
    apiKey: (id) => `${p}:apikey:{key:${id}}`,
    apiKeyLeases: (id) => `${p}:leases:{key:${id}}`,
    apiKeyDailyUsage: (id, day) => `${p}:usage:{key:${id}}:${day}`,
    apiKeyByHash: (hash) => `${p}:apikey-hash:${hash}`,
    apiKeyIndex: () => `${p}:apikeys`,
    sticky: (hash) => `${p}:sticky:{sess:${hash}}`,
    adminUsers: () => `${p}:admin:users`,
    adminSession: (hash) => `${p}:admin:session:${hash}`,
    adminUserSessions: (username) => `${p}:admin:user-sessions:${username}`,
    signInFailures: (kind, hash) => `${p}:admin:sign-in-failures:${kind}:${hash}`,
    auditLog: () => `${p}:admin:audit`,
    serviceToken: (hash) => `${p}:admin:service-token:${hash}`,
    serviceTokenIndex: () => `${p}:admin:service-tokens`,
    serviceTokenLastUse: () => `${p}:admin:service-token-last-use`,
    cacheInvalidation: () => `${p}:cache-invalidation`,
    accountHourlyUsage: (id, hour) => `${p}:usage:{acct:${id}}:h:${hour}`,
    accountTotalUsage: (id) => `${p}:usage:{acct:${id}}:total`,
    apiKeyHourlyUsage: (id, hour) => `${p}:usage:{key:${id}}:h:${hour}`,
    apiKeyTotalUsage: (id) => `${p}:usage:{key:${id}}:total`,
    apiKeyWeeklyOpusUsage: (id, weekStart) => `${p}:usage:{key:${id}}:opus-week:${weekStart}`,
    apiKeyDailyUsageByModel: (id, day) => `${p}:usage:{key:${id}}:${day}:by-model`,
    apiKeyRequestWindow: (id) => `${p}:window-requests:{key:${id}}`,
    apiKeyTokenWindow: (id) => `${p}:window-tokens:{key:${id}}`,
    apiKeyTokenWindowTotal: (id) => `${p}:window-tokens-total:{key:${id}}`,
    usageDay: (day, shard) => `${p}:usage:${dayTag(day, shard)}`,
    usageHour: (hour, shard) => `${p}:usage:${dayTag(hour.slice(0, 10), shard)}:h:${hour.slice(11)}`,
    usageDayBy: (day, dimension, shard) => `${p}:usage:${dayTag(day, shard)}:by-${dimension}`,
    usageHourByModel: (hour, shard) => `${p}:usage:${dayTag(hour.slice(0, 10), shard)}:h:${hour.slice(11)}:by-model`,
    session: (hash) => `${p}:session:{sess:${hash}}`,
    sessionIndex: () => `${p}:sessions`,
    stickyStats: () => `${p}:sticky-stats`,
    modelAliases: () => `${p}:model-aliases`,
    prices: () => `${p}:prices`,
    notifications: (part) => `${p}:notify:{notify}:${part}`,
    waitQueue: (groupId, part) => `${p}:wait:{wait:${groupId}}:${part}`,
    waitGroups: () => `${p}:wait-groups`,
    waitTimes: (owner, id) => `${p}:wait-times:{${owner === "key" ? "key" : "acct"}:${id}}`,
  };
}

/** The hash tag of one shard of a day's shared usage counters: `{day:2025-01-15:s07}`, or `{day:2025-01-15}` unsharded. */
function dayTag(day: string, shard: UsageShard): string {
  return shard === "unsharded" ? `{day:${day}}` : `{day:${day}:s${String(shard).padStart(2, "0")}}`;
}
