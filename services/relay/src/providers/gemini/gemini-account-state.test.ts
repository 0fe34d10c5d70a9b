import { nextPacificMidnightMs } from "@claude-relay/gemini";
import { AccountSignal } from "@claude-relay/proto/lease";
import { describe, expect, it } from "vitest";
import { geminiAccountHeaders, hintsOf, isGeminiFailoverStatus } from "./gemini-account-state.js";

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);

describe("hintsOf", () => {
  const table = [
    { error: { code: 429, status: "RESOURCE_EXHAUSTED", message: "", retryDelayMs: 37_000, quotaScope: "per-minute" as const }, hints: { signal: AccountSignal.RATE_LIMITED, retryAfterMs: 37_000, detail: "per-minute limit reached" } },
    { error: { code: 429, status: "RESOURCE_EXHAUSTED", message: "", quotaScope: "per-day" as const }, hints: { signal: AccountSignal.RATE_LIMITED, retryAfterMs: nextPacificMidnightMs(NOW) - NOW, detail: "per-day quota exhausted" } },
    { error: { code: 429, status: "RESOURCE_EXHAUSTED", message: "" }, hints: { signal: AccountSignal.RATE_LIMITED, retryAfterMs: 0, detail: "rate limited" } },
    { error: { code: 400, status: "INVALID_ARGUMENT", message: "", reason: "API_KEY_INVALID" }, hints: { signal: AccountSignal.UNAUTHORIZED, retryAfterMs: 0, detail: "API key not valid" } },
    { error: { code: 401, status: "UNAUTHENTICATED", message: "" }, hints: { signal: AccountSignal.UNAUTHORIZED, retryAfterMs: 0, detail: "credential refused" } },
    { error: { code: 403, status: "PERMISSION_DENIED", message: "", reason: "SERVICE_DISABLED<x>" }, hints: { signal: AccountSignal.UNAUTHORIZED, retryAfterMs: 0, detail: "permission denied (SERVICE_DISABLEDx)" } },
    { error: { code: 503, status: "UNAVAILABLE", message: "The model is overloaded." }, hints: { signal: AccountSignal.OVERLOADED, retryAfterMs: 0, detail: "model overloaded" } },
    { error: { code: 500, status: "INTERNAL", message: "" }, hints: { signal: AccountSignal.SERVER_ERROR, retryAfterMs: 0, detail: "upstream answered 500" } },
    { error: { code: 400, status: "INVALID_ARGUMENT", message: "contents is required" }, hints: { signal: AccountSignal.NONE, retryAfterMs: 0, detail: "" } },
  ];
  for (const row of table) it(`reads ${row.error.code} ${row.error.status} ${row.error.reason ?? row.error.quotaScope ?? ""}`, () => expect(hintsOf(row.error, NOW)).toEqual(row.hints));

  it("puts a per-day quota aside until after the day ends in California, never for long", () => {
    const { retryAfterMs } = hintsOf({ code: 429, status: "RESOURCE_EXHAUSTED", message: "", quotaScope: "per-day" }, NOW);
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(24 * 3_600_000);
  });
});

describe("what Gemini answers fail over and report", () => {
  it("holds back the statuses another account may not share", () => {
    for (const status of [400, 401, 403, 429, 500, 503]) expect(isGeminiFailoverStatus(status)).toBe(true);
    for (const status of [200, 404, 413]) expect(isGeminiFailoverStatus(status)).toBe(false);
  });

  it("reports only retry-after, and only on an error", () => {
    expect(geminiAccountHeaders({ "retry-after": "3", "x-goog-x": "1" }, false)).toEqual({ "retry-after": "3" });
    expect(geminiAccountHeaders({ "retry-after": "3" }, true)).toEqual({});
  });
});
