/**
 * OAuth access-token refresh, single-flight across every replica. Within a
 * replica, concurrent callers for one account share one promise; across
 * replicas, a Redis lock under the account's tag (`SET NX PX`, token-checked
 * release) lets one holder call the token endpoint while the others wait for
 * the lock to go and then read the token it stored.
 *
 * A refresh token is never sent twice: before it is sent, its SHA-256 is kept
 * under the account's tag, and a holder that finds the stored token already
 * marked does not send it (a replica that crashed mid-call, or a refresh that
 * failed, leaves it marked). Only a request that certainly never left (a
 * connect failure) unmarks it. A failed refresh marks the account
 * `unauthorized` with the reason; a successful one stores the new tokens and
 * lifts `unauthorized`. The call goes through the account's proxy, when it has
 * one, like the account's API calls, to the token endpoint of the account's
 * provider (its own token URL when it names one), picked per account.
 */
import { createHash } from "node:crypto";
import type { Logger } from "@claude-relay/logging";
import type { RedisClient } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { createRedisLock } from "../redis/redis-lock.js";
import type { AccountCondition } from "./account-health.js";
import { ACCOUNT_TYPES } from "../providers/account-types.js";
import type { AccountRecord, AccountStore } from "./account-store.js";
import type { HealthStore } from "./health-store.js";
import { credentialFromTokens, type OAuthCredential, type OAuthTokenClient } from "./oauth-token-client.js";

export type { OAuthCredential } from "./oauth-token-client.js";

/** The token client that refreshes an account; undefined when its type has no OAuth. */
export type TokenClientPicker = (account: Pick<AccountRecord, "type" | "tokenUrl">) => OAuthTokenClient | undefined;

/** A fresh credential (refreshed here, by another replica, or not due at all), or why not. */
export type RefreshResult = { ok: true; credential: OAuthCredential; refreshed: boolean } | { ok: false; reason: string };

/** Whether the stored credential still needs the refresh that was asked for. */
type Needed = (accountId: string, credential: OAuthCredential) => Promise<boolean>;

/** Token refresh for OAuth accounts. */
export interface OAuthRefresher {
  /** True when a token expiring at expiresAtMs is due for a refresh now (0 = expiry unknown: never due). */
  isDue(expiresAtMs: number): boolean;
  /**
   * Makes sure the account's token is not due: refreshes it, or waits for the replica that does.
   * With `refused`, the upstream refused the token (401/403): it is refreshed even if not due, as long
   * as the account is still unauthorized for that reason (another replica may have fixed it already).
   */
  refresh(accountId: string, options?: { refused?: boolean }): Promise<RefreshResult>;
  /**
   * Starts, in the background, a `refused` refresh for each OAuth account the upstream refused
   * (unauthorized by a 401/403), so it comes back by itself when a new token is all it needed.
   */
  healRefused(accounts: readonly Pick<AccountRecord, "id" | "type">[], conditions: ReadonlyMap<string, AccountCondition> | undefined): void;
  /** Resolves once the refreshes running in this replica have finished. */
  drain(): Promise<void>;
}

/** Options of createOAuthRefresher. */
export interface OAuthRefresherOptions {
  redis: RedisClient;
  keys?: RedisKeys;
  accounts: Pick<AccountStore, "credential" | "update" | "get">;
  health: Pick<HealthStore, "apply" | "read">;
  /** The token endpoint of each account (AccountProviders.tokenClient). */
  tokens: TokenClientPicker;
  /** Refresh this long before expiry (default 5 minutes). */
  aheadMs?: number;
  /** How long the lock holds if its holder dies; longer than a token call (default 30 s). */
  lockTtlMs?: number;
  log: Logger;
  now?: () => number;
  /** Told of each failed refresh, after the account is marked unauthorized (notifications); must not throw. */
  onFailure?: (accountId: string, reason: string) => void;
}

