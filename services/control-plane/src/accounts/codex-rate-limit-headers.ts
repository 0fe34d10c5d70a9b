/**
 * The usage windows the Codex backend (ChatGPT sign-in) reports on every
 * answer, pure: `x-codex-primary-*` and `x-codex-secondary-*`, each with
 * `used-percent` (0–100, may have a fraction), `window-minutes`,
 * `reset-after-seconds` and, from some versions, `reset-at` (unix seconds).
 * Which window is which is the backend's choice (a plan may report its weekly
 * window as primary), so the length travels with each window. They become
 * RateWindows named "primary" and "secondary" beside Claude's unified windows,
 * and are stored, shown and scheduled on the same way (rate-limit-headers.ts,
 * account-health.ts). Header names arrive lower-cased; a malformed value is
 * ignored, never guessed.
 */
import type { RateWindow } from "./rate-limit-headers.js";

/** The Codex windows, in the order they are listed. */
export const CODEX_WINDOWS = ["primary", "secondary"] as const;

const CODEX_HEADER = /^x-codex-(primary|secondary)-(used-percent|window-minutes|reset-after-seconds|reset-at)$/;
/** A reset further away than this is not believed (a unit mix-up, or a hostile header). */
const MAX_RESET_AHEAD_MS = 31 * 24 * 3600_000;

/** True for a header this module reads. */
export function isCodexRateLimitHeader(name: string): boolean {
  return CODEX_HEADER.test(name);
}

/**
 * The Codex windows in the headers, "primary" first; empty when none was sent. A relative reset
 * (`reset-after-seconds`) is counted from nowMs and wins over `reset-at`: it needs no agreement
 * between the two clocks.
 */
export function parseCodexWindows(headers: Readonly<Record<string, string>>, nowMs: number): RateWindow[] {
  const windows: RateWindow[] = [];
  for (const name of CODEX_WINDOWS) {
    const prefix = `x-codex-${name}-`;
    const read = (field: string) => headers[`${prefix}${field}`]?.trim();
    const used = read("used-percent");
    const minutes = read("window-minutes");
    const after = read("reset-after-seconds");
    const at = read("reset-at");
    if (used === undefined && minutes === undefined && after === undefined && at === undefined) continue;
    const window: RateWindow = { name, status: "", resetMs: 0 };
    const percent = decimal(used);
    if (percent !== undefined) window.utilization = percent / 100;
    const length = decimal(minutes);
    if (length !== undefined && Number.isInteger(length) && length > 0 && length <= 366 * 24 * 60) window.windowMinutes = length;
    const resetMs = resetOf(decimal(after), decimal(at), nowMs);
    if (resetMs !== undefined) window.resetMs = resetMs;
    windows.push(window);
  }
  return windows;
}

/**
 * When a Codex 429 ends, from its windows: the latest reset among the windows
 * used up (used-percent ≥ 100), since the account is out until all of them
 * are over. Undefined when no used-up window announced a usable reset.
 */
export function codexResetAfter429(headers: Readonly<Record<string, string>>, nowMs: number): number | undefined {
  let until: number | undefined;
  for (const window of parseCodexWindows(headers, nowMs)) {
    if ((window.utilization ?? 0) < 1 || window.resetMs <= nowMs) continue;
    until = Math.max(until ?? 0, window.resetMs);
  }
  return until;
}

function resetOf(afterSeconds: number | undefined, atSeconds: number | undefined, nowMs: number): number | undefined {
  const relative = afterSeconds === undefined ? undefined : nowMs + Math.round(afterSeconds * 1000);
  if (relative !== undefined && relative - nowMs <= MAX_RESET_AHEAD_MS) return relative;
  const absolute = atSeconds === undefined ? undefined : Math.round(atSeconds * 1000);
  return absolute !== undefined && absolute > nowMs && absolute - nowMs <= MAX_RESET_AHEAD_MS ? absolute : undefined;
}

/** A non-negative decimal number as sent; undefined for anything else. */
function decimal(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,12}(\.\d+)?$/.test(value)) return undefined;
  return Number(value);
}
