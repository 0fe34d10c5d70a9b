/**
 * A key holder asking about their own key (GetKeyUsage for the relay's
 * GET /v1/key/usage, and the /stats page): the client address's attempt
 * limit first (attempt-limiter), then the key by its hash through the
 * catalog, then, for a usable key only, a fresh copy of its record and what
 * the report reads (key-usage-report).
 *
 * Every key that cannot be used, unknown, disabled, revoked or expired, takes
 * the same path to the same refusal (KEY_INVALID, "invalid x-api-key"), and
 * that refusal is answered `refusalFloorMs` after the attempt began, not
 * sooner: whether the catalog had the hash cached, or Redis had one record to
 * read or none, cannot be told apart from outside. The fresh record is read
 * because the first request stamps a key's first use in Redis without telling
 * the catalog, and expiry after first use counts from it.
 */
import { refuse, type Refusal } from "../leases/refusal.js";
import type { UsageReader } from "../usage/usage-reader.js";
import type { ApiKeyRecord, ApiKeyStore } from "./api-key-store.js";
import type { AttemptLimiter } from "./attempt-limiter.js";
import type { KeyLimits } from "./key-limits.js";
import { checkKeyUsable } from "./key-policy.js";
import { buildKeyUsageReport, reportDays, type KeyUsageReport } from "./key-usage-report.js";

/** The report, or a refusal with a client-safe message. */
export type KeyUsageResult = { ok: true; report: KeyUsageReport } | Refusal;

/** Looks a key up by its hash for the address that asks. */
export type KeyUsageLookup = (keyHash: string, clientAddress: string) => Promise<KeyUsageResult>;

/** Dependencies of createKeyUsageLookup. */
export interface KeyUsageDeps {
  /** Keys by hash; the cached catalog in the app, which keeps unknown hashes too. */
  catalog: { findKeyByHash(keyHash: string): Promise<ApiKeyRecord | undefined> };
  apiKeys: Pick<ApiKeyStore, "get">;
  keyLimits: Pick<KeyLimits, "spend">;
  usage: Pick<UsageReader, "daily" | "lifetime" | "keyModels">;
  limiter: AttemptLimiter;
  /** The least time a refusal of a key takes (default 100 ms). */
  refusalFloorMs?: number;
  now?: () => number;
}

/** The one answer to every key that cannot be used. */
const INVALID_KEY_MESSAGE = "invalid x-api-key";
const DEFAULT_REFUSAL_FLOOR_MS = 100;

/** Builds the lookup. */
export function createKeyUsageLookup(deps: KeyUsageDeps): KeyUsageLookup {
  const now = deps.now ?? Date.now;
  const floorMs = deps.refusalFloorMs ?? DEFAULT_REFUSAL_FLOOR_MS;

  async function invalid(startedAt: number): Promise<Refusal> {
    const left = startedAt + floorMs - performance.now();
    if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
    return refuse("KEY_INVALID", INVALID_KEY_MESSAGE);
  }

  return async function keyUsage(keyHash, clientAddress) {
    const startedAt = performance.now();
    const attempt = deps.limiter.take(clientAddress);
    if (!attempt.ok) return refuse("KEY_LIMIT", "too many key usage lookups from this address; try again later", attempt.retryAfterMs);
    const cached = keyHash === "" ? undefined : await deps.catalog.findKeyByHash(keyHash);
    if (cached === undefined || !checkKeyUsable(cached, now()).ok) return invalid(startedAt);
    const key = await deps.apiKeys.get(cached.id);
    const nowMs = now();
    if (key === undefined || key.keyHash !== keyHash || !checkKeyUsable(key, nowMs).ok) return invalid(startedAt);

    const days = reportDays(nowMs);
    const subject = { kind: "key", id: key.id } as const;
    const [spend, daily, lifetime, models] = await Promise.all([
      deps.keyLimits.spend(key),
      deps.usage.daily(subject, days),
      deps.usage.lifetime(subject),
      deps.usage.keyModels(key.id, days),
    ]);
    return { ok: true, report: buildKeyUsageReport({ key, spend, days, daily, lifetime, models, nowMs }) };
  };
}
