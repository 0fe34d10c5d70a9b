import { describe, expect, it } from "vitest";
import { exhaustedUntil, isNearEnd, isRateLimitHeader, parseRateWindows, peakUtilization, resetAfter429, type RateWindow } from "./rate-limit-headers.js";

const NOW = Date.parse("2030-01-01T00:00:00Z");
const secs = (ms: number) => String(Math.floor(ms / 1000));

describe("resetAfter429", () => {
  it("prefers the unified reset (unix seconds) over every other header", () => {
    const headers = {
      "anthropic-ratelimit-unified-reset": secs(NOW + 3_600_000),
      "anthropic-ratelimit-requests-reset": "2030-01-01T00:00:30Z",
      "retry-after": "5",
    };
    expect(resetAfter429(headers, NOW)).toBe(NOW + 3_600_000);
  });

  it("takes the earliest future RFC 3339 reset among the other anthropic-ratelimit-*-reset headers", () => {
    const headers = {
      "anthropic-ratelimit-requests-reset": "2030-01-01T00:02:00Z",
      "anthropic-ratelimit-input-tokens-reset": "2030-01-01T00:00:45Z",
      "anthropic-ratelimit-tokens-reset": "2029-12-31T23:00:00Z",
      "retry-after": "5",
    };
    expect(resetAfter429(headers, NOW)).toBe(NOW + 45_000);
  });

  it("falls back to retry-after in seconds, then as an HTTP date", () => {
    expect(resetAfter429({ "retry-after": "12" }, NOW)).toBe(NOW + 12_000);
    expect(resetAfter429({ "retry-after": "Tue, 01 Jan 2030 00:01:00 GMT" }, NOW)).toBe(NOW + 60_000);
  });

  it("takes a used-up Codex window's reset before retry-after, and retry-after when no Codex window is used up", () => {
    const codex = { "x-codex-primary-used-percent": "100", "x-codex-primary-reset-after-seconds": "1800", "retry-after": "30" };
    expect(resetAfter429(codex, NOW)).toBe(NOW + 1_800_000);
    expect(resetAfter429({ ...codex, "x-codex-primary-used-percent": "64" }, NOW)).toBe(NOW + 30_000);
  });

  it("ignores past, malformed and absurdly distant resets", () => {
    expect(resetAfter429({ "anthropic-ratelimit-unified-reset": secs(NOW - 1_000), "retry-after": "3" }, NOW)).toBe(NOW + 3_000);
    expect(resetAfter429({ "anthropic-ratelimit-unified-reset": "soon", "anthropic-ratelimit-requests-reset": "tomorrow" }, NOW)).toBeUndefined();
    expect(resetAfter429({ "anthropic-ratelimit-unified-reset": secs(NOW + 400 * 24 * 3_600_000) }, NOW)).toBeUndefined();
    expect(resetAfter429({}, NOW)).toBeUndefined();
  });
});

describe("parseRateWindows", () => {
  it("reads the overall status and every named window's status, utilization and reset", () => {
    const windows = parseRateWindows({
      "anthropic-ratelimit-unified-status": "allowed_warning",
      "anthropic-ratelimit-unified-reset": secs(NOW + 1_000_000),
      "anthropic-ratelimit-unified-5h-status": "allowed",
      "anthropic-ratelimit-unified-5h-utilization": "0.42",
      "anthropic-ratelimit-unified-5h-reset": secs(NOW + 2_000_000),
      "anthropic-ratelimit-unified-7d-utilization": "0.9",
      "anthropic-ratelimit-unified-7d_opus-utilization": "1.0",
      "anthropic-ratelimit-requests-remaining": "10",
      "retry-after": "3",
    }, NOW);
    expect(windows).toEqual([
      { name: "unified", status: "allowed_warning", resetMs: NOW + 1_000_000 },
      { name: "5h", status: "allowed", utilization: 0.42, resetMs: NOW + 2_000_000 },
      { name: "7d", status: "", utilization: 0.9, resetMs: 0 },
      { name: "7d_opus", status: "", utilization: 1, resetMs: 0 },
    ]);
  });

  it("drops utilizations that are not non-negative numbers and finds nothing in unrelated headers", () => {
    expect(parseRateWindows({ "anthropic-ratelimit-unified-5h-utilization": "lots" }, NOW)).toEqual([{ name: "5h", status: "", resetMs: 0 }]);
    expect(parseRateWindows({ "anthropic-ratelimit-tokens-remaining": "5", "retry-after": "1" }, NOW)).toEqual([]);
  });

  it("lists Claude's windows first, then the Codex backend's", () => {
    const windows = parseRateWindows({ "x-codex-primary-used-percent": "12", "anthropic-ratelimit-unified-5h-utilization": "0.5" }, NOW);
    expect(windows.map((w) => w.name)).toEqual(["5h", "primary"]);
  });
});

