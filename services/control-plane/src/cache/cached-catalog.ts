/**
 * The hot path's catalog, cached per replica: API keys by hash (misses too),
 * the account list, decrypted credentials, and the model alias table when the
 * source has one (ListModels reads it). Entries are dropped by the
 * invalidation channel (cache/invalidation.ts) and served only while it is
 * live; otherwise every read goes to the source. What must be exact (leases,
 * windows, sticky bindings, health) is never read through here.
 *
 * A load that overlaps an invalidation is handed to its caller but not kept:
 * each kind has a generation, bumped by every invalidation of that kind, and
 * a load stores its result only if the generation did not move meanwhile.
 * Concurrent misses on one entry share one load.
 *
 * Account records are cached as loaded, so `lastUsedAtMs` (stamped in Redis
 * on every grant, never announced) is as old as the entry; it only breaks ties
 * between accounts with equal priority and equal live lease counts.
 */
import { Counter, type Registry } from "@claude-relay/metrics";
import type { AccountCredential, AccountRecord } from "../accounts/account-store.js";
import type { ApiKeyRecord } from "../keys/api-key-store.js";
import type { LeaseCatalog } from "../leases/acquire-lease.js";
import type { ModelAliasCatalog, ModelAliasRecord } from "../models/model-alias.js";
import type { CacheInvalidation, Invalidation } from "./invalidation.js";

/** Options of createCachedCatalog. */
export interface CachedCatalogOptions<C extends LeaseCatalog> {
  /** The uncached catalog (the stores), with listModelAliases or without. Methods the cache does not know pass through unchanged. */
  source: C;
  invalidation: Pick<CacheInvalidation, "live" | "onInvalidate">;
  /** Entries older than this are loaded again, a safety net for a missed message (default 30 s). */
  maxAgeMs?: number;
  /** Most API key entries kept, misses included; the oldest goes first (default 10,000). */
  maxKeys?: number;
  /** Counts lookups as control_plane_catalog_cache_total{cache, result}. */
  registry?: Registry;
  now?: () => number;
}

/** A cached catalog, plus stop() to detach it from the invalidation channel. */
export type CachedCatalog<C extends LeaseCatalog> = C & { stop(): void };

type CacheName = "api_key" | "accounts" | "credential" | "model_aliases";
interface Entry<T> {
  value: T;
  loadedAtMs: number;
}
/** A cache of one whole list: its entry and the load in flight. */
interface Slot<T> {
  entry?: Entry<T>;
  loading?: Promise<T>;
}

const LOOKUPS_TOTAL = "control_plane_catalog_cache_total";

