import { AccountSignal, OutcomeKind } from "@claude-relay/proto/lease";
import { describe, expect, it } from "vitest";
import {
  applyHealthEvent,
  availability,
  DEFAULT_HEALTH_CONFIG as CONFIG,
  HEALTHY,
  healthEventFor,
  viewHealth,
  windowsFromOutcome,
  type HealthEvent,
  type HealthOutcome,
  type HealthState,
} from "./account-health.js";

const NOW = 1_900_000_000_000;
const outcome = (over: Partial<HealthOutcome>): HealthOutcome => ({ kind: OutcomeKind.UPSTREAM_ERROR, status: 500, headers: {}, detail: "", ...over });
const apply = (state: HealthState, event: HealthEvent, nowMs = NOW, isProbe = false) => applyHealthEvent(state, event, { nowMs, isProbe, config: CONFIG });
const failure: HealthEvent = { kind: "failure", reason: "upstream answered 502" };

describe("healthEventFor", () => {
  it("rate-limits a 429 until the announced reset, or for the default time", () => {
    const reset = String((NOW + 7_200_000) / 1000);
    expect(healthEventFor(outcome({ status: 429, headers: { "anthropic-ratelimit-unified-reset": reset } }), NOW, CONFIG)).toEqual({
      kind: "block",
      status: "rate_limited",
      reason: "upstream answered 429",
      untilMs: NOW + 7_200_000,
    });
    expect(healthEventFor(outcome({ status: 429 }), NOW, CONFIG)).toMatchObject({ untilMs: NOW + CONFIG.rateLimitDefaultMs });
  });

  it("rate-limits a Codex 429 until its used-up window resets", () => {
    const headers = { "x-codex-primary-used-percent": "100", "x-codex-primary-reset-after-seconds": "5400" };
    expect(healthEventFor(outcome({ status: 429, headers, detail: "usage_limit_reached" }), NOW, CONFIG)).toEqual({
      kind: "block",
      status: "rate_limited",
      reason: "upstream answered 429: usage_limit_reached",
      untilMs: NOW + 5_400_000,
    });
  });

  it("marks 529 overloaded for the cooldown and 401/403 unauthorized with no end", () => {
    expect(healthEventFor(outcome({ status: 529 }), NOW, CONFIG)).toMatchObject({ kind: "block", status: "overloaded", untilMs: NOW + CONFIG.overloadCooldownMs });
    expect(healthEventFor(outcome({ status: 401 }), NOW, CONFIG)).toMatchObject({ kind: "block", status: "unauthorized", untilMs: 0 });
    expect(healthEventFor(outcome({ status: 403 }), NOW, CONFIG)).toMatchObject({ kind: "block", status: "unauthorized", reason: "upstream answered 403" });
  });

  it("counts 5xx and connection failures for the breaker, with the detail in the reason", () => {
    expect(healthEventFor(outcome({ status: 503 }), NOW, CONFIG)).toEqual({ kind: "failure", reason: "upstream answered 503" });
    expect(healthEventFor(outcome({ kind: OutcomeKind.CONNECTION_FAILURE, status: 0, detail: "connection refused" }), NOW, CONFIG)).toEqual({
      kind: "failure",
      reason: "connection failure: connection refused",
    });
  });

  it("treats success as success and leaves client aborts, stream breaks and other 4xx alone", () => {
    expect(healthEventFor(outcome({ kind: OutcomeKind.SUCCESS, status: 200 }), NOW, CONFIG)).toEqual({ kind: "success" });
    expect(healthEventFor(outcome({ kind: OutcomeKind.CLIENT_ABORTED, status: 200 }), NOW, CONFIG)).toEqual({ kind: "none" });
    expect(healthEventFor(outcome({ kind: OutcomeKind.STREAM_INTERRUPTED, status: 200 }), NOW, CONFIG)).toEqual({ kind: "none" });
    expect(healthEventFor(outcome({ status: 400 }), NOW, CONFIG)).toEqual({ kind: "none" });
  });
});

