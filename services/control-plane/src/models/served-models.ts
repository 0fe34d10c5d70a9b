/**
 * The models one client key may use, pure: every priced model (the price
 * tables list the models the pool serves) on the platforms the key may use
 * and allowed by its model patterns, plus every alias whose target the key
 * may use, under the alias's name. Whether the key may be used at all is
 * key-policy's (checkKeyUsable), checked before this.
 */
import { isModelAllowed, isPlatformAllowed } from "../keys/key-policy.js";
import type { ApiKeyRecord } from "../keys/api-key-store.js";
import type { PlatformName } from "../providers/account-types.js";
import { byName, platformOfModel, type ModelAliasRecord } from "./model-alias.js";

/** A model a key may use. */
export interface ServedModelEntry {
  /** The name clients send: a model id, or an alias. */
  id: string;
  platform: PlatformName;
  /** The model sent upstream: id itself, or the model an alias stands for. */
  upstreamModel: string;
}

/** The models `key` may use among `listed` model ids and `aliases`, sorted by id. */
export function servedModels(
  key: Pick<ApiKeyRecord, "platforms" | "allowedModels">,
  listed: Iterable<string>,
  aliases: readonly ModelAliasRecord[],
): ServedModelEntry[] {
  const mayUse = (model: string, platform: PlatformName) => isPlatformAllowed(key, platform) && isModelAllowed(key.allowedModels, model);
  const served: ServedModelEntry[] = [];
  for (const id of listed) {
    const platform = platformOfModel(id);
    if (platform !== undefined && mayUse(id, platform)) served.push({ id, platform, upstreamModel: id });
  }
  for (const { alias, targetModel, platform } of aliases) {
    if (mayUse(targetModel, platform)) served.push({ id: alias, platform, upstreamModel: targetModel });
  }
  return served.sort((a, b) => byName(a.id, b.id));
}