/** Wraps a catalog with per-replica caches. */
export function createCachedCatalog<C extends LeaseCatalog>(options: CachedCatalogOptions<C>): CachedCatalog<C> {
  const { source, invalidation } = options;
  const now = options.now ?? Date.now;
  const maxAgeMs = options.maxAgeMs ?? 30_000;
  const maxKeys = options.maxKeys ?? 10_000;
  const lookups = options.registry && lookupCounter(options.registry);

  const keysByHash = new Map<string, Entry<ApiKeyRecord | undefined>>();
  const credentials = new Map<string, Entry<AccountCredential | undefined>>();
  const loading = { keys: new Map<string, Promise<ApiKeyRecord | undefined>>(), credentials: new Map<string, Promise<AccountCredential | undefined>>() };
  const accounts: Slot<AccountRecord[]> = {};
  const aliases: Slot<readonly ModelAliasRecord[]> = {};
  const generation = { keys: 0, accounts: 0, aliases: 0 };
  const loadAliases = (source as Partial<ModelAliasCatalog>).listModelAliases?.bind(source);

  const fresh = <T>(entry: Entry<T> | undefined): entry is Entry<T> => entry !== undefined && now() - entry.loadedAtMs < maxAgeMs;

  const drop = (change: Invalidation) => {
    if (change === "all" || change.kind === "api-key") {
      generation.keys++;
      loading.keys.clear();
      // A change names the key by id while entries are by hash; keys change rarely, so all go.
      keysByHash.clear();
    }
    if (change === "all" || change.kind === "model-alias") {
      generation.aliases++;
      // One table: any alias change drops all of it.
      aliases.entry = undefined;
      aliases.loading = undefined;
    }
    if (change === "all" || change.kind === "account") {
      generation.accounts++;
      accounts.entry = undefined;
      accounts.loading = undefined;
      if (change === "all") {
        credentials.clear();
        loading.credentials.clear();
      } else {
        credentials.delete(change.id);
        loading.credentials.delete(change.id);
      }
    }
  };
  const stop = invalidation.onInvalidate(drop);

  /** Reads through one cache map: hit, shared load, or a fresh load kept only if nothing changed meanwhile. */
  function through<T>(
    name: CacheName,
    kind: keyof typeof generation,
    map: Map<string, Entry<T>>,
    inFlight: Map<string, Promise<T>>,
    id: string,
    load: () => Promise<T>,
    limit = Number.POSITIVE_INFINITY,
  ): Promise<T> {
    if (!invalidation.live) return count(name, "bypass", load());
    const entry = map.get(id);
    if (fresh(entry)) return count(name, "hit", Promise.resolve(entry.value));
    const pending = inFlight.get(id);
    if (pending) return count(name, "hit", pending);
    const started = generation[kind];
    const promise = load().then((value) => {
      if (generation[kind] === started && invalidation.live) {
        map.delete(id);
        if (map.size >= limit) map.delete(map.keys().next().value as string);
        map.set(id, { value, loadedAtMs: now() });
      }
      return value;
    });
    inFlight.set(id, promise);
    const cleanup = () => {
      if (inFlight.get(id) === promise) inFlight.delete(id);
    };
    promise.then(cleanup, cleanup);
    return count(name, "miss", promise);
  }

  /** Reads through a cache of one whole list, with the same rules as through(). */
  function whole<T>(name: CacheName, kind: keyof typeof generation, slot: Slot<T>, load: () => Promise<T>): Promise<T> {
    if (!invalidation.live) return count(name, "bypass", load());
    const { entry } = slot;
    if (fresh(entry)) return count(name, "hit", Promise.resolve(entry.value));
    if (slot.loading) return count(name, "hit", slot.loading);
    const started = generation[kind];
    const promise = load().then((value) => {
      if (generation[kind] === started && invalidation.live) slot.entry = { value, loadedAtMs: now() };
      return value;
    });
    slot.loading = promise;
    const cleanup = () => {
      if (slot.loading === promise) slot.loading = undefined;
    };
    promise.then(cleanup, cleanup);
    return count(name, "miss", promise);
  }

  function count<T>(name: CacheName, result: "hit" | "miss" | "bypass", value: Promise<T>): Promise<T> {
    lookups?.inc({ cache: name, result });
    return value;
  }

  return {
    ...source,

    findKeyByHash(keyHash) {
      return through("api_key", "keys", keysByHash, loading.keys, keyHash, () => source.findKeyByHash(keyHash), maxKeys);
    },

    listAccounts() {
      return whole("accounts", "accounts", accounts, () => source.listAccounts());
    },

    credential(accountId) {
      return through("credential", "accounts", credentials, loading.credentials, accountId, () => source.credential(accountId));
    },

    ...(loadAliases && {
      listModelAliases() {
        return whole("model_aliases", "aliases", aliases, loadAliases);
      },
    }),

    stop,
  };
}

function lookupCounter(registry: Registry): Counter<"cache" | "result"> {
  return (
    (registry.getSingleMetric(LOOKUPS_TOTAL) as Counter<"cache" | "result"> | undefined) ??
    new Counter({
      name: LOOKUPS_TOTAL,
      help: "Hot-path catalog lookups by cache (api_key, accounts, credential, model_aliases) and result (hit, miss, bypass).",
      labelNames: ["cache", "result"],
      registers: [registry],
    })
  );
}
