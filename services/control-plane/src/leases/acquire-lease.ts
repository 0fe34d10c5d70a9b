/**
 * The Acquire flow: key lookup → key policy → sticky lookup → pick an account
 * → take the key slot (with the key's windows and cost limits, key-limits) and
 * the account slot together, touching the session's record. An account slot lost to
 * a race sends the flow to the next candidate; when none is left, the key slot
 * is given back and the answer is NO_ACCOUNT. Refusals are values.
 *
 * Redis cost: the key and the accounts come from the catalog (a per-replica
 * cache, cache/cached-catalog.ts; no Redis once warm); then what must be exact
 * is read in one batch (sticky binding, active counts, account health and
 * windows); then the slots, half-open probe claim,
 * credential (cached too) and binding go out in one batch. Two round trips on
 * a warm cache: the slot to take depends on the first batch. Commands issued
 * in the same tick share one write on the connection.
 */
import type { Logger } from "@claude-relay/logging";
import type { AccountCredential, AccountRecord } from "../accounts/account-store.js";
import type { HealthStore } from "../accounts/health-store.js";
import type { OAuthRefresher } from "../accounts/oauth-refresh.js";
import { isInBinding, pickAccount, type PickBinding } from "../accounts/pick-account.js";
import type { ApiKeyRecord } from "../keys/api-key-store.js";
import { concurrencyOnlyKeyLimits, keySlotRefusal, type KeyLimits } from "../keys/key-limits.js";
import { checkKeyPolicy } from "../keys/key-policy.js";
import { affinityOf, type AffinityCounter } from "../sessions/affinity-counter.js";
import type { SessionStore } from "../sessions/session-store.js";
import type { StickyStore } from "../sessions/sticky-store.js";
import { formatLeaseId } from "./lease-id.js";
import type { LeaseStore, SlotOwner } from "./lease-store.js";
import { refuse, type Refusal } from "./refusal.js";

/** Read access to keys and accounts; the stores today, a cache later. */
export interface LeaseCatalog {
  findKeyByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
  listAccounts(): Promise<AccountRecord[]>;
  credential(accountId: string): Promise<AccountCredential | undefined>;
}

/** One Acquire call, already validated. */
export interface AcquireInput {
  keyHash: string;
  model: string;
  /** Empty for no sticky session. */
  sessionHash: string;
  excludeAccounts: readonly string[];
  requestId?: string;
  /** The client's User-Agent, for the key's client allow-list. */
  userAgent?: string;
}

/** A granted lease with what the relay needs to call the account. */
export interface GrantedLease {
  ok: true;
  leaseId: string;
  ttlMs: number;
  keyId: string;
  account: AccountRecord;
  credential: AccountCredential;
}

/** A lease, or a refusal. */
export type AcquireResult = GrantedLease | Refusal;

/** Dependencies of createAcquireLease. */
export interface AcquireLeaseDeps {
  catalog: LeaseCatalog;
  leases: LeaseStore;
  sticky: StickyStore;
  /** Account health and windows, read with the other exact reads; without it every account is healthy. */
  health?: Pick<HealthStore, "conditions" | "claimProbe" | "releaseProbe">;
  /** OAuth token refresh; without it tokens are handed out as stored. */
  oauth?: Pick<OAuthRefresher, "isDue" | "refresh" | "healRefused">;
  /** The key's windows, cost limits and first-use expiry with its slot; without it only its concurrency is limited. */
  keyLimits?: KeyLimits;
  /** Session records, touched with the slots. */
  sessions?: Pick<SessionStore, "touch">;
  /** Counts sticky hits, moves and new sessions. */
  affinity?: AffinityCounter;
  log: Logger;
  now?: () => number;
}

/** A due OAuth token with more life left than this is refreshed in the background; one closer to expiry is waited for. */
const BACKGROUND_REFRESH_MIN_LIFE_MS = 60_000;

/** Lower bound of a retry hint: slots churn quickly, and a hint of 0 would mean "unknown". */
const MIN_RETRY_MS = 1_000;

