/**
 * Account health changes as notification events. healthNoticeOf is the pure
 * rule, over the state the health script read before the event: a block
 * reports the state the account entered (not one it was already in), and an
 * event that leaves the account healthy reports a recovery from the state it
 * left (a refresh that lifted unauthorized, an admin's reset, a probe that
 * closed the breaker). Only one script call makes each transition, so each is
 * reported once, by the replica that made it. A timed state (rate-limited,
 * overloaded) ends by itself, with no event at all: its end is handed to the
 * recovery watch (recovery-watch.ts), which reports it through
 * createTimedRecoveryNotices. createHealthNotices wires the rule to the health
 * store's onChange, naming the account from the catalog.
 */
import type { HealthChange } from "../accounts/health-store.js";
import type { AccountRecord } from "../accounts/account-store.js";
import { platformOf } from "../providers/account-types.js";
import { safeReason, type AccountRef, type BlockEventType, type NotificationEvent } from "./notification-event.js";

/** What a change is worth reporting as, before the account is named. */
export type HealthNotice = { type: BlockEventType; reason: string; untilMs: number } | { type: "account.recovered"; from: string };

const BLOCK_TYPES: Readonly<Record<string, BlockEventType>> = {
  rate_limited: "account.rate_limited",
  overloaded: "account.overloaded",
  unauthorized: "account.unauthorized",
  banned: "account.banned",
};

/** The states that end by themselves at their untilMs. */
export type TimedStatus = "rate_limited" | "overloaded";

/** The notice a health change is worth at nowMs, if any. */
export function healthNoticeOf(change: HealthChange, nowMs: number): HealthNotice | undefined {
  const { event, status, previous } = change;
  const before = isInForce(previous, nowMs) ? previous.status : "healthy";
  if (event.kind === "block") {
    const type = BLOCK_TYPES[event.status];
    if (type === undefined || status !== event.status || before === status) return undefined;
    return { type, reason: safeReason(event.reason), untilMs: event.untilMs };
  }
  if (status === "healthy" && before !== "healthy") return { type: "account.recovered", from: before };
  return undefined;
}

/** The timed state a change leaves the account in, and until when, for the recovery watch; undefined for any other. */
export function timedStateOf(change: HealthChange): { status: TimedStatus; untilMs: number } | undefined {
  const { event, status } = change;
  // A block that did not take (a shorter one, or one under unauthorized) leaves the stored end as it was, already watched.
  if (event.kind !== "block" || event.status !== status || event.untilMs <= 0) return undefined;
  return status === "rate_limited" || status === "overloaded" ? { status, untilMs: event.untilMs } : undefined;
}

/** A stored state still holds: unauthorized and banned until lifted, an open breaker until it closes, the others until their time. */
function isInForce(state: { status: string; untilMs: number }, nowMs: number): boolean {
  if (state.status === "healthy") return false;
  if (state.untilMs === 0 || state.status === "circuit_open") return true;
  return state.untilMs > nowMs;
}

/** Options of createHealthNotices. */
export interface HealthNoticesOptions {
  emit: (event: NotificationEvent) => void;
  /** The account, from the per-replica catalog. */
  findAccount: (accountId: string) => Promise<Pick<AccountRecord, "id" | "name" | "type"> | undefined>;
  /** Told of each timed state an account enters, so its end is reported. */
  watchRecovery?: (accountId: string, untilMs: number) => void;
  now?: () => number;
  onError?: (err: unknown) => void;
}

/** The health store's onChange: emits an event for each change worth one. */
export function createHealthNotices(options: HealthNoticesOptions): (change: HealthChange) => void {
  const now = options.now ?? Date.now;
  return (change) => {
    const atMs = now();
    const timed = timedStateOf(change);
    if (timed) options.watchRecovery?.(change.accountId, timed.untilMs);
    const notice = healthNoticeOf(change, atMs);
    if (!notice) return;
    accountRef(options, change.accountId)
      .then((account) => options.emit({ ...notice, atMs, account }))
      .catch((err: unknown) => options.onError?.(err));
  };
}

/** The recovery watch's onRecovered: emits account.recovered for a timed state that ran out. */
export function createTimedRecoveryNotices(options: HealthNoticesOptions): (accountId: string, from: TimedStatus) => void {
  const now = options.now ?? Date.now;
  return (accountId, from) => {
    const atMs = now();
    accountRef(options, accountId)
      .then((account) => options.emit({ type: "account.recovered", atMs, account, from }))
      .catch((err: unknown) => options.onError?.(err));
  };
}

/** The OAuth refresher's onFailure: emits oauth.refresh_failed, naming the account from the catalog. */
export function createRefreshFailureNotices(options: HealthNoticesOptions): (accountId: string, reason: string) => void {
  const now = options.now ?? Date.now;
  return (accountId, reason) => {
    const atMs = now();
    accountRef(options, accountId)
      .then((account) => options.emit({ type: "oauth.refresh_failed", atMs, account, reason: safeReason(reason) }))
      .catch((err: unknown) => options.onError?.(err));
  };
}

/** The account as events name it; an id only when the catalog does not know it. */
async function accountRef(options: Pick<HealthNoticesOptions, "findAccount">, accountId: string): Promise<AccountRef> {
  const record = await options.findAccount(accountId);
  return { id: accountId, name: record?.name ?? "", platform: record ? platformOf(record.type) : "" };
}
