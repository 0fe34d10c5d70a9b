/**
 * What the upstream's rate-limit headers say about an account, pure. Two
 * readings: when a 429 ends (`resetAfter429`), and the subscription windows
 * (Claude's `anthropic-ratelimit-unified-*`, the Codex backend's
 * `x-codex-primary-*` and `x-codex-secondary-*`, codex-rate-limit-headers.ts)
 * with how much headroom they leave, whether one is nearly used up and whether
 * one is exhausted. Header names arrive lower-cased (the relay's
 * classify-outcome); values the upstream sent malformed are ignored, never
 * guessed.
 */
import { codexResetAfter429, isCodexRateLimitHeader, parseCodexWindows } from "./codex-rate-limit-headers.js";

/** One subscription window as the upstream reported it. */
export interface RateWindow {
  /** "unified" for the overall status, else the name in the header ("5h", "7d", "7d_opus"). */
  name: string;
  /** As sent ("allowed", "allowed_warning", "rejected"); "" when not sent. */
  status: string;
  /** Share used, 1 = exhausted; undefined when not sent. */
  utilization?: number;
  /** When the window resets (ms); 0 when not sent. */
  resetMs: number;
  /** The window's length in minutes, where the upstream says it (Codex). */
  windowMinutes?: number;
}

/** The name of the overall window (`anthropic-ratelimit-unified-status` / `-reset`). */
export const UNIFIED_WINDOW = "unified";

const UNIFIED = /^anthropic-ratelimit-unified-(?:(.+)-)?(status|utilization|reset)$/;
const OTHER_RESET = /^anthropic-ratelimit-(?!unified-).+-reset$/;
/** A reset further away than this is not believed (a unit mix-up, or a hostile header). */
const MAX_RESET_AHEAD_MS = 31 * 24 * 3600_000;
/** A window used this much or more is near its end: its account is passed over while others have headroom. */
export const NEAR_END_UTILIZATION = 0.9;

/** True for a response header account health reads: `retry-after`, `anthropic-ratelimit-*` and the Codex windows' `x-codex-*`. */
export function isRateLimitHeader(name: string): boolean {
  return name === "retry-after" || name.startsWith("anthropic-ratelimit-") || isCodexRateLimitHeader(name);
}

/**
 * When a 429 ends, from the headers in the order the upstream is most precise:
 * `anthropic-ratelimit-unified-reset` (unix seconds), then the earliest
 * `anthropic-ratelimit-*-reset` (RFC 3339), then the reset of the used-up Codex
 * windows, then `retry-after` (seconds or an HTTP date; the relay also sends a
 * Codex `usage_limit_reached` body's `resets_in_seconds` this way). Only times
 * after nowMs count; undefined when none is usable.
 */
export function resetAfter429(headers: Readonly<Record<string, string>>, nowMs: number): number | undefined {
  const unified = unixSecondsMs(headers["anthropic-ratelimit-unified-reset"]);
  if (isAhead(unified, nowMs)) return unified;
  let earliest: number | undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (!OTHER_RESET.test(name)) continue;
    const at = rfc3339Ms(value);
    if (isAhead(at, nowMs) && (earliest === undefined || at < earliest)) earliest = at;
  }
  if (earliest !== undefined) return earliest;
  const codex = codexResetAfter429(headers, nowMs);
  if (isAhead(codex, nowMs)) return codex;
  const retryAfter = retryAfterMs(headers["retry-after"], nowMs);
  return isAhead(retryAfter, nowMs) ? retryAfter : undefined;
}

/**
 * The subscription windows in the headers: Claude's ("unified" first, then by name), then the Codex
 * backend's ("primary", "secondary", whose relative resets count from nowMs); empty when none was sent.
 */
export function parseRateWindows(headers: Readonly<Record<string, string>>, nowMs: number): RateWindow[] {
  const byName = new Map<string, RateWindow>();
  for (const [header, raw] of Object.entries(headers)) {
    const match = UNIFIED.exec(header);
    if (!match) continue;
    const name = match[1] ?? UNIFIED_WINDOW;
    const window = byName.get(name) ?? { name, status: "", resetMs: 0 };
    const value = raw.trim();
    if (match[2] === "status") window.status = value.slice(0, 32);
    else if (match[2] === "reset") window.resetMs = unixSecondsMs(value) ?? 0;
    else {
      const utilization = Number(value);
      if (value !== "" && Number.isFinite(utilization) && utilization >= 0) window.utilization = utilization;
    }
    byName.set(name, window);
  }
  const claude = [...byName.values()].sort((a, b) => (a.name === UNIFIED_WINDOW ? -1 : b.name === UNIFIED_WINDOW ? 1 : a.name.localeCompare(b.name)));
  return [...claude, ...parseCodexWindows(headers, nowMs)];
}

/** True while the window counts: it has not reset yet, or never said when it would. */
function isCurrent(window: RateWindow, nowMs: number): boolean {
  return window.resetMs === 0 || window.resetMs > nowMs;
}

/**
 * Until when the upstream said the account is exhausted: the overall status is
 * "rejected", or a window is used up (utilization ≥ 1), before its reset.
 * Undefined when nothing is exhausted; 0 when exhausted with no reset announced.
 */
export function exhaustedUntil(windows: readonly RateWindow[], nowMs: number): number | undefined {
  let until: number | undefined;
  for (const window of windows) {
    if (!isCurrent(window, nowMs)) continue;
    const exhausted = (window.name === UNIFIED_WINDOW && window.status === "rejected") || (window.utilization ?? 0) >= 1;
    if (!exhausted) continue;
    // The latest reset of the exhausted windows is when all of them are over.
    if (window.resetMs === 0) return 0;
    until = Math.max(until ?? 0, window.resetMs);
  }
  return until;
}

/** The highest utilization among current windows (0 when none reported one): lower means more headroom. */
export function peakUtilization(windows: readonly RateWindow[], nowMs: number): number {
  let peak = 0;
  for (const window of windows) if (isCurrent(window, nowMs) && window.utilization !== undefined) peak = Math.max(peak, window.utilization);
  return peak;
}

/**
 * True when a current window is nearly used up (utilization ≥ NEAR_END_UTILIZATION) or the upstream said
 * "rejected" for it (a named window such as overage: not exhaustion, but no headroom either).
 */
export function isNearEnd(windows: readonly RateWindow[], nowMs: number): boolean {
  return windows.some((w) => isCurrent(w, nowMs) && (w.status === "rejected" || (w.utilization ?? 0) >= NEAR_END_UTILIZATION));
}

function isAhead(at: number | undefined, nowMs: number): at is number {
  return at !== undefined && at > nowMs && at - nowMs <= MAX_RESET_AHEAD_MS;
}

function unixSecondsMs(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d{1,12}(\.\d+)?\s*$/.test(value)) return undefined;
  return Math.round(Number(value) * 1000);
}

function rfc3339Ms(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(value.trim())) return undefined;
  const at = Date.parse(value.trim());
  return Number.isNaN(at) ? undefined : at;
}

function retryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d{1,9}(\.\d+)?$/.test(trimmed)) return nowMs + Math.round(Number(trimmed) * 1000);
  // RFC 9110 §10.2.3: an HTTP date is allowed too.
  const at = Date.parse(trimmed);
  return /[a-z]/i.test(trimmed) && !Number.isNaN(at) ? at : undefined;
}