/** Builds the Acquire flow. */
export function createAcquireLease(deps: AcquireLeaseDeps): (input: AcquireInput) => Promise<AcquireResult> {
  const { catalog, leases, sticky, health, oauth, sessions, affinity, log } = deps;
  const keyLimits = deps.keyLimits ?? concurrencyOnlyKeyLimits(leases);
  const now = deps.now ?? Date.now;
  const retryHint = (waitMs: number | undefined) => Math.min(Math.max(waitMs ?? MIN_RETRY_MS, MIN_RETRY_MS), leases.ttlMs);

  /** The credential to hand out: an OAuth token due for refresh is refreshed first, or in the background while it has life left. */
  async function usableCredential(accountId: string, credential: AccountCredential | undefined): Promise<AccountCredential | undefined> {
    if (!credential || !oauth || credential.kind !== "oauth" || !oauth.isDue(credential.expiresAtMs)) return credential;
    if (credential.expiresAtMs - now() > BACKGROUND_REFRESH_MIN_LIFE_MS) {
      oauth.refresh(accountId).catch((err: unknown) => log.warn({ err, accountId }, "background OAuth refresh failed"));
      return credential;
    }
    const refreshed = await oauth.refresh(accountId);
    return refreshed.ok ? refreshed.credential : undefined;
  }

  return async function acquireLease(input) {
    const [key, accounts] = await Promise.all([catalog.findKeyByHash(input.keyHash), catalog.listAccounts()]);
    const policy = checkKeyPolicy(key, { model: input.model, userAgent: input.userAgent ?? "" }, now());
    if (!policy.ok || !key) return refuse(policy.ok ? "KEY_INVALID" : policy.reason, policy.ok ? "invalid x-api-key" : policy.message);

    const exclude = new Set(input.excludeAccounts);
    const binding: PickBinding = { accountId: key.boundAccountId ?? "", group: key.boundGroup ?? "" };
    const candidates = accounts.filter((a) => a.schedulable && !exclude.has(a.id) && isInBinding(a, binding));
    // The exact reads, issued in one tick: one round trip.
    const [stickyId, activeCounts, conditions] = await Promise.all([
      input.sessionHash ? sticky.get(input.sessionHash) : undefined,
      leases.activeCounts(candidates.map((a) => a.id)),
      health?.conditions(candidates.map((a) => a.id)),
    ]);
    const active = new Map(activeCounts);
    oauth?.healRefused(candidates, conditions);
    let heldKeyLease: string | undefined;
    let waitMs: number | undefined;

    for (;;) {
      const pick = pickAccount({ candidates, stickyAccountId: stickyId, exclude, active, model: input.model, binding, ...(conditions && { conditions }), nowMs: now() });
      if (!pick.ok) {
        if (heldKeyLease) await keyLimits.cancel(heldKeyLease, key.id);
        // An account that was full (now, or in a race just lost) frees a slot soon; an empty pool does not,
        // unless an account that is out for its health or windows comes back at a known time.
        const soon = pick.reason === "full" || waitMs !== undefined;
        const hints = [soon ? retryHint(waitMs) : undefined, pick.retryAfterMs].filter((ms): ms is number => ms !== undefined);
        return refuse("NO_ACCOUNT", "no account available", hints.length > 0 ? Math.min(...hints) : 0);
      }
      const { account } = pick;
      const accountOwner: SlotOwner = { kind: "account", id: account.id };
      const leaseId = formatLeaseId(account.id, key.id);
      // Issued in this order in one tick: the previous attempt's key slot is freed before the new one is counted.
      const freed = heldKeyLease ? keyLimits.cancel(heldKeyLease, key.id) : undefined;
      // A half-open breaker lets exactly one request through, across replicas.
      const probeClaim = pick.probe && health ? health.claimProbe(account.id, leaseId) : Promise.resolve(true);
      const [keySlot, accountSlot, credential] = await Promise.all([
        keyLimits.acquire(leaseId, key, input.model),
        leases.acquire(leaseId, accountOwner, account.maxConcurrentTasks),
        catalog.credential(account.id).catch((err: unknown) => {
          log.error({ err, accountId: account.id }, "account credential unreadable");
          return undefined;
        }),
        input.sessionHash ? sticky.bind(input.sessionHash, account.id) : undefined,
        freed,
        probeClaim,
        input.sessionHash && sessions ? sessions.touch(input.sessionHash, { accountId: account.id, keyId: key.id }) : undefined,
        // Counted per attempt, with the slots: a slot race lost and retried counts that request twice.
        input.sessionHash && affinity ? affinity.count(affinityOf(stickyId, pick.sticky)) : undefined,
      ]);
      const probeClaimed = await probeClaim;
      heldKeyLease = keySlot.status === "granted" ? leaseId : undefined;

      const giveBackProbe = () => (pick.probe && probeClaimed && health ? health.releaseProbe(account.id, leaseId) : undefined);
      if (keySlot.status !== "granted") {
        if (accountSlot.status === "granted") await leases.release(leaseId, [accountOwner]);
        await giveBackProbe();
        return keySlotRefusal(keySlot, key);
      }
      // An OAuth account whose token cannot be refreshed in time is passed over like a full one.
      const handedOut = accountSlot.status === "granted" && probeClaimed ? await usableCredential(account.id, credential) : undefined;
      if (handedOut) {
        log.debug({ requestId: input.requestId, leaseId, accountId: account.id, keyId: key.id, sticky: pick.sticky, probe: pick.probe }, "lease acquired");
        return { ok: true, leaseId, ttlMs: leases.ttlMs, keyId: key.id, account, credential: handedOut };
      }
      if (accountSlot.status === "granted") await leases.release(leaseId, [accountOwner]);
      await giveBackProbe();
      if (accountSlot.status === "full") waitMs = Math.min(waitMs ?? Number.POSITIVE_INFINITY, accountSlot.waitMs);
      exclude.add(account.id);
    }
  };
}
