/**
 * What a Gemini or Code Assist answer says about the account that gave it.
 * Google's errors carry their meaning in the body, not the headers, so the
 * status decides only what to hold back for failover (an error another account
 * might not share, including a 400, since an invalid pool key is a 400
 * `API_KEY_INVALID`), and the body's error decides the account's signal:
 *
 * - 429 RESOURCE_EXHAUSTED: rate-limited until its RetryInfo delay, or, for a
 *   per-day quota without one, until the next midnight in California, when
 *   Google resets daily quotas; per-day and per-minute are named apart;
 * - `API_KEY_INVALID`, 401 and 403: unauthorized;
 * - 503 UNAVAILABLE (the model is overloaded): overloaded for a cooldown;
 * - other 5xx: a server error for the circuit breaker;
 * - any other 4xx: the request's fault, nothing about the account (and not
 *   failed over: the client gets it as it came).
 */
import { type GoogleErrorInfo, nextPacificMidnightMs } from "@claude-relay/gemini";
import { AccountSignal } from "@claude-relay/proto/lease";
import type { AccountHints, ResponseHeaders } from "../provider.js";

/** True for an upstream status worth holding back while another account may still answer. */
export function isGeminiFailoverStatus(status: number): boolean {
  return status === 400 || status === 401 || status === 403 || status === 429 || (status >= 500 && status <= 599);
}

/** The hints of an error answer at nowMs. */
export function hintsOf(error: GoogleErrorInfo, nowMs: number): AccountHints {
  const code = error.code;
  if (code === 429 || error.status === "RESOURCE_EXHAUSTED") {
    const daily = error.quotaScope === "per-day";
    const retryAfterMs = error.retryDelayMs ?? (daily ? nextPacificMidnightMs(nowMs) - nowMs : 0);
    const detail = daily ? "per-day quota exhausted" : error.quotaScope === "per-minute" ? "per-minute limit reached" : "rate limited";
    return { signal: AccountSignal.RATE_LIMITED, retryAfterMs: Math.max(0, retryAfterMs), detail };
  }
  if (error.reason === "API_KEY_INVALID") return { signal: AccountSignal.UNAUTHORIZED, retryAfterMs: 0, detail: "API key not valid" };
  if (code === 401 || error.status === "UNAUTHENTICATED") return { signal: AccountSignal.UNAUTHORIZED, retryAfterMs: 0, detail: "credential refused" };
  if (code === 403 || error.status === "PERMISSION_DENIED") return { signal: AccountSignal.UNAUTHORIZED, retryAfterMs: 0, detail: `permission denied${error.reason ? ` (${safeToken(error.reason)})` : ""}` };
  if (code === 503 || error.status === "UNAVAILABLE") return { signal: AccountSignal.OVERLOADED, retryAfterMs: error.retryDelayMs ?? 0, detail: "model overloaded" };
  if (code >= 500) return { signal: AccountSignal.SERVER_ERROR, retryAfterMs: 0, detail: `upstream answered ${code}` };
  return { signal: AccountSignal.NONE, retryAfterMs: 0, detail: "" };
}

/** Google's answers carry no account state in headers but `retry-after`, which a proxy in front may add. */
export function geminiAccountHeaders(headers: ResponseHeaders, success: boolean): Record<string, string> {
  if (success) return {};
  const value = headers["retry-after"];
  if (value === undefined) return {};
  return { "retry-after": Array.isArray(value) ? value.join(", ") : value };
}

function safeToken(value: string): string {
  return value.replace(/[^A-Za-z0-9_.-]/g, "").slice(0, 64);
}
