/**
 * Which line a waiting request stands in. Requests that the same accounts
 * could serve wait together: one line per platform and key binding (the
 * shared pool, a group, or one dedicated account), and per set of account
 * types when the request names some. Keys bound alike share a line, so the
 * first to come is the first served whichever key it holds.
 */
import { createHash } from "node:crypto";
import type { AccountType, PlatformName } from "../providers/account-types.js";
import type { KeyBinding } from "../keys/key-policy.js";

/** A line of waiters, with what the admin's queue view needs to name it and find its accounts. */
export interface WaitGroup {
  /** Short and safe inside a Redis hash tag. */
  id: string;
  /** "claude/pool", "openai/group:team-a", "gemini/account:acc_1", with "+types" when limited to some. */
  name: string;
  platform: PlatformName;
  /** The dedicated account, or "". */
  accountId: string;
  /** The account group, or "". */
  group: string;
  /** Only accounts of these types serve it; empty for any. */
  accountTypes: AccountType[];
}

/** The line of a request on `platform` by a key bound as `binding`, limited to `accountTypes` when not empty. */
export function waitGroupOf(platform: PlatformName, binding: KeyBinding, accountTypes: readonly AccountType[] = []): WaitGroup {
  const scope = binding.accountId ? `account:${binding.accountId}` : binding.group ? `group:${binding.group}` : "pool";
  const types = [...new Set(accountTypes)].sort();
  const name = `${platform}/${scope}${types.length > 0 ? `+${types.join(",")}` : ""}`;
  return {
    id: createHash("sha256").update(name).digest("base64url").slice(0, 16),
    name,
    platform,
    accountId: binding.accountId,
    group: binding.accountId ? "" : binding.group,
    accountTypes: types,
  };
}
