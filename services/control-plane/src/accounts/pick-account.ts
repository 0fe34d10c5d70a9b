/**
 * Account selection, pure. Given the candidates, the session's sticky account,
 * the accounts to avoid and the leases each holds, it names the account to try:
 * the sticky one while it is schedulable, not excluded and has room; otherwise
 * the schedulable, non-excluded account with room that has the lowest priority
 * number, then the fewest active leases, then the oldest last use. Taking the
 * slot (which can still lose a race) and moving the binding are the caller's.
 */

/** The fields of an account the choice depends on. */
export interface PickCandidate {
  id: string;
  priority: number;
  /** 0 means unlimited. */
  maxConcurrentTasks: number;
  schedulable: boolean;
  lastUsedAtMs: number;
}

/** Input of pickAccount. */
export interface PickInput<A extends PickCandidate> {
  candidates: readonly A[];
  /** The account the session is bound to, if any. */
  stickyAccountId?: string | undefined;
  /** Accounts not to pick (tried already, or lost a race). */
  exclude?: ReadonlySet<string>;
  /** Leases held per account now; missing means 0. */
  active: ReadonlyMap<string, number>;
}

/** The account to try, or why there is none. */
export type PickResult<A extends PickCandidate> =
  | { ok: true; account: A; /** True when the session's sticky account was kept. */ sticky: boolean }
  | { ok: false; /** "full": some account could run it but all are at their limit. */ reason: "full" | "none" };

/** True when the account can take one more lease. */
export function hasRoom(account: PickCandidate, active: number): boolean {
  return account.maxConcurrentTasks === 0 || active < account.maxConcurrentTasks;
}

/** Picks the account for one attempt. */
export function pickAccount<A extends PickCandidate>(input: PickInput<A>): PickResult<A> {
  const { candidates, stickyAccountId, exclude, active } = input;
  const usable = candidates.filter((a) => a.schedulable && !exclude?.has(a.id));
  const open = usable.filter((a) => hasRoom(a, active.get(a.id) ?? 0));
  if (open.length === 0) return { ok: false, reason: usable.length > 0 ? "full" : "none" };
  const sticky = stickyAccountId === undefined ? undefined : open.find((a) => a.id === stickyAccountId);
  if (sticky) return { ok: true, account: sticky, sticky: true };
  let best = open[0] as A;
  for (const account of open) if (isBetter(account, best, active)) best = account;
  return { ok: true, account: best, sticky: false };
}

function isBetter(a: PickCandidate, b: PickCandidate, active: ReadonlyMap<string, number>): boolean {
  if (a.priority !== b.priority) return a.priority < b.priority;
  const activeA = active.get(a.id) ?? 0;
  const activeB = active.get(b.id) ?? 0;
  if (activeA !== activeB) return activeA < activeB;
  return a.lastUsedAtMs < b.lastUsedAtMs;
}
