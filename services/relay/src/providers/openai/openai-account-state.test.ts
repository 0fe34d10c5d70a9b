import { AccountSignal } from "@claude-relay/proto/lease";
import { describe, expect, it } from "vitest";
import type { ResponseHeaders } from "../provider.js";
import { durationMs, isOpenAiFailoverStatus, openAiAccountHeaders, openAiHintsOf, retryAfterMsOf } from "./openai-account-state.js";

const NOW = 1_700_000_000_000;

describe("openAiHintsOf", () => {
  const table: Array<{ name: string; status: number; body: unknown; headers?: ResponseHeaders; signal: AccountSignal; retryAfterMs?: number; detail?: string }> = [
    {
      name: "a Codex usage limit, by resets_in_seconds",
      status: 429,
      body: { error: { type: "usage_limit_reached", message: "The usage limit has been reached", plan_type: "plus", resets_at: NOW / 1000 + 999, resets_in_seconds: 120 } },
      signal: AccountSignal.RATE_LIMITED,
      retryAfterMs: 120_000,
      detail: "usage limit reached (plus plan)",
    },
    { name: "a Codex usage limit, by resets_at alone", status: 429, body: { error: { type: "usage_limit_reached", resets_at: NOW / 1000 + 30 } }, signal: AccountSignal.RATE_LIMITED, retryAfterMs: 30_000 },
    {
      name: "an API 429, by its exhausted window",
      status: 429,
      body: { error: { message: "Rate limit reached", type: "requests", code: "rate_limit_exceeded" } },
      headers: { "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "6m0s", "x-ratelimit-remaining-tokens": "10", "x-ratelimit-reset-tokens": "20ms" },
      signal: AccountSignal.RATE_LIMITED,
      retryAfterMs: 360_000,
      detail: "rate limited",
    },
    { name: "an API 429, by retry-after", status: 429, body: {}, headers: { "retry-after": "7" }, signal: AccountSignal.RATE_LIMITED, retryAfterMs: 7_000 },
    { name: "no credit left", status: 429, body: { error: { type: "insufficient_quota", code: "insufficient_quota" } }, signal: AccountSignal.UNAUTHORIZED, detail: "insufficient quota" },
    { name: "a deactivated workspace", status: 402, body: { detail: { code: "deactivated_workspace" } }, signal: AccountSignal.BANNED, detail: "account deactivated (deactivated_workspace)" },
    { name: "a deactivated account", status: 401, body: { error: { message: "…", type: "invalid_request_error", code: "account_deactivated" } }, signal: AccountSignal.BANNED },
    { name: "a disabled organisation", status: 403, body: { error: { code: "organization_disabled" } }, signal: AccountSignal.BANNED },
    { name: "a wrong key", status: 401, body: { error: { code: "invalid_api_key" } }, signal: AccountSignal.UNAUTHORIZED, detail: "credential refused (invalid_api_key)" },
    { name: "a token the Codex backend cannot read", status: 401, body: { detail: "Could not parse your authentication token." }, signal: AccountSignal.UNAUTHORIZED, detail: "credential refused" },
    { name: "a workspace the token is not a member of", status: 403, body: { detail: "You do not have access to workspace x." }, signal: AccountSignal.UNAUTHORIZED },
    { name: "an HTML page from a proxy", status: 502, body: undefined, signal: AccountSignal.SERVER_ERROR },
    { name: "an overloaded server", status: 503, body: { error: { code: "server_is_overloaded" } }, signal: AccountSignal.OVERLOADED },
    { name: "a bad request", status: 400, body: { error: { code: "previous_response_not_found", param: "previous_response_id" } }, signal: AccountSignal.NONE, detail: "" },
  ];
  for (const row of table) {
    it(`reads ${row.name}`, () => {
      const hints = openAiHintsOf(row.status, row.headers ?? {}, row.body, NOW);
      expect(hints?.signal).toBe(row.signal);
      if (row.retryAfterMs !== undefined) expect(hints?.retryAfterMs).toBe(row.retryAfterMs);
      if (row.detail !== undefined) expect(hints?.detail).toBe(row.detail);
    });
  }

  it("has nothing to say about a success", () => {
    expect(openAiHintsOf(200, {}, {}, NOW)).toBeUndefined();
  });
});

describe("retryAfterMsOf and durationMs", () => {
  it("reads Go-style durations", () => {
    expect(durationMs("20ms")).toBe(20);
    expect(durationMs("1s")).toBe(1_000);
    expect(durationMs("6m0s")).toBe(360_000);
    expect(durationMs("1h2m3.5s")).toBe(3_723_500);
    expect(durationMs("soon")).toBeUndefined();
  });

  it("prefers retry-after-ms, then retry-after, then the shortest reset when no window is exhausted", () => {
    expect(retryAfterMsOf({ "retry-after-ms": "250", "retry-after": "9" })).toBe(250);
    expect(retryAfterMsOf({ "x-ratelimit-reset-requests": "2s", "x-ratelimit-reset-tokens": "1s" })).toBe(1_000);
    expect(retryAfterMsOf({})).toBeUndefined();
  });
});

describe("failover statuses and account headers", () => {
  it("fails over what another account may not share", () => {
    expect([401, 402, 403, 429, 500, 503].every(isOpenAiFailoverStatus)).toBe(true);
    expect([400, 404, 409, 422].some(isOpenAiFailoverStatus)).toBe(false);
  });

  it("passes the Codex windows, the rate-limit headers and retry-after, lower-cased, nothing else", () => {
    const headers = {
      "X-Codex-Primary-Used-Percent": "42",
      "x-codex-secondary-window-minutes": "10080",
      "x-ratelimit-remaining-tokens": "10",
      "retry-after": "3",
      "x-request-id": "req_1",
      "set-cookie": ["a", "b"],
    };
    expect(openAiAccountHeaders(headers, true)).toEqual({
      "x-codex-primary-used-percent": "42",
      "x-codex-secondary-window-minutes": "10080",
      "x-ratelimit-remaining-tokens": "10",
      "retry-after": "3",
    });
  });
});
