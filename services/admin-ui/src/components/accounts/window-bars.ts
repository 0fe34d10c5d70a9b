/**
 * Subscription windows (the upstream's anthropic-ratelimit-unified-* headers)
 * as small bars: the share used, a level for the colour, and when the window
 * resets. The upstream's own status wins over the share: "rejected" is full
 * and "allowed_warning" at least a warning, whatever the number says.
 */
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { RateLimitWindow } from "@claude-relay/proto/admin";
import { concurrencyLevel, type ConcurrencyLevel } from "./concurrency-level.js";

/** One window as drawn. */
export interface WindowBar {
  /** As sent: "unified", "5h", "7d", … */
  name: string;
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
        percent,
        level: RANK[byStatus] > RANK[byShare] ? byStatus : byShare,
        status: w.status,
        resetsAtMs: w.resetsAt === undefined ? undefined : timestampMs(w.resetsAt),
      };
    });
}
