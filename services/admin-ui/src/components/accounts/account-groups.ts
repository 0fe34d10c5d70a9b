import type { Account } from "@claude-relay/proto/admin";

/** The scheduling groups in use among `accounts`, sorted, without the empty "no group". */
export function groupsOf(accounts: readonly Pick<Account, "group">[]): string[] {
  return [...new Set(accounts.map((account) => account.group).filter((group) => group !== ""))].sort((a, b) => a.localeCompare(b));
}
