/**
 * This replica's copy of the price table, for the usage recorder: loaded from
 * the price store, kept in memory, dropped by every price change announced on
 * the invalidation channel (cache/invalidation.ts) and served only while the
 * channel is live, as the catalog cache does (cache/cached-catalog.ts). So a
 * price set on any replica prices the next request on every replica, and a
 * warm Release costs no Redis command for its price.
 *
 * A load that overlaps a change is handed to its callers but not kept (a
 * generation, bumped by each change, must not have moved meanwhile).
 * Concurrent loads are shared. Entries older than maxAgeMs are loaded again, a
 * safety net for a missed message.
 */
import type { CacheInvalidation } from "../cache/invalidation.js";
import type { PriceTable } from "./pricing.js";

/** The table as the usage recorder reads it. */
export interface LivePrices {
  /** The table when this replica's copy may be used now; undefined when it must be loaded. */
  peek(): PriceTable | undefined;
  /** The table, loaded when this replica's copy may not be used. */
  current(): Promise<PriceTable>;
}

/** A price book, plus stop() to detach it from the invalidation channel. */
export interface PriceBook extends LivePrices {
  stop(): void;
}

/** Options of createPriceBook. */
export interface PriceBookOptions {
  /** Reads the whole table (PriceStore.table). */
  load: () => Promise<PriceTable>;
  invalidation: Pick<CacheInvalidation, "live" | "onInvalidate">;
  /** Default 30 s. */
  maxAgeMs?: number;
  now?: () => number;
}

/** Builds this replica's price book. */
export function createPriceBook(options: PriceBookOptions): PriceBook {
  const { load, invalidation } = options;
  const now = options.now ?? Date.now;
  const maxAgeMs = options.maxAgeMs ?? 30_000;
  let entry: { table: PriceTable; loadedAtMs: number } | undefined;
  let loading: Promise<PriceTable> | undefined;
  let generation = 0;

  const stop = invalidation.onInvalidate((change) => {
    if (change !== "all" && change.kind !== "price") return;
    generation++;
    entry = undefined;
    loading = undefined;
  });

  const peek = (): PriceTable | undefined => (invalidation.live && entry && now() - entry.loadedAtMs < maxAgeMs ? entry.table : undefined);

  return {
    peek,

    current() {
      const table = peek();
      if (table) return Promise.resolve(table);
      if (!invalidation.live) return load();
      if (loading) return loading;
      const started = generation;
      const promise = load().then((loaded) => {
        if (generation === started && invalidation.live) entry = { table: loaded, loadedAtMs: now() };
        return loaded;
      });
      loading = promise;
      const cleanup = () => {
        if (loading === promise) loading = undefined;
      };
      promise.then(cleanup, cleanup);
      return promise;
    },

    stop,
  };
}
