/**
 * What the admin's queue view shows, read from the wait queue, the accounts
 * and the keys: each line with its waiters now, how long its first in turn
 * has waited and the accounts that can serve it; and per key and per account
 * a summary of its last waits (wait-stats.ts). Reading a line also drops
 * waiters nobody renews any more (wait-queue.ts), so the count is live.
 * Which accounts serve a line follows acquire-lease: schedulable, of the
 * line's platform and account types, inside its binding.
 */
import type { AccountRecord } from "../accounts/account-store.js";
import { isInBinding, type PickCandidate } from "../accounts/pick-account.js";
import type { ApiKeyRecord } from "../keys/api-key-store.js";
import { isAccountType, platformOf } from "../providers/account-types.js";
import type { WaitGroup } from "./wait-group.js";
import type { WaitQueue } from "./wait-queue.js";
import { summarizeWaits, type WaitSummary } from "./wait-stats.js";

/** One line as the view shows it. */
export interface GroupView {
  group: WaitGroup;
  waiting: number;
  /** How long the first in turn has waited, ms; 0 when nobody waits. */
  oldestWaitMs: number;
  /** The accounts that can serve the line's waiters. */
  accountIds: string[];
}

/** The waits of one key or account. */
export interface WaitStatsView extends WaitSummary {
  id: string;
  name: string;
}

/** The whole view. */
export interface QueueView {
  /** Every line described so far, the most waiters first. */
  groups: GroupView[];
  /** Keys with recorded waits, the longest p99 first. */
  keys: WaitStatsView[];
  /** Accounts with recorded waits, the longest p99 first. */
  accounts: WaitStatsView[];
}

/** Dependencies of readQueueView. */
export interface QueueViewDeps {
  queue: Pick<WaitQueue, "groups" | "renew" | "waitTimes">;
  accounts: { list(): Promise<AccountRecord[]> };
  apiKeys: { list(): Promise<ApiKeyRecord[]> };
  now?: () => number;
}

/** True when `account` can serve the waiters of `group`. */
export function servesGroup(account: PickCandidate & Pick<AccountRecord, "type">, group: WaitGroup): boolean {
  if (!account.schedulable || !isAccountType(account.type) || platformOf(account.type) !== group.platform) return false;
  if (group.accountTypes.length > 0 && !group.accountTypes.includes(account.type)) return false;
  return isInBinding(account, { accountId: group.accountId, group: group.group });
}

/** Reads the view now. */
export async function readQueueView({ queue, accounts, apiKeys, now = Date.now }: QueueViewDeps): Promise<QueueView> {
  const [described, accountList, keyList] = await Promise.all([queue.groups(), accounts.list(), apiKeys.list()]);
  const groups = await Promise.all(
    described.map(async (group): Promise<GroupView> => {
      // Renewing no waiters of our own only prunes the line and reads it.
      const { waiters, oldestJoinedAtMs } = await queue.renew(group.id, []);
      return {
        group,
        waiting: waiters,
        oldestWaitMs: waiters > 0 && oldestJoinedAtMs !== undefined ? Math.max(0, now() - oldestJoinedAtMs) : 0,
        accountIds: accountList.filter((account) => servesGroup(account, group)).map((account) => account.id),
      };
    }),
  );
  groups.sort((a, b) => b.waiting - a.waiting || a.group.name.localeCompare(b.group.name));
  const [keys, accountStats] = await Promise.all([
    statsOf(queue, "key", keyList),
    statsOf(queue, "account", accountList),
  ]);
  return { groups, keys, accounts: accountStats };
}

async function statsOf(queue: QueueViewDeps["queue"], owner: "key" | "account", owners: readonly { id: string; name: string }[]): Promise<WaitStatsView[]> {
  const stats = await Promise.all(
    owners.map(async ({ id, name }) => {
      const summary = summarizeWaits(await queue.waitTimes(owner, id));
      return summary ? [{ id, name, ...summary }] : [];
    }),
  );
  return stats.flat().sort((a, b) => b.p99Ms - a.p99Ms || a.name.localeCompare(b.name));
}
