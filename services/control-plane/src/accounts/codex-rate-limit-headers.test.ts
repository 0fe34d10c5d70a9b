import { describe, expect, it } from "vitest";
import { codexResetAfter429, parseCodexWindows } from "./codex-rate-limit-headers.js";

const NOW = Date.parse("2030-01-01T00:00:00Z");
const secs = (ms: number) => String(ms / 1000);

describe("parseCodexWindows", () => {
  it("reads both windows as a Codex answer sends them: percent as a share, length in minutes, reset from now", () => {
    const windows = parseCodexWindows(
      {
        "x-codex-primary-used-percent": "42.5",
        "x-codex-primary-window-minutes": "300",
        "x-codex-primary-reset-after-seconds": "3600",
        "x-codex-secondary-used-percent": "94",
        "x-codex-secondary-window-minutes": "10080",
        "x-codex-secondary-reset-after-seconds": "486400",
        "x-codex-plan-type": "plus",
      },
      NOW,
    );
    expect(windows).toEqual([
      { name: "primary", status: "", utilization: 0.425, windowMinutes: 300, resetMs: NOW + 3_600_000 },
      { name: "secondary", status: "", utilization: 0.94, windowMinutes: 10080, resetMs: NOW + 486_400_000 },
    ]);
  });

  it("takes reset-at (unix seconds) when no relative reset is sent, and prefers the relative one", () => {
    const at = secs(NOW + 900_000);
    expect(parseCodexWindows({ "x-codex-primary-used-percent": "5", "x-codex-primary-reset-at": at }, NOW)).toEqual([{ name: "primary", status: "", utilization: 0.05, resetMs: NOW + 900_000 }]);
    const both = parseCodexWindows({ "x-codex-primary-reset-after-seconds": "60", "x-codex-primary-reset-at": at }, NOW);
    expect(both[0]?.resetMs).toBe(NOW + 60_000);
  });

  it("ignores malformed, past and absurdly distant values, never guessing one", () => {
    const windows = parseCodexWindows(
      {
        "x-codex-primary-used-percent": "lots",
        "x-codex-primary-window-minutes": "-5",
        "x-codex-primary-reset-after-seconds": "1e9",
        "x-codex-secondary-window-minutes": "12.5",
        "x-codex-secondary-reset-at": secs(NOW - 1_000),
      },
      NOW,
    );
    expect(windows).toEqual([
      { name: "primary", status: "", resetMs: 0 },
      { name: "secondary", status: "", resetMs: 0 },
    ]);
    expect(parseCodexWindows({ "x-codex-primary-reset-after-seconds": String(40 * 24 * 3600) }, NOW)).toEqual([{ name: "primary", status: "", resetMs: 0 }]);
  });

  it("finds nothing in an answer without Codex window headers", () => {
    expect(parseCodexWindows({ "retry-after": "5", "x-codex-plan-type": "pro", "anthropic-ratelimit-unified-status": "allowed" }, NOW)).toEqual([]);
  });
});

describe("codexResetAfter429", () => {
  it("is the latest reset among the used-up windows", () => {
    const headers = {
      "x-codex-primary-used-percent": "100",
      "x-codex-primary-reset-after-seconds": "600",
      "x-codex-secondary-used-percent": "100",
      "x-codex-secondary-reset-after-seconds": "7200",
    };
    expect(codexResetAfter429(headers, NOW)).toBe(NOW + 7_200_000);
    expect(codexResetAfter429({ ...headers, "x-codex-secondary-used-percent": "99.5" }, NOW)).toBe(NOW + 600_000);
  });

  it("is undefined when no window is used up or the used-up one announced no reset", () => {
    expect(codexResetAfter429({ "x-codex-primary-used-percent": "80", "x-codex-primary-reset-after-seconds": "600" }, NOW)).toBeUndefined();
    expect(codexResetAfter429({ "x-codex-primary-used-percent": "100" }, NOW)).toBeUndefined();
  });
});
