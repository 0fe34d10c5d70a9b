/**
 * What this replica's last Acquire read of the exact state (active counts,
 * account conditions, sticky bindings), kept so the next Acquire can guess its
 * account before its own reads answer, and take that account's slot in the same
 * round trip as the reads. A guess is only used when the fresh reads agree with
 * it (acquire-lease.ts), so a stale entry costs a wasted slot take, never a
 * wrong choice. Sticky bindings are bounded: the oldest go first.
 */
import type { AccountCondition } from "../accounts/account-health.js";

/** The last reads, by account and by session. */
export interface LastReads {
  readonly active: ReadonlyMap<string, number>;
  readonly conditions: ReadonlyMap<string, AccountCondition>;
  sticky(sessionHash: string): string | undefined;
  /** True when the account was read, and read healthy with no probe in flight. */
  readHealthy(accountId: string): boolean;
  /** True when every one of these accounts was read at or after `sinceMs`. */
  readSince(accountIds: readonly string[], sinceMs: number): boolean;
  /** Stores the fresh reads of one Acquire, made at `readAtMs`: the accounts read replace what was known of them. */
  remember(reads: {
    readAtMs: number;
    accountIds: readonly string[];
    active: ReadonlyMap<string, number>;
    conditions: ReadonlyMap<string, AccountCondition> | undefined;
    sessionHash: string;
    stickyAccountId: string | undefined;
  }): void;
  /** Records the account a session was just bound to. */
  bound(sessionHash: string, accountId: string): void;
}

const DEFAULT_MAX_SESSIONS = 10_000;

/** An empty store holding at most `maxSessions` sticky bindings. */
export function createLastReads(maxSessions = DEFAULT_MAX_SESSIONS): LastReads {
  const active = new Map<string, number>();
  const conditions = new Map<string, AccountCondition>();
  const readAt = new Map<string, number>();
  const sessions = new Map<string, string>();

  function setSticky(sessionHash: string, accountId: string | undefined): void {
    sessions.delete(sessionHash);
    if (accountId === undefined) return;
    sessions.set(sessionHash, accountId);
    if (sessions.size > maxSessions) sessions.delete(sessions.keys().next().value as string);
  }

  return {
    active,
    conditions,
    sticky: (sessionHash) => sessions.get(sessionHash),
    readHealthy(accountId) {
      if (!readAt.has(accountId)) return false;
      const condition = conditions.get(accountId);
      return condition === undefined || (condition.health.status === "healthy" && !condition.probeInFlight);
    },
    readSince: (accountIds, sinceMs) => accountIds.every((id) => (readAt.get(id) ?? Number.NEGATIVE_INFINITY) >= sinceMs),
    remember(reads) {
      for (const id of reads.accountIds) {
        readAt.set(id, reads.readAtMs);
        active.set(id, reads.active.get(id) ?? 0);
        const condition = reads.conditions?.get(id);
        if (condition) conditions.set(id, condition);
        else conditions.delete(id);
      }
      if (reads.sessionHash) setSticky(reads.sessionHash, reads.stickyAccountId);
    },
    bound(sessionHash, accountId) {
      if (sessionHash) setSticky(sessionHash, accountId);
    },
  };
}
