/**
 * The Acquire flow: key lookup → key policy → sticky lookup → pick an account
 * → take the key slot and the account slot together. An account slot lost to
 * a race sends the flow to the next candidate; when none is left, the key slot
 * is given back and the answer is NO_ACCOUNT. Refusals are values.
 *
 * Redis cost: the key, the accounts and the sticky binding are read at once
 * (through the catalog, where a per-replica cache can slot in), then the active
 * counts, then the slots, credential and binding in one batch. Commands issued
 * in the same tick share one write on the connection.
 */
import type { Logger } from "@claude-relay/logging";
import type { AccountCredential, AccountRecord } from "../accounts/account-store.js";
import { pickAccount } from "../accounts/pick-account.js";
import type { ApiKeyRecord } from "../keys/api-key-store.js";
import { checkKeyPolicy } from "../keys/key-policy.js";
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
  log: Logger;
  now?: () => number;
}

/** Lower bound of a retry hint: slots churn quickly, and a hint of 0 would mean "unknown". */
const MIN_RETRY_MS = 1_000;

/** Builds the Acquire flow. */
export function createAcquireLease(deps: AcquireLeaseDeps): (input: AcquireInput) => Promise<AcquireResult> {
  const { catalog, leases, sticky, log } = deps;
  const now = deps.now ?? Date.now;
  const retryHint = (waitMs: number | undefined) => Math.min(Math.max(waitMs ?? MIN_RETRY_MS, MIN_RETRY_MS), leases.ttlMs);

  return async function acquireLease(input) {
    const [key, accounts, stickyId] = await Promise.all([
      catalog.findKeyByHash(input.keyHash),
      catalog.listAccounts(),
      input.sessionHash ? sticky.get(input.sessionHash) : undefined,
    ]);
    const policy = checkKeyPolicy(key, { model: input.model }, now());
    if (!policy.ok || !key) return refuse(policy.ok ? "KEY_INVALID" : policy.reason, policy.ok ? "invalid x-api-key" : policy.message);

    const keyOwner: SlotOwner = { kind: "key", id: key.id };
    const exclude = new Set(input.excludeAccounts);
    const candidates = accounts.filter((a) => a.schedulable && !exclude.has(a.id));
    const active = new Map(await leases.activeCounts(candidates.map((a) => a.id)));
    let heldKeyLease: string | undefined;
    let waitMs: number | undefined;

    for (;;) {
      const pick = pickAccount({ candidates, stickyAccountId: stickyId, exclude, active });
      if (!pick.ok) {
        if (heldKeyLease) await leases.release(heldKeyLease, [keyOwner]);
        // An account that was full (now, or in a race just lost) frees a slot soon; an empty pool does not.
        const soon = pick.reason === "full" || waitMs !== undefined;
        return refuse("NO_ACCOUNT", "no account available", soon ? retryHint(waitMs) : 0);
      }
      const { account } = pick;
      const accountOwner: SlotOwner = { kind: "account", id: account.id };
      const leaseId = formatLeaseId(account.id, key.id);
      // Issued in this order in one tick: the previous attempt's key slot is freed before the new one is counted.
      const freed = heldKeyLease ? leases.release(heldKeyLease, [keyOwner]) : undefined;
      const [keySlot, accountSlot, credential] = await Promise.all([
        leases.acquire(leaseId, keyOwner, key.concurrencyLimit),
        leases.acquire(leaseId, accountOwner, account.maxConcurrentTasks),
        catalog.credential(account.id).catch((err: unknown) => {
          log.error({ err, accountId: account.id }, "account credential unreadable");
          return undefined;
        }),
        input.sessionHash ? sticky.bind(input.sessionHash, account.id) : undefined,
        freed,
      ]);
      heldKeyLease = keySlot.status === "granted" ? leaseId : undefined;

      if (keySlot.status !== "granted") {
        if (accountSlot.status === "granted") await leases.release(leaseId, [accountOwner]);
        if (keySlot.status === "missing") return refuse("KEY_INVALID", "invalid x-api-key");
        return refuse("KEY_LIMIT", `this API key is at its limit of ${key.concurrencyLimit} concurrent requests`, retryHint(keySlot.waitMs));
      }
      if (accountSlot.status === "granted" && credential) {
        log.debug({ requestId: input.requestId, leaseId, accountId: account.id, keyId: key.id, sticky: pick.sticky }, "lease acquired");
        return { ok: true, leaseId, ttlMs: leases.ttlMs, keyId: key.id, account, credential };
      }
      if (accountSlot.status === "granted") await leases.release(leaseId, [accountOwner]);
      if (accountSlot.status === "full") waitMs = Math.min(waitMs ?? Number.POSITIVE_INFINITY, accountSlot.waitMs);
      exclude.add(account.id);
    }
  };
}
