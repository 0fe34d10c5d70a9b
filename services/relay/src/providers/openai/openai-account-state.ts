/**
 * What an OpenAI API or Codex backend answer says about the account that gave
 * it: which statuses another account might not share (held back for
 * failover), which response headers carry the account's state to Release, and
 * the hints an error answer gives (its signal, when to come back, a short
 * detail). Pure: status, headers and the parsed body in, hints out.
 *
 * - 429 `usage_limit_reached` (the Codex backend: a ChatGPT plan's window is
 *   used up) is rate-limited until `resets_in_seconds` / `resets_at`; any other
 *   429 until what `retry-after-ms`, `retry-after` or the exhausted
 *   `x-ratelimit-reset-*` window says; `insufficient_quota` (no credit left)
 *   waits for an admin, so it reads as unauthorized;
 * - a deactivated workspace, account or organisation (402 `deactivated_workspace`
 *   from the Codex backend, or a 401/403 whose code says so) is banned;
 * - any other 401, 402 or 403 is unauthorized (a bad or expired token, a
 *   workspace the token is not a member of);
 * - 503 is overloaded, other 5xx a server error;
 * - any other 4xx is the request's fault and says nothing about the account.
 * Details are built from codes, never from an upstream message.
 */
import { AccountSignal } from "@claude-relay/proto/lease";
import type { AccountHints, ResponseHeaders } from "../provider.js";

/** True for an upstream status another account may not share. */
export function isOpenAiFailoverStatus(status: number): boolean {
  return status === 401 || status === 402 || status === 403 || status === 429 || (status >= 500 && status <= 599);
}

const ACCOUNT_HEADER_PREFIXES = ["x-codex-primary-", "x-codex-secondary-", "x-ratelimit-"] as const;

/** `retry-after`, `x-codex-primary-*`, `x-codex-secondary-*` and `x-ratelimit-*`, lower-cased, on every answer. */
export function openAiAccountHeaders(headers: ResponseHeaders, _success: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    const key = name.toLowerCase();
    if (key !== "retry-after" && key !== "retry-after-ms" && !ACCOUNT_HEADER_PREFIXES.some((prefix) => key.startsWith(prefix))) continue;
    const value = headers[name];
    if (value === undefined) continue;
    out[key] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/** The parts of an error body the hints read: OpenAI's `error` object or FastAPI's `detail`. */
export interface OpenAiErrorFields {
  code: string;
  type: string;
  planType: string;
  resetsInSeconds: number | undefined;
  resetsAtSeconds: number | undefined;
}

/** Reads the fields of an error body (parsed JSON, or undefined when it was not JSON). */
export function errorFieldsOf(body: unknown): OpenAiErrorFields {
  const error = field(body, "error");
  const detail = field(body, "detail");
  const source = isObject(error) ? error : isObject(detail) ? detail : undefined;
  return {
    code: text(field(source, "code")),
    type: text(field(source, "type")),
    planType: text(field(source, "plan_type")),
    resetsInSeconds: number(field(source, "resets_in_seconds")),
    resetsAtSeconds: number(field(source, "resets_at")),
  };
}

/** The hints of an error answer at `nowMs`; undefined for a success. */
export function openAiHintsOf(status: number, headers: ResponseHeaders, body: unknown, nowMs: number): AccountHints | undefined {
  if (status >= 200 && status < 400) return undefined;
  const error = errorFieldsOf(body);
  const marker = `${error.code} ${error.type}`;
  if ((status === 401 || status === 402 || status === 403) && /deactivated|disabled|banned/.test(marker)) {
    return { signal: AccountSignal.BANNED, retryAfterMs: 0, detail: `account deactivated (${safeToken(error.code || error.type)})` };
  }
  if (status === 429) {
    if (error.type === "usage_limit_reached" || error.code === "usage_limit_reached") {
      const retryAfterMs = error.resetsInSeconds !== undefined ? error.resetsInSeconds * 1000 : error.resetsAtSeconds !== undefined ? error.resetsAtSeconds * 1000 - nowMs : 0;
      const plan = error.planType ? ` (${safeToken(error.planType)} plan)` : "";
      return { signal: AccountSignal.RATE_LIMITED, retryAfterMs: Math.max(0, Math.round(retryAfterMs)), detail: `usage limit reached${plan}` };
    }
    if (error.code === "insufficient_quota" || error.type === "insufficient_quota") {
      return { signal: AccountSignal.UNAUTHORIZED, retryAfterMs: 0, detail: "insufficient quota" };
    }
    return { signal: AccountSignal.RATE_LIMITED, retryAfterMs: retryAfterMsOf(headers) ?? 0, detail: "rate limited" };
  }
  if (status === 401) return { signal: AccountSignal.UNAUTHORIZED, retryAfterMs: 0, detail: `credential refused${error.code ? ` (${safeToken(error.code)})` : ""}` };
  if (status === 402) return { signal: AccountSignal.UNAUTHORIZED, retryAfterMs: 0, detail: "payment required" };
  if (status === 403) return { signal: AccountSignal.UNAUTHORIZED, retryAfterMs: 0, detail: `permission denied${error.code ? ` (${safeToken(error.code)})` : ""}` };
  if (status === 503) return { signal: AccountSignal.OVERLOADED, retryAfterMs: retryAfterMsOf(headers) ?? 0, detail: "upstream overloaded" };
  if (status >= 500) return { signal: AccountSignal.SERVER_ERROR, retryAfterMs: 0, detail: `upstream answered ${status}` };
  return { signal: AccountSignal.NONE, retryAfterMs: 0, detail: "" };
}

/**
 * How long a 429's headers say to wait: `retry-after-ms`, else `retry-after`
 * (seconds), else the longest `x-ratelimit-reset-*` of a window whose
 * remaining count is 0 (else the shortest announced); undefined when none says.
 */
export function retryAfterMsOf(headers: ResponseHeaders): number | undefined {
  const ms = Number(single(headers["retry-after-ms"]));
  if (Number.isFinite(ms) && ms > 0) return Math.round(ms);
  const seconds = Number(single(headers["retry-after"]));
  if (Number.isFinite(seconds) && seconds > 0) return Math.round(seconds * 1000);
  const resets: Array<{ ms: number; exhausted: boolean }> = [];
  for (const window of ["requests", "tokens"]) {
    const reset = durationMs(single(headers[`x-ratelimit-reset-${window}`]));
    if (reset === undefined) continue;
    resets.push({ ms: reset, exhausted: single(headers[`x-ratelimit-remaining-${window}`])?.trim() === "0" });
  }
  const exhausted = resets.filter((r) => r.exhausted);
  if (exhausted.length > 0) return Math.max(...exhausted.map((r) => r.ms));
  if (resets.length > 0) return Math.min(...resets.map((r) => r.ms));
  return undefined;
}

/** A Go-style duration as OpenAI sends it in `x-ratelimit-reset-*` ("20ms", "1s", "6m0s", "1h2m3.5s"), in ms. */
export function durationMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === "" || !/^(\d+(\.\d+)?(ms|h|m|s))+$/.test(trimmed)) return undefined;
  const factor: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };
  let total = 0;
  for (const part of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) total += Number(part[1]) * (factor[part[2] as string] ?? 0);
  return Math.round(total);
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function field(value: unknown, name: string): unknown {
  return isObject(value) ? value[name] : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function number(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function safeToken(value: string): string {
  return value.replace(/[^A-Za-z0-9_.-]/g, "").slice(0, 64);
}
