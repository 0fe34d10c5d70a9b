/**
 * The wait-for-a-slot queue as the Accounts page shows it, pure: how many
 * requests wait for each account (every line it serves counts in full, so a
 * waiter that two accounts could serve shows on both), the lines that hold
 * anyone, and wait times as people read them.
 */
import type { WaitGroup } from "@claude-relay/proto/admin";
import { formatDuration, type Translate } from "../../i18n/format-duration.js";

/** Per account id, the waiters of every line it serves; accounts without waiters are left out. */
export function waitingByAccount(groups: readonly WaitGroup[]): Map<string, number> {
  const waiting = new Map<string, number>();
  for (const group of groups) {
    if (group.waiting <= 0) continue;
    for (const id of new Set(group.accountIds)) waiting.set(id, (waiting.get(id) ?? 0) + group.waiting);
  }
  return waiting;
}

/** The lines with anyone waiting, the most waiters first. */
export function groupsWithWaiters(groups: readonly WaitGroup[]): WaitGroup[] {
  return groups.filter((group) => group.waiting > 0).sort((a, b) => b.waiting - a.waiting || a.name.localeCompare(b.name));
}

/** A wait: "850 ms" below a second, "2.5 s" below a minute, then "1 min 05 s" and up. */
export function formatWait(ms: number, t: Translate, locale: string): string {
  if (ms < 1_000) return t("waitQueue.ms", { ms: Math.max(0, Math.round(ms)) });
  if (ms < 60_000) return t("duration.seconds", { s: new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(ms / 1_000) });
  return formatDuration(ms, t);
}
