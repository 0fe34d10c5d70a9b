/**
 * The ListModels flow: key lookup → whether the key may be used at all (as on
 * Acquire; KEY_INVALID otherwise) → the models the pool lists (poolModels:
 * OpenAI's only while OpenAI accounts can serve them) → the ones the key may
 * use (servedModels). The key, the accounts and the alias table come from the
 * catalog, cached per replica (cache/cached-catalog.ts), so a warm call costs
 * no Redis round trip. The priced models are read once, when the flow is
 * built. Refusals are values.
 */
import { checkKeyUsable } from "../keys/key-policy.js";
import type { LeaseCatalog } from "../leases/acquire-lease.js";
import { refuse, type Refusal } from "../leases/refusal.js";
import type { PriceTable } from "../usage/pricing.js";
import type { ModelAliasCatalog } from "./model-alias.js";
import { poolModels, servedModels, type ServedModelEntry } from "./served-models.js";

/** The models a key may use, or a refusal. */
export type ListModelsResult = { ok: true; models: ServedModelEntry[] } | Refusal;

/** Dependencies of createListModels. */
export interface ListModelsDeps {
  catalog: Pick<LeaseCatalog, "findKeyByHash" | "listAccounts"> & ModelAliasCatalog;
  /** The price tables; their models are the ones the pool serves. */
  prices: Pick<PriceTable, "models">;
  now?: () => number;
}

/** Builds the ListModels flow. */
export function createListModels(deps: ListModelsDeps): (keyHash: string) => Promise<ListModelsResult> {
  const { catalog } = deps;
  const now = deps.now ?? Date.now;
  const listed = [...deps.prices.models.keys()];
  return async function listModels(keyHash) {
    const [key, aliases, accounts] = await Promise.all([catalog.findKeyByHash(keyHash), catalog.listModelAliases(), catalog.listAccounts()]);
    const usable = checkKeyUsable(key, now());
    if (!usable.ok || key === undefined) return refuse("KEY_INVALID", usable.ok ? "invalid x-api-key" : usable.message);
    return { ok: true, models: servedModels(key, poolModels(listed, accounts), aliases) };
  };
}
