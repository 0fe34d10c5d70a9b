/**
 * The limit settings of an API key beyond concurrency and models: expiry after
 * first use, client allow-list, rolling request and token window, cost limits;
 * and its platform scope: the platforms it may use and, per platform, the
 * group that serves it there. Pure: defaults, validation and the record's hash
 * fields. The limit field names are also read by the Lua scripts
 * acquire-key.lua and add-counters.lua, which enforce the limits that need
 * Redis; key-policy checks the rest.
 */
import { PLATFORMS, type PlatformName } from "../providers/account-types.js";

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

/** Per platform, the group that serves a key there; a platform not named keeps the key's own binding. */
export type PlatformGroups = Partial<Record<PlatformName, string>>;

/** Which platforms a key may use, and where it is served on each. */
export interface KeyPlatformSettings {
  /** Platforms whose accounts the key may use; empty means every platform. */
  platforms: PlatformName[];
  /** Per platform, a group that replaces the key's binding (boundAccountId, boundGroup) on that platform. */
  platformGroups: PlatformGroups;
}

/** A group name as accounts carry it: up to 64 letters, digits, "_", "-", "." and ":". */
const GROUP_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * The platform settings tidied: platforms de-duplicated in PLATFORMS order, groups trimmed, and a
 * platform whose group is empty left out (an empty group means the key's own binding applies).
 * Names that are not platforms are kept, for checkPlatformSettings to refuse.
 */
export function normalizePlatformSettings(input: { platforms?: readonly string[]; platformGroups?: Readonly<Record<string, string | undefined>> }): KeyPlatformSettings {
  const named = new Set(input.platforms ?? []);
  const platforms = [...PLATFORMS.filter((p) => named.has(p)), ...[...named].filter((p) => !(PLATFORMS as readonly string[]).includes(p))] as PlatformName[];
  const platformGroups: PlatformGroups = {};
  for (const [platform, group] of Object.entries(input.platformGroups ?? {})) {
    const trimmed = group?.trim() ?? "";
    if (trimmed !== "") platformGroups[platform as PlatformName] = trimmed;
  }
  return { platforms, platformGroups };
}

/** The first problem with a key's platform settings, named by its field; undefined when they are valid. */
export function checkPlatformSettings(settings: Partial<KeyPlatformSettings>): string | undefined {
  const known = PLATFORMS as readonly string[];
  const unknown = (settings.platforms ?? []).find((p) => !known.includes(p));
  if (unknown !== undefined) return `platforms: "${unknown.slice(0, 32)}" is not a platform (${PLATFORMS.join(", ")})`;
  for (const [platform, group] of Object.entries(settings.platformGroups ?? {})) {
    if (!known.includes(platform)) return `platformGroups: "${platform.slice(0, 32)}" is not a platform (${PLATFORMS.join(", ")})`;
    if (group !== undefined && group !== "" && !GROUP_NAME.test(group)) return `platformGroups.${platform} must be at most 64 letters, digits, '_', '-', '.' or ':'`;
  }
  return undefined;
}

/** The record hash fields of the platform settings. */
export function platformFields(settings: KeyPlatformSettings): Record<string, string> {
  return { platforms: JSON.stringify(settings.platforms), platformGroups: JSON.stringify(settings.platformGroups) };
}

/** The platform settings of a record hash; keys made before platforms existed read as every platform, no groups. */
export function parsePlatformFields(hash: Record<string, string>): KeyPlatformSettings {
  const known = PLATFORMS as readonly string[];
  const platforms = parseJson(hash.platforms);
  const groups = parseJson(hash.platformGroups);
  const platformGroups: PlatformGroups = {};
  if (groups !== null && typeof groups === "object" && !Array.isArray(groups)) {
    for (const [platform, group] of Object.entries(groups)) {
      if (known.includes(platform) && typeof group === "string" && group !== "") platformGroups[platform as PlatformName] = group;
    }
  }
  return {
    // A name this version does not know (written by a newer one) stays in the list: the key remains limited, never widened.
    platforms: Array.isArray(platforms) ? platforms.filter((p): p is PlatformName => typeof p === "string") : [],
    platformGroups,
  };
}

function parseJson(json: string | undefined): unknown {
  if (!json) return undefined;
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}