describe("exhaustedUntil and peakUtilization", () => {
  const w = (over: Partial<RateWindow>): RateWindow => ({ name: "5h", status: "", resetMs: 0, ...over });

  it("calls an account exhausted while the overall status is rejected, until its reset", () => {
    const windows = [w({ name: "unified", status: "rejected", resetMs: NOW + 60_000 })];
    expect(exhaustedUntil(windows, NOW)).toBe(NOW + 60_000);
    expect(exhaustedUntil(windows, NOW + 60_000)).toBeUndefined();
  });

  it("calls an account exhausted while a window is used up, until the last such window resets", () => {
    const windows = [w({ utilization: 1, resetMs: NOW + 10_000 }), w({ name: "7d", utilization: 1.2, resetMs: NOW + 90_000 }), w({ name: "x", utilization: 0.99 })];
    expect(exhaustedUntil(windows, NOW)).toBe(NOW + 90_000);
    expect(exhaustedUntil([w({ utilization: 0.99, resetMs: NOW + 10_000 })], NOW)).toBeUndefined();
  });

  it("does not treat a rejected named window (like overage) as exhaustion", () => {
    expect(exhaustedUntil([w({ name: "overage", status: "rejected" })], NOW)).toBeUndefined();
  });

  it("calls a window near its end from 90% used, or when said rejected, while it has not reset", () => {
    expect(isNearEnd([w({ utilization: 0.89 }), w({ name: "7d", utilization: 0.5 })], NOW)).toBe(false);
    expect(isNearEnd([w({ utilization: 0.2 }), w({ name: "primary", utilization: 0.9, resetMs: NOW + 1 })], NOW)).toBe(true);
    expect(isNearEnd([w({ name: "overage", status: "rejected" })], NOW)).toBe(true);
    expect(isNearEnd([w({ utilization: 0.95, resetMs: NOW })], NOW)).toBe(false);
    expect(isNearEnd([], NOW)).toBe(false);
  });

  it("reports the highest utilization among windows that have not reset", () => {
    const windows = [w({ utilization: 0.3, resetMs: NOW + 10 }), w({ name: "7d", utilization: 0.8, resetMs: NOW - 10 }), w({ name: "x" })];
    expect(peakUtilization(windows, NOW)).toBe(0.3);
    expect(peakUtilization([], NOW)).toBe(0);
  });
});

describe("isRateLimitHeader", () => {
  it("keeps retry-after, anthropic-ratelimit-* and the Codex window headers, and nothing else", () => {
    for (const name of ["retry-after", "anthropic-ratelimit-unified-reset", "x-codex-primary-used-percent", "x-codex-secondary-reset-at"]) expect(isRateLimitHeader(name)).toBe(true);
    for (const name of ["x-codex-plan-type", "x-codex-primary-other", "set-cookie", "x-ratelimit-remaining-requests"]) expect(isRateLimitHeader(name)).toBe(false);
  });
});
