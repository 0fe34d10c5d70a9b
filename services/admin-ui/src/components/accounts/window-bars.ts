/**
 * Subscription windows (Claude's anthropic-ratelimit-unified-* headers, the
 * Codex backend's x-codex-primary-* and x-codex-secondary-*) as small bars:
 * the share used, a level for the colour, the window's length where the
 * upstream gave it, and when the window resets. The upstream's own status
 * wins over the share: "rejected" is full and "allowed_warning" at least a
 * warning, whatever the number says. Codex names its windows "primary" and
 * "secondary" and leaves which is which to the plan, so such a window is
 * labelled by its length ("5h", "7d") when it has one.
 */
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { RateLimitWindow } from "@claude-relay/proto/admin";
import { concurrencyLevel, type ConcurrencyLevel } from "./concurrency-level.js";

/** One window as drawn. */
export interface WindowBar {
  /** As sent: "unified", "5h", "7d", "primary", "secondary", … */
  name: string;
  /** The window's length, e.g. "5h" or "7d"; undefined when the upstream did not say. */
  length: string | undefined;
  /** Whole percent used (may pass 100); undefined when the upstream sent no share. */
  percent: number | undefined;
  level: ConcurrencyLevel;
  /** As sent: "allowed", "allowed_warning", "rejected"; "" when not sent. */
  status: string;
  /** When the window resets (ms); undefined when not sent. */
  resetsAtMs: number | undefined;
}

const RANK: Record<ConcurrencyLevel, number> = { ok: 0, warn: 1, full: 2 };

function statusLevel(status: string): ConcurrencyLevel {
  if (status === "rejected") return "full";
  if (status === "allowed_warning") return "warn";
  return "ok";
}

/** Codex's window names: labelled by their length, since the name says nothing of it. */
export const CODEX_WINDOW_NAMES: readonly string[] = ["primary", "secondary"];

/** A window length in the upstream's own style: whole days as "7d", whole hours as "5h", else minutes ("90m"). */
export function windowLength(minutes: number): string {
  if (minutes >= 1440 && minutes % 1440 === 0) return `${minutes / 1440}d`;
  if (minutes >= 60 && minutes % 60 === 0) return `${minutes / 60}h`;
  return `${minutes}m`;
}

/** The bars of an account's windows, in the order sent; windows with neither a share nor a status are left out. */
export function windowBars(windows: readonly RateLimitWindow[]): WindowBar[] {
  return windows
    .filter((w) => w.utilization !== undefined || w.status !== "")
    .map((w) => {
      const percent = w.utilization === undefined ? undefined : Math.round(w.utilization * 100);
      const byShare = percent === undefined ? "ok" : concurrencyLevel(percent, 100);
      const byStatus = statusLevel(w.status);
      return {
        name: w.name,
        length: w.windowMinutes !== undefined && w.windowMinutes > 0 ? windowLength(w.windowMinutes) : undefined,
        percent,
        level: RANK[byStatus] > RANK[byShare] ? byStatus : byShare,
        status: w.status,
        resetsAtMs: w.resetsAt === undefined ? undefined : timestampMs(w.resetsAt),
      };
    });
}
