/**
 * The Acquire flow: key lookup → key policy → sticky lookup → pick an account
 * of the request's platform (and of the account types it names, when it names
 * some) → take the key slot (with the key's windows and
 * cost limits, key-limits) and the account slot together, binding the session
 * and touching its record when it is new or moves (a session that stays costs
 * no write). An account slot lost to a race sends the flow to the next
 * candidate; when none is left, the key slot is given back and the answer is
 * NO_ACCOUNT. Refusals are values.
 *
 * Redis cost: the key and the accounts come from the catalog (a per-replica
 * cache, cache/cached-catalog.ts; no Redis once warm); then what must be exact
 * is read in one batch (sticky binding, active counts, account health and
 * windows), and the slots, half-open probe claim, credential (cached too) and
 * binding go out in a second. The slot to take depends on the reads, so that
 * is two round trips, unless this replica's last reads (last-reads.ts) already
 * name an account: its slots go out in the same tick as the reads, and when
 * the fresh reads agree with the guess (agrees(), below) the Acquire is done
 * in one round trip. With a guess, the fresh reads cover only the accounts
 * that could beat it (itself and those of a better priority); the others
 * count as last read, and every account is read again at least once per
 * LAST_READS_MAX_AGE_MS, so a large pool of equals costs two commands per
 * Acquire, not two per account. A wrong guess gives its slots back, and the
 * flow goes on, on fresh reads of every candidate, as if it had not been
 * made. Commands issued in the same tick share one write on the connection.
 */
import type { Logger } from "@claude-relay/logging";
import type { AccountCredential, AccountRecord } from "../accounts/account-store.js";
import type { HealthStore } from "../accounts/health-store.js";
import type { OAuthRefresher } from "../accounts/oauth-refresh.js";
import { availability, type AccountCondition } from "../accounts/account-health.js";
import { isInBinding, pickAccount, type PickBinding, type PickResult } from "../accounts/pick-account.js";
import type { ApiKeyRecord } from "../keys/api-key-store.js";
import { concurrencyOnlyKeyLimits, keySlotRefusal, type KeyLimits, type KeySlotReply } from "../keys/key-limits.js";
import { checkKeyPolicy, keyBinding } from "../keys/key-policy.js";
import { isAccountType, platformOf, type AccountType, type PlatformName } from "../providers/account-types.js";
import { affinityOf, type AffinityCounter } from "../sessions/affinity-counter.js";
import type { SessionStore } from "../sessions/session-store.js";
import type { StickyStore } from "../sessions/sticky-store.js";
import { formatLeaseId } from "./lease-id.js";
import type { LastReads } from "./last-reads.js";
import type { SlotReply } from "../redis/scripts.js";
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
  /** The platform whose accounts can serve the request; absent reads as Claude. */
  platform?: PlatformName;
  /** When not empty, only accounts of these types can serve the request (chat completions reach an OpenAI API key, never the Codex backend). */
  accountTypes?: readonly AccountType[];
  /** The most the caller will wait in the queue for a slot (queued-acquire.ts); absent or 0 waits for nothing. */
  maxWaitMs?: number;
  /** Aborted when the caller stops waiting. */
  signal?: AbortSignal;
  /** Told when the request joins the queue: its place (0 is next) and the longest it will wait. */
  onQueued?: (place: number, waitMs: number) => void;
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
  /** This replica's last exact reads; with them an Acquire whose guess holds costs one round trip instead of two. */
  lastReads?: LastReads;
  log: Logger;
  now?: () => number;
}

/** What one attempt on one account got back. */
interface Attempt {
  account: AccountRecord;
  leaseId: string;
  keySlot: KeySlotReply;
  accountSlot: SlotReply;
  credential: AccountCredential | undefined;
  probeClaimed: boolean;
  /** True when this attempt bound the session to its account (and touched its record). */
  boundSession: boolean;
}

/** A due OAuth token with more life left than this is refreshed in the background; one closer to expiry is waited for. */
const BACKGROUND_REFRESH_MIN_LIFE_MS = 60_000;

/** Accounts a guess does not outrank are read at least this often; a change to their health or windows waits at most this long. */
const LAST_READS_MAX_AGE_MS = 1_000;

/** Lower bound of a retry hint: slots churn quickly, and a hint of 0 would mean "unknown". */
const MIN_RETRY_MS = 1_000;