describe("healthEventFor with a provider's signal", () => {
  const retryAt = NOW + 37_000;
  const retryAfter = { "retry-after": "37" };
  it.each([
    // The status says one thing, the signal another: the signal decides.
    { signal: AccountSignal.RATE_LIMITED, status: 429, headers: retryAfter, detail: "per-day quota exhausted", event: { kind: "block", status: "rate_limited", reason: "upstream answered 429: per-day quota exhausted", untilMs: retryAt } },
    { signal: AccountSignal.RATE_LIMITED, status: 429, headers: {}, detail: "", event: { kind: "block", status: "rate_limited", reason: "upstream answered 429", untilMs: NOW + CONFIG.rateLimitDefaultMs } },
    { signal: AccountSignal.RATE_LIMITED, status: 400, headers: retryAfter, detail: "quota", event: { kind: "block", status: "rate_limited", reason: "upstream answered 400: quota", untilMs: retryAt } },
    { signal: AccountSignal.OVERLOADED, status: 503, headers: {}, detail: "model is overloaded", event: { kind: "block", status: "overloaded", reason: "upstream answered 503: model is overloaded", untilMs: NOW + CONFIG.overloadCooldownMs } },
    { signal: AccountSignal.UNAUTHORIZED, status: 400, headers: {}, detail: "API key not valid", event: { kind: "block", status: "unauthorized", reason: "upstream answered 400: API key not valid", untilMs: 0 } },
    { signal: AccountSignal.SERVER_ERROR, status: 500, headers: {}, detail: "", event: { kind: "failure", reason: "upstream answered 500" } },
    { signal: AccountSignal.NONE, status: 429, headers: retryAfter, detail: "", event: { kind: "none" } },
    { signal: AccountSignal.NONE, status: 500, headers: {}, detail: "", event: { kind: "none" } },
  ])("reads $signal on a $status as $event.kind", ({ signal, status, headers, detail, event }) => {
    expect(healthEventFor(outcome({ status, headers, detail, signal }), NOW, CONFIG)).toEqual(event);
  });

  it("reads a signal on a stream that broke after a 200 without naming the status", () => {
    const broke = outcome({ kind: OutcomeKind.STREAM_INTERRUPTED, status: 200, detail: "RESOURCE_EXHAUSTED", signal: AccountSignal.RATE_LIMITED });
    expect(healthEventFor(broke, NOW, CONFIG)).toMatchObject({ kind: "block", status: "rate_limited", reason: "upstream error: RESOURCE_EXHAUSTED" });
  });

  it("keeps success and connection failure what they are, whatever the signal", () => {
    expect(healthEventFor(outcome({ kind: OutcomeKind.SUCCESS, status: 200, signal: AccountSignal.NONE }), NOW, CONFIG)).toEqual({ kind: "success" });
    expect(healthEventFor(outcome({ kind: OutcomeKind.CONNECTION_FAILURE, status: 0, signal: AccountSignal.NONE }), NOW, CONFIG)).toMatchObject({ kind: "failure" });
  });

  it("reads the status as before when the signal is unspecified or unknown", () => {
    for (const signal of [AccountSignal.UNSPECIFIED, undefined, 99 as AccountSignal]) {
      expect(healthEventFor(outcome({ status: 529, signal }), NOW, CONFIG)).toEqual({ kind: "block", status: "overloaded", reason: "upstream answered 529", untilMs: NOW + CONFIG.overloadCooldownMs });
      expect(healthEventFor(outcome({ status: 400, signal }), NOW, CONFIG)).toEqual({ kind: "none" });
    }
  });

  it("adds a 429's detail to its reason, once", () => {
    expect(healthEventFor(outcome({ status: 429, detail: "per-minute limit" }), NOW, CONFIG)).toMatchObject({ reason: "upstream answered 429: per-minute limit" });
    // The Claude relay's detail for a status is the same words: not repeated.
    expect(healthEventFor(outcome({ status: 429, detail: "upstream answered 429" }), NOW, CONFIG)).toMatchObject({ reason: "upstream answered 429" });
  });
});