/** Builds the refresher. */
export function createOAuthRefresher(options: OAuthRefresherOptions): OAuthRefresher {
  const { redis, accounts, health, tokens, log } = options;
  const keys = options.keys ?? createRedisKeys();
  const aheadMs = options.aheadMs ?? 5 * 60_000;
  const lockTtlMs = options.lockTtlMs ?? 30_000;
  const now = options.now ?? Date.now;
  const lock = createRedisLock(redis);
  const running = new Map<string, Promise<RefreshResult>>();

  const isDue = (expiresAtMs: number) => expiresAtMs > 0 && expiresAtMs - now() <= aheadMs;
  const due: Needed = async (_accountId, credential) => isDue(credential.expiresAtMs);
  // Only the upstream's refusal counts: a failed refresh already spent its chance.
  const stillRefused: Needed = async (accountId, credential) => {
    if (isDue(credential.expiresAtMs)) return true;
    const { health: state } = await health.read(accountId);
    return state.status === "unauthorized" && state.reason.startsWith("upstream answered");
  };

  async function readOAuth(accountId: string): Promise<OAuthCredential | undefined> {
    const credential = await accounts.credential(accountId);
    return credential?.kind === "oauth" ? credential : undefined;
  }

  async function fail(accountId: string, reason: string): Promise<RefreshResult> {
    await health.apply(accountId, { kind: "block", status: "unauthorized", reason: `OAuth refresh failed: ${reason}`, untilMs: 0 });
    log.warn({ accountId, reason }, "OAuth refresh failed; account marked unauthorized");
    options.onFailure?.(accountId, reason);
    return { ok: false, reason };
  }

  /** The refresh itself, run only while holding the lock. */
  async function refreshHolding(accountId: string, needed: Needed): Promise<RefreshResult> {
    const current = await readOAuth(accountId);
    if (!current) return { ok: false, reason: "not an OAuth account" };
    // Another replica may have refreshed between our read and our lock.
    if (!(await needed(accountId, current))) return { ok: true, credential: current, refreshed: false };
    if (!current.refreshToken) return fail(accountId, "the account has no refresh token");
    // Read before the token is marked as sent, so a failed read cannot spend it.
    const record = await accounts.get(accountId);
    const client = record && tokens(record);
    if (!record || !client) return { ok: false, reason: "not an OAuth account" };
    const usedKey = keys.oauthRefreshUsed(accountId);
    const fingerprint = createHash("sha256").update(current.refreshToken).digest("hex");
    if ((await redis.get(usedKey)) === fingerprint) return fail(accountId, "the refresh token was already used; authorize the account again");
    await redis.set(usedKey, fingerprint);

    const result = await client.refresh(current.refreshToken, record.proxyUrl);
    if (!result.ok) {
      if (!result.sent) await redis.del(usedKey);
      return fail(accountId, result.reason);
    }
    const next = credentialFromTokens(result.tokens, current);
    await accounts.update(accountId, { credential: next });
    // An endpoint that keeps the refresh token accepted it again; only a rotated one is spent.
    if (next.refreshToken === current.refreshToken) await redis.del(usedKey);
    await health.apply(accountId, { kind: "reauthorized" });
    log.info({ accountId, expiresAtMs: next.expiresAtMs }, "OAuth token refreshed");
    return { ok: true, credential: next, refreshed: true };
  }

  async function refreshOnce(accountId: string, needed: Needed): Promise<RefreshResult> {
    const lockKey = keys.oauthRefreshLock(accountId);
    // Waiting rounds are bounded: each lasts at most one lock TTL.
    for (let round = 0; round < 3; round++) {
      const credential = await readOAuth(accountId);
      if (!credential) return { ok: false, reason: "not an OAuth account" };
      if (!(await needed(accountId, credential))) return { ok: true, credential, refreshed: false };
      if (round > 0) {
        // The holder we waited for failed: its reason stands, and its refresh token is spent.
        const { health: state } = await health.read(accountId);
        if (state.status === "unauthorized") return { ok: false, reason: state.reason };
      }
      const token = await lock.tryAcquire(lockKey, lockTtlMs);
      if (token !== undefined) {
        try {
          return await refreshHolding(accountId, needed);
        } finally {
          await lock.release(lockKey, token).catch((err: unknown) => log.warn({ err, accountId }, "OAuth refresh lock release failed"));
        }
      }
      await lock.waitUntilFree(lockKey, lockTtlMs);
    }
    return { ok: false, reason: "another replica's refresh did not finish in time" };
  }

  function refresh(accountId: string, options: { refused?: boolean } = {}): Promise<RefreshResult> {
    const existing = running.get(accountId);
    if (existing) return existing;
    const flight = refreshOnce(accountId, options.refused ? stillRefused : due).finally(() => running.delete(accountId));
    running.set(accountId, flight);
    return flight;
  }

  return {
    isDue,
    refresh,

    healRefused(accounts, conditions) {
      for (const account of accounts) {
        const state = conditions?.get(account.id)?.health;
        if (ACCOUNT_TYPES[account.type]?.credential !== "oauth" || state?.status !== "unauthorized" || !state.reason.startsWith("upstream answered")) continue;
        if (running.has(account.id)) continue;
        refresh(account.id, { refused: true }).catch((err: unknown) => log.warn({ err, accountId: account.id }, "OAuth refresh after a refusal failed"));
      }
    },

    async drain() {
      await Promise.allSettled([...running.values()]);
    },
  };
}
