/**
 * The models one client key may use, pure: every listed model (the price
 * tables list the models the pool serves) on the platforms the key may use
 * and allowed by its model patterns, plus every alias whose target the key
 * may use, under the alias's name. An alias named like a listed model
 * ("gpt-4o" standing for a Claude model) replaces it: the alias wins for its
 * name. Which models are listed at all is poolModels' (below). Whether the
 * key may be used at all is key-policy's (checkKeyUsable), checked before
 * this.
 */
import { isModelAllowed, isPlatformAllowed } from "../keys/key-policy.js";
import type { ApiKeyRecord } from "../keys/api-key-store.js";
import { isAccountType, platformOf, type AccountType, type PlatformName } from "../providers/account-types.js";
import { byName, platformOfModel, type ModelAliasRecord } from "./model-alias.js";

/** A model a key may use. */
export interface ServedModelEntry {
  /** The name clients send: a model id, or an alias. */
  id: string;
  platform: PlatformName;
  /** The model sent upstream: id itself, or the model an alias stands for. */
  upstreamModel: string;
}

/** The fields of an account poolModels reads. */
export interface PoolAccount {
  type: AccountType;
  schedulable: boolean;
  /** Models the account may serve; empty means all; an entry ending in "*" is a pattern. */
  allowedModels: readonly string[];
}

/**
 * Platforms whose models are listed only while the pool can serve them. OpenAI's names ("gpt-4o") were
 * alias names before the platform existed, so listing them with no OpenAI account would offer a client
 * models that can only be refused.
 */
const LISTED_BY_POOL: ReadonlySet<PlatformName> = new Set(["openai"]);

/**
 * The model ids to list: the priced ids of every platform, except that a LISTED_BY_POOL platform's are
 * listed only when a schedulable account of it may serve them, with the exact names (not patterns) its
 * accounts allow, priced or not.
 */
export function poolModels(priced: Iterable<string>, accounts: readonly PoolAccount[]): string[] {
  const serving = accounts.filter((a) => a.schedulable && isAccountType(a.type) && LISTED_BY_POOL.has(platformOf(a.type)));
  const ids = new Set<string>();
  for (const id of priced) {
    const platform = platformOfModel(id);
    if (platform === undefined) continue;
    if (!LISTED_BY_POOL.has(platform)) ids.add(id);
    else if (serving.some((a) => platformOf(a.type) === platform && isModelAllowed(a.allowedModels, id))) ids.add(id);
  }
  for (const account of serving) {
    for (const name of account.allowedModels) if (!name.endsWith("*") && platformOfModel(name) === platformOf(account.type)) ids.add(name);
  }
  return [...ids];
}

/** The models `key` may use among `listed` model ids and `aliases`, sorted by id. */
export function servedModels(
  key: Pick<ApiKeyRecord, "platforms" | "allowedModels">,
  listed: Iterable<string>,
  aliases: readonly ModelAliasRecord[],
): ServedModelEntry[] {
  const mayUse = (model: string, platform: PlatformName) => isPlatformAllowed(key, platform) && isModelAllowed(key.allowedModels, model);
  const aliased = new Set(aliases.map((a) => a.alias));
  const served: ServedModelEntry[] = [];
  for (const id of listed) {
    const platform = platformOfModel(id);
    if (platform !== undefined && !aliased.has(id) && mayUse(id, platform)) served.push({ id, platform, upstreamModel: id });
  }
  for (const { alias, targetModel, platform } of aliases) {
    if (mayUse(targetModel, platform)) served.push({ id: alias, platform, upstreamModel: targetModel });
  }
  return served.sort((a, b) => byName(a.id, b.id));
}