describe("applyHealthEvent", () => {
  it("opens the breaker on the third failure within the window and forgets older ones", () => {
    let state: HealthState = { ...HEALTHY, failures: [] };
    state = apply(state, failure, NOW - CONFIG.breakerWindowMs - 1);
    state = apply(state, failure, NOW - 1_000);
    state = apply(state, failure, NOW);
    expect(state).toMatchObject({ status: "healthy", failures: [NOW - 1_000, NOW] });
    state = apply(state, failure, NOW + 1_000);
    expect(state).toEqual({ status: "circuit_open", reason: "upstream answered 502", untilMs: NOW + 1_000 + CONFIG.breakerOpenMs, sinceMs: NOW + 1_000, failures: [] });
  });

  it("half-opens after the open time; the probe's success closes it and its failure re-opens it", () => {
    const open: HealthState = { status: "circuit_open", reason: "x", untilMs: NOW, sinceMs: NOW - 60_000, failures: [] };
    expect(viewHealth(open, NOW - 1)).toBe("circuit_open");
    expect(viewHealth(open, NOW)).toBe("half_open");
    expect(apply(open, { kind: "success" }, NOW + 10, true)).toEqual({ ...HEALTHY, failures: [] });
    expect(apply(open, failure, NOW + 10, true)).toMatchObject({ status: "circuit_open", untilMs: NOW + 10 + CONFIG.breakerOpenMs });
  });

  it("ignores successes and failures of older requests while the breaker is still open", () => {
    const open: HealthState = { status: "circuit_open", reason: "x", untilMs: NOW + 30_000, sinceMs: NOW - 30_000, failures: [] };
    expect(apply(open, { kind: "success" })).toEqual(open);
    expect(apply(open, failure)).toEqual(open);
  });

  it("never shortens a longer block and never lets a block replace unauthorized", () => {
    const limited: HealthState = { status: "rate_limited", reason: "429", untilMs: NOW + 3_600_000, sinceMs: NOW, failures: [] };
    expect(apply(limited, { kind: "block", status: "overloaded", reason: "529", untilMs: NOW + 60_000 })).toEqual(limited);
    expect(apply(limited, { kind: "block", status: "overloaded", reason: "529", untilMs: NOW + 7_200_000 })).toMatchObject({ status: "overloaded" });
    const unauthorized = apply(limited, { kind: "block", status: "unauthorized", reason: "401", untilMs: 0 });
    expect(unauthorized).toMatchObject({ status: "unauthorized", untilMs: 0 });
    expect(apply(unauthorized, { kind: "block", status: "rate_limited", reason: "429", untilMs: NOW + 9e9 })).toEqual(unauthorized);
    expect(apply(unauthorized, { kind: "success" })).toEqual(unauthorized);
  });

  it("lets a new block replace one whose time is over", () => {
    const over: HealthState = { status: "overloaded", reason: "529", untilMs: NOW - 1, sinceMs: NOW - 60_000, failures: [] };
    expect(apply(over, { kind: "block", status: "rate_limited", reason: "429", untilMs: NOW + 5 })).toMatchObject({ status: "rate_limited", untilMs: NOW + 5 });
  });

  it("lets banned replace any state, unauthorized too, and lifts it only on reset, never on reauthorized or success", () => {
    const ban: HealthEvent = { kind: "block", status: "banned", reason: "upstream answered 403: workspace deactivated", untilMs: 0 };
    const unauthorized: HealthState = { status: "unauthorized", reason: "401", untilMs: 0, sinceMs: NOW - 5, failures: [] };
    const banned = apply(unauthorized, ban);
    expect(banned).toEqual({ status: "banned", reason: ban.reason, untilMs: 0, sinceMs: NOW, failures: [] });
    expect(apply({ ...HEALTHY, status: "rate_limited", untilMs: NOW + 9e9 }, ban)).toMatchObject({ status: "banned" });
    expect(apply(banned, { kind: "block", status: "unauthorized", reason: "OAuth refresh failed", untilMs: 0 })).toEqual(banned);
    expect(apply(banned, { kind: "block", status: "rate_limited", reason: "429", untilMs: NOW + 9e9 })).toEqual(banned);
    expect(apply(banned, { kind: "reauthorized" })).toEqual(banned);
    expect(apply(banned, { kind: "success" })).toEqual(banned);
    for (let i = 0; i < CONFIG.breakerFailures; i++) expect(apply(banned, failure, NOW + i).status).toBe("banned");
    expect(apply(banned, { kind: "reset" })).toEqual({ ...HEALTHY, failures: [] });
  });

  it("lifts unauthorized only on reauthorized or reset, and reset clears everything", () => {
    const unauthorized: HealthState = { status: "unauthorized", reason: "401", untilMs: 0, sinceMs: NOW, failures: [NOW] };
    expect(apply(unauthorized, { kind: "reauthorized" })).toEqual({ ...HEALTHY, failures: [NOW] });
    expect(apply({ ...unauthorized, status: "overloaded", untilMs: NOW + 5 }, { kind: "reauthorized" })).toMatchObject({ status: "overloaded" });
    expect(apply(unauthorized, { kind: "reset" })).toEqual({ ...HEALTHY, failures: [] });
  });
});

