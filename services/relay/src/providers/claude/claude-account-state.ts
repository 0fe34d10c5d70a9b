/**
 * What a Messages API answer says about the account that gave it: which
 * statuses another account might not share (so the request fails over), and
 * which response headers the control plane reads the account's state from.
 * With an error status that is `retry-after` and every `anthropic-ratelimit-*`
 * (a 429's reset may be in any of them); with a 2xx only the subscription
 * windows (`anthropic-ratelimit-unified-*`), the one thing a success tells.
 */
import type { ResponseHeaders } from "../provider.js";

const UNIFIED_PREFIX = "anthropic-ratelimit-unified-";

/** True for an upstream status another account may not share: rate limits, overload, server errors, a bad credential. */
export function isClaudeFailoverStatus(status: number): boolean {
  return status === 429 || status === 529 || status === 401 || (status >= 500 && status <= 599);
}

/** `retry-after` and `anthropic-ratelimit-*` (only the unified windows with `windowsOnly`), lower-cased, multiple values joined. */
export function claudeAccountHeaders(headers: ResponseHeaders, windowsOnly = false): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    const key = name.toLowerCase();
    if (windowsOnly ? !key.startsWith(UNIFIED_PREFIX) : key !== "retry-after" && !key.startsWith("anthropic-ratelimit-")) continue;
    const value = headers[name];
    if (value === undefined) continue;
    out[key] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}
