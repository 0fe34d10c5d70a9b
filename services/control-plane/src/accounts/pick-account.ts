/**
 * Account selection, pure. Given the candidates, the session's sticky account,
 * the accounts to avoid, the leases each holds and each account's condition
 * (health and subscription windows), it names the account to try.
 *
 * An account is in play when it is schedulable, not excluded, inside the API
 * key's binding (one account or one group), allowed to serve the model, and
 * usable now: not rate-limited, overloaded, unauthorized, banned or circuit-open, not
 * half-open with its probe already running, and no window the upstream said is
 * exhausted. Among those with room, the sticky account is kept; otherwise the
 * lowest priority number wins; among equals, an account with headroom beats
 * one near a window's end (a window ≥ 90% used or said "rejected", Claude's
 * 5h/7d and Codex's primary/secondary alike: rate-limit-headers' isNearEnd),
 * so the near one is passed over until every other is near too; then the
 * most headroom (lowest window utilization), then the fewest active leases,
 * then the oldest last use.
 * Taking the slot (which can still lose a race), claiming a probe and moving
 * the binding are the caller's.
 */
import { isModelAllowed } from "../keys/key-policy.js";
import { availability, type AccountCondition } from "./account-health.js";

/** The fields of an account the choice depends on. */
export interface PickCandidate {
  id: string;
  priority: number;
  /** 0 means unlimited. */
  maxConcurrentTasks: number;
  schedulable: boolean;
  lastUsedAtMs: number;
  /** Scheduling group; "" or absent for none. */
  group?: string;
  /** Models the account may serve; empty or absent means all. */
  allowedModels?: readonly string[];
}

/** Where a bound API key may be served: one account, or the accounts of one group. */
export interface PickBinding {
  accountId?: string;
  group?: string;
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
  /** The requested model; when given, accounts that may not serve it are out. */
  model?: string;
  /** The API key's binding; absent means the whole pool. */
  binding?: PickBinding;
  /** Health and windows per account; missing means healthy with no windows. */
  conditions?: ReadonlyMap<string, AccountCondition>;
  /** The time conditions are read at. */
  nowMs?: number;
}

/** The account to try, or why there is none. */
export type PickResult<A extends PickCandidate> =
  | {
      ok: true;
      account: A;
      /** True when the session's sticky account was kept. */
      sticky: boolean;
      /** True when this request is the probe of a half-open breaker (claim it before use). */
      probe: boolean;
    }
  | {
      ok: false;
      /** "full": some account could run it but all are at their limit; "none": none can run it now. */
      reason: "full" | "none";
      /** ms until the earliest account that is out for its health or windows can be used again, when knowable. */
      retryAfterMs?: number;
    };

/** True when the account can take one more lease. */
export function hasRoom(account: PickCandidate, active: number): boolean {
  return account.maxConcurrentTasks === 0 || active < account.maxConcurrentTasks;
}

/** True when the account is inside the binding (everything is inside no binding). */
export function isInBinding(account: PickCandidate, binding: PickBinding | undefined): boolean {
  if (binding?.accountId) return account.id === binding.accountId;
  if (binding?.group) return (account.group ?? "") === binding.group;
  return true;
}

/** Picks the account for one attempt. */
export function pickAccount<A extends PickCandidate>(input: PickInput<A>): PickResult<A> {
  const { candidates, stickyAccountId, exclude, active, model, binding, conditions } = input;
  const nowMs = input.nowMs ?? 0;
  const inScope = candidates.filter(
    (a) => a.schedulable && !exclude?.has(a.id) && isInBinding(a, binding) && (model === undefined || isModelAllowed(a.allowedModels ?? [], model)),
  );
  const usable: Option<A>[] = [];
  let usableAgainAt: number | undefined;
  for (const account of inScope) {
    const state = availability(conditions?.get(account.id), nowMs);
    if (state.usable) usable.push({ account, probe: state.probe, utilization: state.utilization, nearEnd: state.nearEnd });
    else if (state.untilMs > nowMs) usableAgainAt = Math.min(usableAgainAt ?? Number.POSITIVE_INFINITY, state.untilMs);
  }
  const open = usable.filter((u) => hasRoom(u.account, active.get(u.account.id) ?? 0));
  if (open.length === 0) {
    const retryAfterMs = usableAgainAt === undefined ? undefined : usableAgainAt - nowMs;
    return { ok: false, reason: usable.length > 0 ? "full" : "none", ...(retryAfterMs !== undefined && { retryAfterMs }) };
  }
  const sticky = stickyAccountId === undefined ? undefined : open.find((u) => u.account.id === stickyAccountId);
  if (sticky) return { ok: true, account: sticky.account, sticky: true, probe: sticky.probe };
  let best = open[0] as (typeof open)[number];
  for (const option of open) if (isBetter(option, best, active)) best = option;
  return { ok: true, account: best.account, sticky: false, probe: best.probe };
}

/** A usable account and how its windows stand. */
interface Option<A extends PickCandidate> {
  account: A;
  probe: boolean;
  utilization: number;
  nearEnd: boolean;
}

function isBetter(a: Option<PickCandidate>, b: Option<PickCandidate>, active: ReadonlyMap<string, number>): boolean {
  if (a.account.priority !== b.account.priority) return a.account.priority < b.account.priority;
  if (a.nearEnd !== b.nearEnd) return !a.nearEnd;
  if (a.utilization !== b.utilization) return a.utilization < b.utilization;
  const activeA = active.get(a.account.id) ?? 0;
  const activeB = active.get(b.account.id) ?? 0;
  if (activeA !== activeB) return activeA < activeB;
  return a.account.lastUsedAtMs < b.account.lastUsedAtMs;
}
