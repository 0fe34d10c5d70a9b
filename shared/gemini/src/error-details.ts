/**
 * Reading an upstream Google error: `{"error":{"code","message","status","details":[…]}}`, and
 * what its details say about when to try again.
 *
 * It owns the meaning of three `google.rpc` detail types (google/rpc/error_details.proto):
 * RetryInfo (how long to wait), QuotaFailure (which quota ran out, per day or per minute) and
 * ErrorInfo (a machine-readable reason such as `API_KEY_INVALID`). What the relay or the control
 * plane does with them (cool an account down, mark it unauthorized) is left to them. Nothing
 * here throws, and every string taken from the body is cut to a bounded length, since the
 * result ends up in logs and in Release.
 */
import { httpStatusOf, isGoogleStatus } from "./error-body.js";

/** The window of a quota that ran out. */
export type QuotaScope = "per-day" | "per-minute";

/** What an upstream error says, in the parts the relay and the control plane act on. */
export interface GoogleErrorInfo {
  /** The HTTP status inside the body (`error.code`); 0 when neither it nor a known status name is given. */
  code: number;
  /** The status name (`error.status`), e.g. "RESOURCE_EXHAUSTED"; "" when absent. */
  status: string;
  message: string;
  /** From a RetryInfo detail, else from "Please retry in 37.5s." in the message. */
  retryDelayMs?: number;
  /** Which quota window ran out, from QuotaFailure violations, ErrorInfo metadata or the message. */
  quotaScope?: QuotaScope;
  /** `ErrorInfo.reason`, e.g. "RATE_LIMIT_EXCEEDED", "API_KEY_INVALID", "SERVICE_DISABLED". */
  reason?: string;
}

const MAX_MESSAGE = 500;
const MAX_SHORT = 100;
const RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo";
const QUOTA_FAILURE = "type.googleapis.com/google.rpc.QuotaFailure";
const ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo";
/**
 * Parses an error body; undefined when it is not JSON or has no `error` object. A one-element
 * JSON array around the object is accepted: Google answers stream requests that fail before
 * their first chunk that way (`[{"error":{…}}]`).
 */
export function parseGoogleError(body: string | Buffer): GoogleErrorInfo | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === "string" ? body : body.toString("utf8"));
  } catch {
    return undefined;
  }
  if (Array.isArray(parsed)) parsed = parsed[0];
  return googleErrorFromObject(parsed);
}

/** Reads an already parsed `{"error":{…}}` object; undefined when `value` has no `error` object. */
export function googleErrorFromObject(value: unknown): GoogleErrorInfo | undefined {
  const error = field(value, "error");
  if (typeof error !== "object" || error === null || Array.isArray(error)) return undefined;
  const rawStatus = field(error, "status");
  const status = typeof rawStatus === "string" ? cut(rawStatus, MAX_SHORT) : "";
  const rawCode = field(error, "code");
  let code = 0;
  if (typeof rawCode === "number" && Number.isInteger(rawCode) && rawCode > 0) code = rawCode;
  else if (isGoogleStatus(status)) code = httpStatusOf(status);
  const rawMessage = field(error, "message");
  const message = typeof rawMessage === "string" ? rawMessage : "";
  const info: GoogleErrorInfo = { code, status, message: cut(message, MAX_MESSAGE) };

  const scopes = new Set<QuotaScope>();
  const noteScope = (name: unknown): void => {
    const scope = scopeOfQuotaName(name);
    if (scope !== undefined) scopes.add(scope);
  };
  const details = field(error, "details");
  for (const detail of Array.isArray(details) ? details : []) {
    const type = field(detail, "@type");
    if (type === RETRY_INFO) {
      const delay = durationMs(field(detail, "retryDelay"));
      if (delay !== undefined) info.retryDelayMs = delay;
    } else if (type === QUOTA_FAILURE) {
      const violations = field(detail, "violations");
      for (const violation of Array.isArray(violations) ? violations : []) {
        noteScope(field(violation, "quotaId"));
        noteScope(field(violation, "quotaMetric"));
      }
    } else if (type === ERROR_INFO) {
      const reason = field(detail, "reason");
      if (typeof reason === "string" && reason !== "") info.reason = cut(reason, MAX_SHORT);
      // Quota errors name the exhausted limit here too (the Gemini CLI reads the same
      // `quota_limit` key, packages/core/src/utils/googleQuotaErrors.ts).
      noteScope(field(field(detail, "metadata"), "quota_limit"));
    }
  }
  // Code Assist names the window only in prose: "You have exhausted your daily quota…".
  if (code === 429) noteScope(message);
  // A day's quota outlasts a minute's, so it decides when the account can be used again.
  if (scopes.has("per-day")) info.quotaScope = "per-day";
  else if (scopes.has("per-minute")) info.quotaScope = "per-minute";

  if (info.retryDelayMs === undefined) {
    // Quota errors also say it in prose, "Please retry in 37.5s." (a fallback the Gemini CLI
    // uses too, packages/core/src/utils/googleQuotaErrors.ts).
    const match = /Please retry in (\d+(?:\.\d+)?(?:ms|s))\b/.exec(message);
    const delay = match === null ? undefined : durationMs(match[1]);
    if (delay !== undefined) info.retryDelayMs = delay;
  }
  return info;
}

