/** The price list's search: by a part of the model name and by platform. Pure. */
import type { ModelPrice } from "@claude-relay/proto/admin";
import { platformId, type PlatformId } from "../platforms/platforms.js";

/** The prices whose model holds `query` (any case) and, unless "all", whose platform is `platform`. */
export function filterPrices(prices: readonly ModelPrice[], query: string, platform: PlatformId | "all"): ModelPrice[] {
  const needle = query.trim().toLowerCase();
  return prices.filter((price) => (needle === "" || price.model.includes(needle)) && (platform === "all" || platformId(price.platform) === platform));
}

/** How many prices each platform choice holds. */
export function platformCounts(prices: readonly ModelPrice[]): Partial<Record<PlatformId | "all", number>> {
  const counts: Partial<Record<PlatformId | "all", number>> = { all: prices.length };
  for (const price of prices) {
    const id = platformId(price.platform);
    if (id) counts[id] = (counts[id] ?? 0) + 1;
  }
  return counts;
}
