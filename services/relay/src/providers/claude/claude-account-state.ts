/**
 * What a Messages API answer says about the account that gave it: which
 * statuses another account might not share (so the request fails over), what
 * an error body adds to its status (a ban), and which response headers the
 * control plane reads the account's state from.
 * With an error status that is `retry-after` and every `anthropic-ratelimit-*`
 * (a 429's reset may be in any of them); with a 2xx only the subscription
 * windows (`anthropic-ratelimit-unified-*`), the one thing a success tells.
 */
import { AccountSignal } from "@claude-relay/proto/lease";
import type { AccountHints, ResponseHeaders } from "../provider.js";

const UNIFIED_PREFIX = "anthropic-ratelimit-unified-";

/**
 * True for an upstream status another account may not share: rate limits, overload, server errors,
 * a refused credential and a 403 (which may be the account's organisation being disabled; the
 * client must never see a pool account's ban, and another account answers a request-level 403 alike).
 */
export function isClaudeFailoverStatus(status: number): boolean {
  return status === 429 || status === 529 || status === 401 || status === 403 || (status >= 500 && status <= 599);
}

/** What the Messages API says when an account's organisation is disabled or may not use OAuth any more. */
const BAN_MESSAGES = /organization has been disabled|organization is disabled|account has been disabled|OAuth authentication is currently not allowed for this organization/i;

/**
 * The hints an error answer's body carries beyond its status: a 403 (or 401) whose message says
 * the organisation or account is disabled is a ban, out of rotation until an admin acts, counted
 * apart from an expired credential. Anything else is read from the status, as before.
 */
export function claudeHintsOf(status: number, body: unknown): AccountHints | undefined {
  if (status !== 403 && status !== 401) return undefined;
  const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
  if (typeof message !== "string" || !BAN_MESSAGES.test(message)) return undefined;
  return { signal: AccountSignal.BANNED, retryAfterMs: 0, detail: /OAuth/i.test(message) ? "organization may not use OAuth" : "organization disabled" };
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