/** Builds the Acquire flow. */
export function createAcquireLease(deps: AcquireLeaseDeps): (input: AcquireInput) => Promise<AcquireResult> {
  const { catalog, leases, sticky, health, oauth, sessions, affinity, lastReads, log } = deps;
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

  /**
   * The account slot and the key slot of one attempt, issued in one tick, with the session's binding and
   * record when the session is not known to be bound to this account already (`boundTo`): a session that
   * stays costs no write here, since reading its binding renewed it, and Release updates its record.
   */
  function takeSlots(
    key: ApiKeyRecord,
    account: AccountRecord,
    leaseId: string,
    input: AcquireInput,
    extra: { probe: boolean; boundTo: string | undefined; freed?: Promise<unknown> },
  ): Promise<Attempt> {
    // A half-open breaker lets exactly one request through, across replicas.
    const probeClaim = extra.probe && health ? health.claimProbe(account.id, leaseId) : Promise.resolve(true);
    const boundSession = input.sessionHash !== "" && extra.boundTo !== account.id;
    return Promise.all([
      keyLimits.acquire(leaseId, key, input.model),
      leases.acquire(leaseId, { kind: "account", id: account.id }, account.maxConcurrentTasks),
      catalog.credential(account.id).catch((err: unknown) => {
        log.error({ err, accountId: account.id }, "account credential unreadable");
        return undefined;
      }),
      probeClaim,
      boundSession ? bindSession(input.sessionHash, account.id, key.id) : undefined,
      extra.freed,
    ]).then(([keySlot, accountSlot, credential, probeClaimed]) => ({ account, leaseId, keySlot, accountSlot, credential, probeClaimed, boundSession }));
  }

  /** Binds the session to the account and touches its record (a change of account counts a move there). */
  function bindSession(sessionHash: string, accountId: string, keyId: string): Promise<unknown> {
    return Promise.all([sticky.bind(sessionHash, accountId), sessions?.touch(sessionHash, { accountId, keyId })]);
  }

  /** The exact reads of one Acquire, issued in one tick: the session's binding, the accounts' leases and conditions. */
  async function readExact(sessionHash: string, accountIds: readonly string[]) {
    // Both maps are new with every read, so the flow may fill in what it did not read.
    const [stickyId, active, conditions] = await Promise.all([
      sessionHash ? sticky.get(sessionHash) : undefined,
      leases.activeCounts(accountIds),
      health?.conditions(accountIds),
    ]);
    return { stickyId, active, conditions };
  }

  return async function acquireLease(input) {
    const [key, accounts] = await Promise.all([catalog.findKeyByHash(input.keyHash), catalog.listAccounts()]);
    const platform = input.platform ?? "claude";
    const policy = checkKeyPolicy(key, { model: input.model, userAgent: input.userAgent ?? "", platform }, now());
    if (!policy.ok || !key) return refuse(policy.ok ? "KEY_INVALID" : policy.reason, policy.ok ? "invalid x-api-key" : policy.message);

    const exclude = new Set(input.excludeAccounts);
    const binding: PickBinding = keyBinding(key, platform);
    const types = input.accountTypes !== undefined && input.accountTypes.length > 0 ? input.accountTypes : undefined;
    // Only the platform's accounts (of the types named, when some are) are candidates, so nothing below (the
    // guess, the last reads, a sticky binding to an account of another platform or type) can hand a request
    // to an account that cannot serve it.
    const candidates = accounts.filter(
      (a) => a.schedulable && !exclude.has(a.id) && isOnPlatform(a, platform) && (types === undefined || types.includes(a.type)) && isInBinding(a, binding),
    );
    const candidateIds = candidates.map((a) => a.id);
    const guess = guessAccount(candidates, input, exclude, binding);
    // With a guess, the exact reads cover only the accounts that could beat it: itself, and those of a
    // better priority (out or full when last read; they may be back). The others keep their last reads,
    // which are never older than LAST_READS_MAX_AGE_MS: a full read renews them.
    const partialIds = guess && lastReads?.readSince(candidateIds, now() - LAST_READS_MAX_AGE_MS) ? candidates.filter((a) => a.id === guess.id || a.priority < guess.priority).map((a) => a.id) : undefined;
    const readAtMs = now();
    // The exact reads, issued in one tick: one round trip.
    const reads = readExact(input.sessionHash, partialIds ?? candidateIds);
    // The guessed account takes its slots in the same tick, so when the fresh reads agree the whole
    // Acquire is one round trip; when they do not, the slots are given back and the flow goes on.
    const guessedSticky = input.sessionHash ? lastReads?.sticky(input.sessionHash) : undefined;
    // Counted per attempt, as below; a wrong guess counts its request twice, like a lost race.
    if (guess && input.sessionHash) affinity?.count(affinityOf(guessedSticky, guess.id === guessedSticky));
    const guessed =
      guess &&
      takeSlots(key, guess, formatLeaseId(guess.id, key.id), input, {
        probe: false,
        boundTo: guessedSticky,
      });
    guessed?.catch(() => {}); // awaited below; this only keeps an early rejection from counting as unhandled
    let { stickyId, active, conditions } = await reads;
    /** The account the session's binding names after the writes issued so far (the reads came before any of them). */
    let sessionBoundTo = stickyId;
    lastReads?.remember({ readAtMs, accountIds: partialIds ?? candidateIds, active, conditions, sessionHash: input.sessionHash, stickyAccountId: stickyId });
    let partial = partialIds !== undefined && lastReads !== undefined;
    if (partialIds && lastReads) {
      // Accounts not read now count as last read.
      const read = new Set(partialIds);
      for (const id of candidateIds) {
        if (read.has(id)) continue;
        active.set(id, lastReads.active.get(id) ?? 0);
        const condition = lastReads.conditions.get(id);
        if (conditions && condition) conditions.set(id, condition);
      }
    }
    /**
     * Replaces partial reads with fresh reads of every candidate, before a choice the guess did not
     * settle. The session's binding is kept as first read: the guess has re-bound it since.
     */
    const readAll = async () => {
      if (!partial) return;
      partial = false;
      ({ active, conditions } = await readExact("", candidateIds));
      lastReads?.remember({ readAtMs: now(), accountIds: candidateIds, active, conditions, sessionHash: input.sessionHash, stickyAccountId: stickyId });
      oauth?.healRefused(candidates, conditions);
    };
    oauth?.healRefused(candidates, conditions);
    let heldKeyLease: string | undefined;
    let waitMs: number | undefined;
    let early = guessed && (await guessed);
    if (early?.boundSession) sessionBoundTo = early.account.id;

    for (;;) {
      // After a guess whose attempt failed (its slot lost to a race, say), the next choice needs every account read.
      if (!early) await readAll();
      let pick = pickAccount({ candidates, stickyAccountId: stickyId, exclude, active, model: input.model, binding, ...(conditions && { conditions }), nowMs: now() });
      let attempt: Attempt;
      // A session bound elsewhere since the last reads is bound to an account these reads may not cover;
      // one bound to an account that is no candidate (another platform's, say) cannot be kept anyway.
      const covered = !partial || !stickyId || !candidateIds.includes(stickyId) || (partialIds ?? []).includes(stickyId);
      if (early && covered && pick.ok && agrees(pick, early.account, { candidates, stickyId, exclude, active, model: input.model, binding, conditions, nowMs: now() })) {
        attempt = early;
      } else {
        if (early) {
          // The guess was wrong: its account slot goes back now, its key slot with the next attempt (or the refusal).
          const givenBack = early.accountSlot.status === "granted" ? leases.release(early.leaseId, [{ kind: "account", id: early.account.id }]) : undefined;
          if (early.keySlot.status === "granted") heldKeyLease = early.leaseId;
          if (partial) {
            // The choice is made again on fresh reads of every candidate, taken just after the slot went back.
            await Promise.all([givenBack, readAll()]);
            pick = pickAccount({ candidates, stickyAccountId: stickyId, exclude, active, model: input.model, binding, ...(conditions && { conditions }), nowMs: now() });
          } else {
            await givenBack;
          }
        }
        if (!pick.ok) {
          if (heldKeyLease) await keyLimits.cancel(heldKeyLease, key.id);
          // An account that was full (now, or in a race just lost) frees a slot soon; an empty pool does not,
          // unless an account that is out for its health or windows comes back at a known time.
          const soon = pick.reason === "full" || waitMs !== undefined;
          const hints = [soon ? retryHint(waitMs) : undefined, pick.retryAfterMs].filter((ms): ms is number => ms !== undefined);
          return refuse("NO_ACCOUNT", "no account available", hints.length > 0 ? Math.min(...hints) : 0, { full: soon });
        }
        const leaseId = formatLeaseId(pick.account.id, key.id);
        // Counted per attempt: a slot race lost and retried counts that request twice.
        if (input.sessionHash) affinity?.count(affinityOf(stickyId, pick.sticky));
        attempt = await takeSlots(key, pick.account, leaseId, input, {
          probe: pick.probe,
          boundTo: sessionBoundTo,
          // Issued in this order in one tick: the previous attempt's key slot is freed before the new one is counted.
          freed: heldKeyLease ? keyLimits.cancel(heldKeyLease, key.id) : undefined,
        });
      }
      if (attempt !== early && attempt.boundSession) sessionBoundTo = attempt.account.id;
      early = undefined;
      const { account, leaseId, keySlot, accountSlot, credential, probeClaimed } = attempt;
      const accountOwner: SlotOwner = { kind: "account", id: account.id };
      heldKeyLease = keySlot.status === "granted" ? leaseId : undefined;

      const giveBackProbe = () => (pick.ok && pick.probe && probeClaimed && health ? health.releaseProbe(account.id, leaseId) : undefined);
      if (keySlot.status !== "granted") {
        if (accountSlot.status === "granted") await leases.release(leaseId, [accountOwner]);
        await giveBackProbe();
        return keySlotRefusal(keySlot, key);
      }
      // An OAuth account whose token cannot be refreshed in time is passed over like a full one.
      const handedOut = accountSlot.status === "granted" && probeClaimed ? await usableCredential(account.id, credential) : undefined;
      if (handedOut) {
        // A guess that took the binding as last read can find it changed (re-bound elsewhere, or expired).
        if (input.sessionHash && sessionBoundTo !== account.id) await bindSession(input.sessionHash, account.id, key.id);
        if (input.sessionHash) lastReads?.bound(input.sessionHash, account.id);
        log.debug({ requestId: input.requestId, leaseId, accountId: account.id, keyId: key.id, platform, sticky: account.id === stickyId }, "lease acquired");
        return { ok: true, leaseId, ttlMs: leases.ttlMs, keyId: key.id, account, credential: handedOut };
      }
      if (accountSlot.status === "granted") await leases.release(leaseId, [accountOwner]);
      await giveBackProbe();
      if (accountSlot.status === "full") waitMs = Math.min(waitMs ?? Number.POSITIVE_INFINITY, accountSlot.waitMs);
      exclude.add(account.id);
    }
  };

  /** The account the last reads point to, when they cover every candidate and it needs no probe; else none. */
  function guessAccount(candidates: readonly AccountRecord[], input: AcquireInput, exclude: ReadonlySet<string>, binding: PickBinding): AccountRecord | undefined {
    if (!lastReads || candidates.length === 0 || candidates.some((a) => !lastReads.active.has(a.id))) return undefined;
    const stickyAccountId = input.sessionHash ? lastReads.sticky(input.sessionHash) : undefined;
    const pick = pickAccount({ candidates, stickyAccountId, exclude, active: lastReads.active, model: input.model, binding, conditions: lastReads.conditions, nowMs: now() });
    return pick.ok && !pick.probe ? pick.account : undefined;
  }
}