/**
 * The first midnight in America/Los_Angeles after `nowMs`, in epoch milliseconds: daily
 * Gemini API quotas (requests per day) reset then, per https://ai.google.dev/gemini-api/docs/rate-limits.
 * A `nowMs` exactly at midnight gets the following one. Daylight saving changes happen at
 * 02:00 local time, so a midnight is never skipped or repeated.
 */
export function nextPacificMidnightMs(nowMs: number): number {
  const today = pacificWallClock(nowMs);
  // The next day's midnight written as if it were UTC, then moved by the zone's offset.
  const wallMidnight = Date.UTC(today.year, today.month - 1, today.day + 1);
  let guess = wallMidnight - pacificOffsetMs(nowMs);
  // The offset at the answer may differ from now's when a DST change lies between them.
  for (let i = 0; i < 2; i++) guess = wallMidnight - pacificOffsetMs(guess);
  return guess;
}

let pacificFormat: Intl.DateTimeFormat | undefined;

function pacificWallClock(ms: number): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  pacificFormat ??= new Intl.DateTimeFormat("en-US", {
    timeZone: "America/Los_Angeles",
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  });
  const out = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of pacificFormat.formatToParts(ms)) {
    if (part.type in out) out[part.type as keyof typeof out] = Number(part.value);
  }
  return out;
}

/** Local wall clock minus UTC at `ms`, e.g. −8 h in winter and −7 h in summer. */
function pacificOffsetMs(ms: number): number {
  const w = pacificWallClock(ms);
  const wall = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return wall - Math.floor(ms / 1000) * 1000;
}

/** The quota window a quota id, metric name or message names; a day wins over a minute. */
function scopeOfQuotaName(name: unknown): QuotaScope | undefined {
  if (typeof name !== "string") return undefined;
  // Quota ids such as "GenerateRequestsPerDayPerProjectPerModel-FreeTier" and
  // "GenerateContentInputTokensPerModelPerMinute-FreeTier", metric names such as
  // "…/generate_content_requests_per_minute…", and prose such as "per day" or "daily quota".
  if (/per[ _-]?day|daily/i.test(name)) return "per-day";
  if (/per[ _-]?minute/i.test(name)) return "per-minute";
  return undefined;
}

/** A protobuf Duration in JSON ("37s", "1.5s", "0.250s"), or "900ms" as it appears in messages. */
function durationMs(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(value.trim());
  if (match === null) return undefined;
  const amount = Number(match[1]);
  const ms = match[2] === "ms" ? amount : amount * 1000;
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

/** At most `max` UTF-16 units, never ending in half a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end);
}

function field(value: unknown, name: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}
