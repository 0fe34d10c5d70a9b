/**
 * Where an API key may be served, as the admin API reads and shows it: its
 * dedicated binding, one account (`bound_account_id`) or one group
 * (`bound_group`), never both; the platforms it may use (`platforms`, empty
 * for all); and per platform a group that replaces the binding there
 * (`platform_groups`). A bound account must exist when the binding is set; a
 * group may be empty for now (its accounts can come later).
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Platform, type ApiKeySchema, type PlatformGroup } from "@claude-relay/proto/admin";
import type { AccountStore } from "../../accounts/account-store.js";
import type { ApiKeyRecord } from "../../keys/api-key-store.js";
import type { PlatformGroups } from "../../keys/key-settings.js";
import { PLATFORMS, type PlatformName } from "../../providers/account-types.js";
import { platformFromProto, platformToProto } from "../../providers/platform-proto.js";
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

/** The platforms of a list, each named once; UNSPECIFIED and values this version does not know are refused. */
export function checkPlatforms(field: string, platforms: readonly Platform[]): PlatformName[] {
  const named = new Set(platforms.map((value, i) => checkPlatform(`${field}[${i}]`, value)));
  return PLATFORMS.filter((p) => named.has(p));
}

/** The groups of a platform_groups list, at most one per platform; an empty group means the key's binding applies there, so it is left out. */
export function checkPlatformGroups(field: string, groups: readonly Pick<PlatformGroup, "platform" | "group">[]): PlatformGroups {
  const out: PlatformGroups = {};
  const seen = new Set<PlatformName>();
  groups.forEach((entry, i) => {
    const platform = checkPlatform(`${field}[${i}].platform`, entry.platform);
    if (seen.has(platform)) throw invalidArgument(`${field}[${i}].platform`, `names ${platform} a second time (one group per platform)`);
    seen.add(platform);
    const group = checkGroupName(`${field}[${i}].group`, entry.group);
    if (group !== "") out[platform] = group;
  });
  return out;
}

/** The binding and platform fields of an ApiKey message. */
export function toBindingFields(record: ApiKeyRecord): KeyBinding & Pick<MessageInitShape<typeof ApiKeySchema>, "platforms" | "platformGroups"> {
  return {
    boundAccountId: record.boundAccountId ?? "",
    boundGroup: record.boundGroup ?? "",
    platforms: (record.platforms ?? []).flatMap((p) => (PLATFORMS.includes(p) ? [platformToProto(p)] : [])),
    platformGroups: PLATFORMS.flatMap((platform) => {
      const group = record.platformGroups?.[platform] ?? "";
      return group === "" ? [] : [{ platform: platformToProto(platform), group }];
    }),
  };
}

function checkPlatform(field: string, value: Platform): PlatformName {
  const platform = value === Platform.UNSPECIFIED ? undefined : platformFromProto(value);
  if (platform === undefined) throw invalidArgument(field, `must be one of ${PLATFORMS.map((p) => `PLATFORM_${p.toUpperCase()}`).join(", ")}, got ${value}`);
  return platform;
}