describe("availability", () => {
  const condition = (status: HealthState["status"], untilMs: number, extra: { probeInFlight?: boolean; windows?: never[] } = {}) => ({
    health: { status, reason: "r", untilMs },
    probeInFlight: extra.probeInFlight ?? false,
    windows: [],
  });

  it("is usable with no condition, and not while blocked, with the time it comes back", () => {
    expect(availability(undefined, NOW)).toEqual({ usable: true, probe: false, utilization: 0, nearEnd: false });
    expect(availability(condition("rate_limited", NOW + 5_000), NOW)).toEqual({ usable: false, untilMs: NOW + 5_000 });
    expect(availability(condition("rate_limited", NOW - 1), NOW)).toMatchObject({ usable: true });
    expect(availability(condition("unauthorized", 0), NOW)).toEqual({ usable: false, untilMs: 0 });
  });

  it("offers a half-open account as the probe only while no probe runs", () => {
    expect(availability(condition("circuit_open", NOW + 1), NOW)).toEqual({ usable: false, untilMs: NOW + 1 });
    expect(availability(condition("circuit_open", NOW), NOW)).toEqual({ usable: true, probe: true, utilization: 0, nearEnd: false });
    expect(availability(condition("circuit_open", NOW, { probeInFlight: true }), NOW)).toEqual({ usable: false, untilMs: 0 });
  });

  it("is not usable while a window is exhausted, and reports utilization as headroom", () => {
    const exhausted = { ...condition("healthy", 0), windows: [{ name: "unified", status: "rejected", resetMs: NOW + 9_000 }] };
    expect(availability(exhausted, NOW)).toEqual({ usable: false, untilMs: NOW + 9_000 });
    const busy = { ...condition("healthy", 0), windows: [{ name: "5h", status: "allowed", utilization: 0.7, resetMs: NOW + 9_000 }] };
    expect(availability(busy, NOW)).toEqual({ usable: true, probe: false, utilization: 0.7, nearEnd: false });
  });

  it("says when a window is near its end, whichever platform reported it", () => {
    const codex = { ...condition("healthy", 0), windows: [{ name: "secondary", status: "", utilization: 0.93, windowMinutes: 10080, resetMs: NOW + 9_000 }] };
    expect(availability(codex, NOW)).toEqual({ usable: true, probe: false, utilization: 0.93, nearEnd: true });
    const claude = { ...condition("healthy", 0), windows: [{ name: "7d", status: "allowed_warning", utilization: 0.91, resetMs: NOW + 9_000 }] };
    expect(availability(claude, NOW)).toMatchObject({ usable: true, nearEnd: true });
  });

  it("keeps a banned account out with no time it comes back", () => {
    expect(availability(condition("banned", 0), NOW)).toEqual({ usable: false, untilMs: 0 });
    expect(viewHealth({ status: "banned", untilMs: 0 }, NOW + 365 * 24 * 3_600_000)).toBe("banned");
  });
});

describe("healthEventFor with the BANNED signal", () => {
  it("bans with the detail as the reason and no end, whatever the status", () => {
    const banned = outcome({ status: 402, signal: AccountSignal.BANNED, detail: "deactivated_workspace" });
    expect(healthEventFor(banned, NOW, CONFIG)).toEqual({ kind: "block", status: "banned", reason: "upstream answered 402: deactivated_workspace", untilMs: 0 });
    expect(healthEventFor({ ...banned, kind: OutcomeKind.STREAM_INTERRUPTED, status: 200 }, NOW, CONFIG)).toMatchObject({ status: "banned", reason: "upstream error: deactivated_workspace" });
  });

  it("is not a ban without the signal: a 403 alone is unauthorized", () => {
    expect(healthEventFor(outcome({ status: 403, detail: "deactivated_workspace" }), NOW, CONFIG)).toMatchObject({ status: "unauthorized" });
  });
});

describe("windowsFromOutcome", () => {
  it("keeps the Codex windows with their length, and gives a used-up one without a reset the default time", () => {
    const headers = { "x-codex-primary-used-percent": "100", "x-codex-primary-window-minutes": "300", "x-codex-secondary-used-percent": "20", "x-codex-secondary-reset-after-seconds": "60" };
    expect(windowsFromOutcome(outcome({ status: 200, kind: OutcomeKind.SUCCESS, headers }), NOW, CONFIG)).toEqual([
      { name: "primary", status: "", utilization: 1, windowMinutes: 300, resetMs: NOW + CONFIG.rateLimitDefaultMs },
      { name: "secondary", status: "", utilization: 0.2, resetMs: NOW + 60_000 },
    ]);
  });

  it("keeps nothing when no window was reported, and gives an exhausted window without a reset the default time", () => {
    expect(windowsFromOutcome(outcome({ headers: { "retry-after": "1" } }), NOW, CONFIG)).toBeUndefined();
    expect(windowsFromOutcome(outcome({ headers: { "anthropic-ratelimit-unified-status": "rejected" } }), NOW, CONFIG)).toEqual([
      { name: "unified", status: "rejected", resetMs: NOW + CONFIG.rateLimitDefaultMs },
    ]);
  });
});
