/**
 * What the control plane's lease sets hold right now, read straight from
 * Redis under the key names the control plane uses (redis/keys.ts): a lease
 * is live while its score (expiry, ms) is in the future.
 */
import { Redis } from "ioredis";
import { createRedisKeys } from "../../services/control-plane/src/redis/keys.js";

/** Counts over every account and API key lease set. */
export interface LeaseCounts {
  /** Lease sets present in Redis. */
  keys: number;
  /** Leases not yet expired. */
  live: number;
  /** Expired leases still stored (dropped by the owner's next Acquire). */
  stale: number;
}

/** A reader of lease sets on one Redis. */
export interface LeaseInspector {
  counts(): Promise<LeaseCounts>;
  /** Live leases of one account. */
  liveOnAccount(accountId: string): Promise<number>;
  close(): void;
}

/** Opens a connection to `redisUrl` that reads the lease sets. */
export function createLeaseInspector(redisUrl: string): LeaseInspector {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: false });
  redis.on("error", () => {});
  const keys = createRedisKeys();
  // Glob patterns from the real key builders: `*` in place of the owner id.
  const patterns = [keys.accountLeases("*"), keys.apiKeyLeases("*")];

  async function scan(pattern: string): Promise<string[]> {
    const found: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      found.push(...batch);
    } while (cursor !== "0");
    return found;
  }

  return {
    async counts() {
      const now = Date.now();
      const found = (await Promise.all(patterns.map(scan))).flat();
      let live = 0;
      let stale = 0;
      for (const key of found) {
        live += await redis.zcount(key, `(${now}`, "+inf");
        stale += await redis.zcount(key, "-inf", now);
      }
      return { keys: found.length, live, stale };
    },
    liveOnAccount: (accountId) => redis.zcount(keys.accountLeases(accountId), `(${Date.now()}`, "+inf"),
    close: () => redis.disconnect(),
  };
}
