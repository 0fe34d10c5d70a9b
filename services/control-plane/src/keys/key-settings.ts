/**
 * The limit settings of an API key beyond concurrency and models: expiry after
 * first use, client allow-list, rolling request and token window, cost limits.
 * Pure: defaults, validation and the record's hash fields. The field names are
 * also read by the Lua scripts acquire-key.lua and add-counters.lua, which
 * enforce the limits that need Redis; key-policy checks the rest.
 */

/** A key's limit settings; 0 (or an empty list) means no limit. */
export interface KeyLimitSettings {
  /** The key expires this many seconds after its first use. */
  expireAfterFirstUseSeconds: number;
  /** User-Agent patterns the key may be used from ("claude-cli/*"); `*` matches any run of characters. */
  allowedClients: string[];
  /** Length of the rolling window of the two rate limits. */
  rateWindowSeconds: number;
  /** Requests the key may start within any window. */
  rateLimitRequests: number;
  /** Tokens (input, output, cache writes and reads) the key may use within any window. */
  rateLimitTokens: number;
  /** US dollars per UTC day, at list prices. */
  dailyCostLimitUsd: number;
  /** US dollars over the key's whole life. */
  totalCostLimitUsd: number;
  /** US dollars per UTC week (from Monday), Opus models only. */
  weeklyOpusCostLimitUsd: number;
}

/** Limit settings plus what the key's use has stamped on it. */
export interface KeyLimitState extends KeyLimitSettings {
  /** When the key was first granted a lease; 0 = never. Stamped by acquire-key.lua. */
  firstUsedAtMs: number;
}

/** No limits. */
export const NO_LIMITS: Readonly<KeyLimitSettings> = Object.freeze({
  expireAfterFirstUseSeconds: 0,
  allowedClients: [] as string[],
  rateWindowSeconds: 0,
  rateLimitRequests: 0,
  rateLimitTokens: 0,
  dailyCostLimitUsd: 0,
  totalCostLimitUsd: 0,
  weeklyOpusCostLimitUsd: 0,
});

/** The longest rolling window: 31 days. */
export const MAX_RATE_WINDOW_SECONDS = 31 * 24 * 3600;
const MAX_CLIENT_PATTERNS = 50;
const MAX_PATTERN_LENGTH = 200;
const INTEGER_FIELDS = ["expireAfterFirstUseSeconds", "rateWindowSeconds", "rateLimitRequests", "rateLimitTokens"] as const;
const USD_FIELDS = ["dailyCostLimitUsd", "totalCostLimitUsd", "weeklyOpusCostLimitUsd"] as const;

/** Trims and de-duplicates client patterns, dropping blanks. */
export function normalizeClientPatterns(patterns: readonly string[]): string[] {
  return [...new Set(patterns.map((p) => p.trim()).filter(Boolean))];
}

/** The first problem with a set of settings, named by its field; undefined when they are valid. */
export function checkLimitSettings(settings: Partial<KeyLimitSettings>): string | undefined {
  for (const field of INTEGER_FIELDS) {
    const value = settings[field];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) return `${field} must be a non-negative integer`;
  }
  for (const field of USD_FIELDS) {
    const value = settings[field];
    if (value !== undefined && (!Number.isFinite(value) || value < 0)) return `${field} must be a non-negative number of US dollars`;
  }
  const window = settings.rateWindowSeconds ?? 0;
  if (window > MAX_RATE_WINDOW_SECONDS) return `rateWindowSeconds must be at most ${MAX_RATE_WINDOW_SECONDS}`;
  if (window === 0 && ((settings.rateLimitRequests ?? 0) > 0 || (settings.rateLimitTokens ?? 0) > 0)) {
    return "rateWindowSeconds must be set when a request or token limit is";
  }
  const clients = settings.allowedClients ?? [];
  if (clients.length > MAX_CLIENT_PATTERNS) return `allowedClients may hold at most ${MAX_CLIENT_PATTERNS} patterns`;
  if (clients.some((p) => p.length > MAX_PATTERN_LENGTH)) return `allowedClients patterns must be at most ${MAX_PATTERN_LENGTH} characters`;
  return undefined;
}

/** The record hash fields of the settings (and of firstUsedAtMs when given). */
export function limitFields(settings: Partial<KeyLimitState>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(settings)) {
    if (value === undefined) continue;
    fields[name] = Array.isArray(value) ? JSON.stringify(value) : String(value);
  }
  return fields;
}

/** The settings of a record hash; missing fields (keys made before limits existed) read as no limit. */
export function parseLimitFields(hash: Record<string, string>): KeyLimitState {
  const num = (field: string) => {
    const value = Number(hash[field] ?? 0);
    return Number.isFinite(value) ? value : 0;
  };
  let allowedClients: string[] = [];
  try {
    const parsed: unknown = JSON.parse(hash.allowedClients ?? "[]");
    if (Array.isArray(parsed)) allowedClients = parsed.filter((p): p is string => typeof p === "string");
  } catch {
    allowedClients = [];
  }
  return {
    expireAfterFirstUseSeconds: num("expireAfterFirstUseSeconds"),
    allowedClients,
    rateWindowSeconds: num("rateWindowSeconds"),
    rateLimitRequests: num("rateLimitRequests"),
    rateLimitTokens: num("rateLimitTokens"),
    dailyCostLimitUsd: num("dailyCostLimitUsd"),
    totalCostLimitUsd: num("totalCostLimitUsd"),
    weeklyOpusCostLimitUsd: num("weeklyOpusCostLimitUsd"),
    firstUsedAtMs: num("firstUsedAtMs"),
  };
}

const SETTING_NAMES: readonly (keyof KeyLimitSettings)[] = [...INTEGER_FIELDS, ...USD_FIELDS, "allowedClients"];

/** The limit settings found in a larger object (a record, an input), leaving out undefined ones. */
export function pickLimitSettings(source: Partial<KeyLimitSettings>): Partial<KeyLimitSettings> {
  const picked: Partial<Record<keyof KeyLimitSettings, unknown>> = {};
  for (const name of SETTING_NAMES) if (source[name] !== undefined) picked[name] = source[name];
  return picked as Partial<KeyLimitSettings>;
}
