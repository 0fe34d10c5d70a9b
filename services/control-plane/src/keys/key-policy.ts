/**
 * Whether a client key may make this request, pure: the key exists, is
 * enabled, not revoked, not expired (at its fixed date or its time after
 * first use), and allows the platform, the model and the client; and where
 * the key is served on the request's platform (keyBinding). Limits that need
 * Redis (concurrency, windows, cost) are checked when the slot is taken, by
 * key-limits, not here. Messages are safe to show the client: they name the
 * model and platform it asked for, never a secret.
 */
import type { PlatformName } from "../providers/account-types.js";
import type { ApiKeyRecord } from "./api-key-store.js";

/** The verdict; a refusal carries the reason and a client-safe message. */
export type KeyPolicyResult = { ok: true } | { ok: false; reason: "KEY_INVALID" | "NOT_ALLOWED"; message: string };

/** What the request asks for. */
export interface KeyRequest {
  model: string;
  /** The platform whose accounts can serve it; absent reads as Claude. */
  platform?: PlatformName;
  /** The client's User-Agent; "" or absent when it sent none. */
  userAgent?: string;
}

const MAX_ECHOED_MODEL = 100;

/** Checks a key (undefined when no key matched the hash) against a request at nowMs. */
export function checkKeyPolicy(key: ApiKeyRecord | undefined, request: KeyRequest, nowMs: number): KeyPolicyResult {
  const usable = checkKeyUsable(key, nowMs);
  if (!usable.ok || !key) return usable;
  const platform = request.platform ?? "claude";
  const platforms = key.platforms ?? [];
  if (!isPlatformAllowed(key, platform)) {
    return { ok: false, reason: "NOT_ALLOWED", message: `this API key may not be used for ${PLATFORM_TITLES[platform]} requests (it is limited to ${platforms.map((p) => PLATFORM_TITLES[p] ?? p).join(", ")})` };
  }
  if (!isModelAllowed(key.allowedModels, request.model)) {
    const shown = request.model.length > MAX_ECHOED_MODEL ? `${request.model.slice(0, MAX_ECHOED_MODEL)}…` : request.model;
    return { ok: false, reason: "NOT_ALLOWED", message: `this API key may not use the model "${shown}"` };
  }
  if (!isClientAllowed(key.allowedClients ?? [], request.userAgent ?? "")) {
    return { ok: false, reason: "NOT_ALLOWED", message: "this API key may not be used from this client" };
  }
  return { ok: true };
}

/**
 * Whether a key (undefined when no key matched the hash) may be used at all at nowMs: it exists, is not
 * revoked, is enabled and has not expired (at its fixed date or its time after first use). Refusals are
 * KEY_INVALID. What the key may be used for is checkKeyPolicy's.
 */
export function checkKeyUsable(key: ApiKeyRecord | undefined, nowMs: number): KeyPolicyResult {
  if (!key) return { ok: false, reason: "KEY_INVALID", message: "invalid x-api-key" };
  if (key.revokedAtMs !== 0) return { ok: false, reason: "KEY_INVALID", message: "this API key has been revoked" };
  if (!key.enabled) return { ok: false, reason: "KEY_INVALID", message: "this API key is disabled" };
  if (key.expiresAtMs !== 0 && nowMs >= key.expiresAtMs) return { ok: false, reason: "KEY_INVALID", message: "this API key has expired" };
  const activeForMs = (key.expireAfterFirstUseSeconds ?? 0) * 1000;
  if (activeForMs > 0 && (key.firstUsedAtMs ?? 0) > 0 && nowMs >= (key.firstUsedAtMs ?? 0) + activeForMs) {
    return { ok: false, reason: "KEY_INVALID", message: "this API key has expired" };
  }
  return { ok: true };
}

/** True when the key may be used on the platform: its platform list is empty (every platform) or names it. */
export function isPlatformAllowed(key: Pick<ApiKeyRecord, "platforms">, platform: PlatformName): boolean {
  const platforms = key.platforms ?? [];
  return platforms.length === 0 || platforms.includes(platform);
}

/** Where a key is served on one platform: one account, or the accounts of one group; both "" means the whole pool. */
export interface KeyBinding {
  accountId: string;
  group: string;
}

/**
 * The key's binding on a platform: the group its platformGroups names for that platform, which replaces
 * boundAccountId and boundGroup there; else those two, which then apply on every platform (a key bound to
 * a Claude account finds no Gemini account unless a Gemini group is named).
 */
export function keyBinding(key: Pick<ApiKeyRecord, "boundAccountId" | "boundGroup" | "platformGroups">, platform: PlatformName): KeyBinding {
  const group = key.platformGroups?.[platform] ?? "";
  if (group !== "") return { accountId: "", group };
  return { accountId: key.boundAccountId ?? "", group: key.boundGroup ?? "" };
}

/** How a platform is named in a message to the client. */
const PLATFORM_TITLES: Readonly<Record<PlatformName, string>> = { claude: "Claude", gemini: "Gemini", openai: "OpenAI" };

/**
 * An empty list allows every client; otherwise the User-Agent must match one
 * pattern as a whole, ignoring case, where "*" matches any run of characters
 * ("claude-cli/*" matches "claude-cli/2.1.3 (external, sdk-cli)").
 */
export function isClientAllowed(patterns: readonly string[], userAgent: string): boolean {
  if (patterns.length === 0) return true;
  const agent = userAgent.toLowerCase();
  return patterns.some((pattern) => globMatches(pattern.toLowerCase(), agent));
}

/** Whole-string glob match with "*" only; linear backtracking over the last star, so no pattern can blow up. */
function globMatches(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] !== "*" && pattern[p] === text[t]) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === "*") {
      star = p++;
      resume = t;
    } else if (star !== -1) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}

/** An empty list allows every model; an entry ending in "*" allows every model starting with the rest. */
export function isModelAllowed(allowed: readonly string[], model: string): boolean {
  // An empty model is a request that names none (GET /v1/models): nothing to check.
  if (allowed.length === 0 || model === "") return true;
  return allowed.some((entry) => (entry.endsWith("*") ? model.startsWith(entry.slice(0, -1)) : entry === model));
}
