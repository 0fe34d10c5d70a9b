/**
 * The dedicated binding of an API key, as the admin API reads and shows it:
 * one account (`bound_account_id`) or one group (`bound_group`), never both.
 * A bound account must exist when the binding is set; a group may be empty
 * for now (its accounts can come later).
 */
import type { AccountStore } from "../../accounts/account-store.js";
import type { ApiKeyRecord } from "../../keys/api-key-store.js";
import { checkGroupName, invalidArgument } from "./field-checks.js";

/** A key's binding; both "" means the whole pool. */
export interface KeyBinding {
  boundAccountId: string;
  boundGroup: string;
}

/** Checks the binding fields of a request; `accounts` (when given) confirms that a bound account exists. */
export async function checkKeyBinding(
  fields: { boundAccountId: string; boundGroup: string },
  accounts?: Pick<AccountStore, "get">,
): Promise<KeyBinding> {
  const boundAccountId = fields.boundAccountId.trim();
  const boundGroup = checkGroupName("bound_group", fields.boundGroup);
  if (boundAccountId !== "" && boundGroup !== "") throw invalidArgument("bound_group", "must be empty when bound_account_id is set (bind to an account or a group, not both)");
  if (boundAccountId !== "" && accounts && (await accounts.get(boundAccountId)) === undefined) throw invalidArgument("bound_account_id", "names no account");
  return { boundAccountId, boundGroup };
}

/** The binding fields of an ApiKey message. */
export function toBindingFields(record: ApiKeyRecord): KeyBinding {
  return { boundAccountId: record.boundAccountId ?? "", boundGroup: record.boundGroup ?? "" };
}