/** True when the account serves the platform; an account of a type this version does not know serves none. */
function isOnPlatform(account: AccountRecord, platform: PlatformName): boolean {
  return isAccountType(account.type) && platformOf(account.type) === platform;
}

/**
 * True when the fresh pick leaves the guessed account as good a choice: the same
 * account, or, when no sticky binding decides, one the fresh reads also find
 * usable without a probe, with room, of the same priority and headroom (as near
 * a window's end, and as used; active
 * counts and last use only break ties, and those move with every request).
 */
function agrees(
  fresh: Extract<PickResult<AccountRecord>, { ok: true }>,
  guess: AccountRecord,
  reads: {
    candidates: readonly AccountRecord[];
    stickyId: string | undefined;
    exclude: ReadonlySet<string>;
    active: ReadonlyMap<string, number>;
    model: string;
    binding: PickBinding;
    conditions: ReadonlyMap<string, AccountCondition> | undefined;
    nowMs: number;
  },
): boolean {
  if (fresh.probe) return false;
  if (fresh.account.id === guess.id) return true;
  if (fresh.sticky || guess.priority !== fresh.account.priority) return false;
  const alone = pickAccount({ ...reads, candidates: reads.candidates.filter((a) => a.id === guess.id), ...(reads.conditions && { conditions: reads.conditions }) });
  if (!alone.ok || alone.probe) return false;
  const headroom = (id: string) => {
    const state = availability(reads.conditions?.get(id), reads.nowMs);
    return state.usable ? `${state.nearEnd}/${state.utilization}` : "unusable";
  };
  return headroom(guess.id) === headroom(fresh.account.id);
}
