/**
 * Account health, pure: what an upstream outcome means for the account that
 * served it, and whether an account can be scheduled at a given time.
 *
 * An outcome whose provider read the answer itself carries a signal (the
 * proto's AccountSignal: a Gemini 429's quota, a 400 that means a bad key),
 * and the signal decides; an outcome without one is read from its status, as
 * Claude's answers are:
 *
 * - 429 → `rate_limited` until the reset the upstream announced (see
 *   rate-limit-headers), else for a default time;
 * - 529 → `overloaded` for a cooldown;
 * - 401/403 → `unauthorized` until an admin resets it or an OAuth refresh succeeds;
 * - the signal BANNED (the account or its organisation is disabled upstream, e.g.
 *   a deactivated ChatGPT workspace) → `banned` until an admin resets it: never
 *   on a timer, and not lifted by a token refresh;
 * - 5xx and connection failures → a circuit breaker: `breakerFailures` failures
 *   within `breakerWindowMs` open it for `breakerOpenMs`; then it is half-open and
 *   exactly one probe request may run: success closes it, failure re-opens it.
 *
 * The signals RATE_LIMITED, OVERLOADED, UNAUTHORIZED, BANNED and SERVER_ERROR lead
 * to the same five states whatever the status; NONE leaves the account alone. A
 * success and a connection failure mean what they mean whatever the signal.
 *
 * A longer block is never shortened by a shorter one, `unauthorized` is only
 * ever lifted by `reauthorized` or `reset`, and `banned` (which replaces every
 * other state, unauthorized too) only by `reset`. `applyHealthEvent` is the state
 * machine; the Lua script `health-event.lua` applies the same transitions
 * atomically in Redis (health-store.redis.test.ts checks that both agree). This
 * module reads no clock and touches no Redis.
 */
import { AccountSignal, OutcomeKind } from "@claude-relay/proto/lease";
import { exhaustedUntil, isNearEnd, parseRateWindows, peakUtilization, resetAfter429, type RateWindow } from "./rate-limit-headers.js";

/** A stored health status. */
export type HealthStatus = "healthy" | "rate_limited" | "overloaded" | "unauthorized" | "banned" | "circuit_open";

/** A status as read at a time: a block whose time is over reads healthy, an open breaker past its time reads half_open. */
export type HealthView = HealthStatus | "half_open";

/** Tunables of the health rules. */
export interface HealthConfig {
  /** How long a 429 without a usable reset header blocks the account. */
  rateLimitDefaultMs: number;
  /** How long a 529 blocks the account. */
  overloadCooldownMs: number;
  /** Failures within the window that open the breaker. */
  breakerFailures: number;
  breakerWindowMs: number;
  /** How long the breaker stays open before its probe. */
  breakerOpenMs: number;
}

/** The defaults named in the design: 60 s, 60 s, 3 failures in 5 minutes, open 60 s. */
export const DEFAULT_HEALTH_CONFIG: Readonly<HealthConfig> = Object.freeze({
  rateLimitDefaultMs: 60_000,
  overloadCooldownMs: 60_000,
  breakerFailures: 3,
  breakerWindowMs: 5 * 60_000,
  breakerOpenMs: 60_000,
});

/** An account's health as stored. */
export interface HealthState {
  status: HealthStatus;
  /** Why; "" when healthy. */
  reason: string;
  /** When the state ends by itself (ms); 0 when healthy, unauthorized or banned. */
  untilMs: number;
  /** When the state began (ms); 0 when healthy. */
  sinceMs: number;
  /** Times of breaker failures within the window, oldest first. */
  failures: number[];
}

/** A healthy account with no failures. */
export const HEALTHY: Readonly<HealthState> = Object.freeze({ status: "healthy", reason: "", untilMs: 0, sinceMs: 0, failures: [] as number[] });

/** The parts of a Release outcome health depends on. */
export interface HealthOutcome {
  kind: OutcomeKind;
  /** Upstream HTTP status; 0 when there was none. */
  status: number;
  /** Lower-case `anthropic-ratelimit-*`, `x-codex-*` and `retry-after` headers (rate-limit-headers' isRateLimitHeader). */
  headers: Readonly<Record<string, string>>;
  detail: string;
  /** What the provider read in the answer; UNSPECIFIED or absent: read the status. */
  signal?: AccountSignal;
}

/** What one outcome (or an admin or a token refresh) does to the health state. */
export type HealthEvent =
  | { kind: "block"; status: "rate_limited" | "overloaded" | "unauthorized" | "banned"; reason: string; untilMs: number }
  | { kind: "failure"; reason: string }
  | { kind: "success" }
  | { kind: "none" }
  /** A token refresh succeeded: lifts `unauthorized`, nothing else (`banned` stays). */
  | { kind: "reauthorized" }
  /** An admin cleared the account (the store also forgets its windows and probe). */
  | { kind: "reset" };

/**
 * The event an outcome means at nowMs. A success and a connection failure mean the same whatever the signal
 * (a success must still close a half-open breaker); for any other outcome a signal decides when there is one.
 */
export function healthEventFor(outcome: HealthOutcome, nowMs: number, config: HealthConfig): HealthEvent {
  const reason = (text: string) => withDetail(text, outcome.detail);
  if (outcome.kind === OutcomeKind.CONNECTION_FAILURE) return { kind: "failure", reason: reason("connection failure") };
  if (outcome.kind === OutcomeKind.SUCCESS) return { kind: "success" };
  const signalled = eventForSignal(outcome, nowMs, config);
  if (signalled !== undefined) return signalled;
  if (outcome.kind !== OutcomeKind.UPSTREAM_ERROR) return { kind: "none" };
  const { status } = outcome;
  if (status === 429) return rateLimited(outcome, nowMs, config);
  if (status === 529) return { kind: "block", status: "overloaded", reason: "upstream answered 529", untilMs: nowMs + config.overloadCooldownMs };
  if (status === 401 || status === 403) return { kind: "block", status: "unauthorized", reason: `upstream answered ${status}`, untilMs: 0 };
  if (status >= 500 && status <= 599) return { kind: "failure", reason: `upstream answered ${status}` };
  return { kind: "none" };
}

/** The event a provider's signal means; undefined when the outcome has none (or one this version does not know). */
function eventForSignal(outcome: HealthOutcome, nowMs: number, config: HealthConfig): HealthEvent | undefined {
  const reason = withDetail(answered(outcome), outcome.detail);
  switch (outcome.signal) {
    case AccountSignal.NONE:
      return { kind: "none" };
    case AccountSignal.RATE_LIMITED:
      return rateLimited(outcome, nowMs, config);
    case AccountSignal.OVERLOADED:
      return { kind: "block", status: "overloaded", reason, untilMs: nowMs + config.overloadCooldownMs };
    case AccountSignal.UNAUTHORIZED:
      return { kind: "block", status: "unauthorized", reason, untilMs: 0 };
    case AccountSignal.BANNED:
      return { kind: "block", status: "banned", reason, untilMs: 0 };
    case AccountSignal.SERVER_ERROR:
      return { kind: "failure", reason };
    default:
      return undefined;
  }
}

/** Rate-limited until the reset the headers announce (retry-after among them), else for the default time; the detail says which limit. */
function rateLimited(outcome: HealthOutcome, nowMs: number, config: HealthConfig): HealthEvent {
  const untilMs = resetAfter429(outcome.headers, nowMs) ?? nowMs + config.rateLimitDefaultMs;
  return { kind: "block", status: "rate_limited", reason: withDetail(answered(outcome), outcome.detail), untilMs };
}

/** "upstream answered <status>" for an error status, else "upstream error" (an error event in a stream that began 200). */
function answered(outcome: HealthOutcome): string {
  return outcome.status >= 400 ? `upstream answered ${outcome.status}` : "upstream error";
}

/** "text: detail", at most 200 characters; the detail is left out when empty or when it only repeats the text. */
function withDetail(text: string, detail: string): string {
  return (detail && detail !== text ? `${text}: ${detail}` : text).slice(0, 200);
}

/** Context of one transition. */
export interface HealthEventContext {
  nowMs: number;
  /** True when the request that ended was the half-open breaker's probe. */
  isProbe: boolean;
  config: HealthConfig;
}

/** The state after an event: the state machine the Lua script mirrors. */
export function applyHealthEvent(state: HealthState, event: HealthEvent, ctx: HealthEventContext): HealthState {
  const { nowMs, isProbe, config } = ctx;
  const failures = state.failures.filter((at) => at > nowMs - config.breakerWindowMs);
  const current = { ...state, failures };
  const blocked = (status: HealthStatus, reason: string, untilMs: number, keepFailures: number[]): HealthState =>
    replaces(current, status, untilMs, nowMs) ? { status, reason, untilMs, sinceMs: nowMs, failures: keepFailures } : current;
  switch (event.kind) {
    case "block":
      return blocked(event.status, event.reason, event.untilMs, failures);
    case "failure": {
      if (state.status === "circuit_open") {
        // While open, only the probe's failure (or one arriving after the open time) re-opens it.
        return state.untilMs <= nowMs || isProbe ? blocked("circuit_open", event.reason, nowMs + config.breakerOpenMs, []) : current;
      }
      const counted = [...failures, nowMs];
      if (counted.length < config.breakerFailures) return { ...current, failures: counted };
      const opened = blocked("circuit_open", event.reason, nowMs + config.breakerOpenMs, []);
      return opened === current ? { ...current, failures: counted } : opened;
    }
    case "success":
      return state.status === "circuit_open" && (state.untilMs <= nowMs || isProbe) ? { ...HEALTHY, failures: [] } : current;
    case "reauthorized":
      return state.status === "unauthorized" ? { ...HEALTHY, failures } : current;
    case "reset":
      return { ...HEALTHY, failures: [] };
    case "none":
      return current;
    default:
      return assertNever(event);
  }
}

/**
 * True when a new block replaces the current state: banned wins over everything and is never replaced,
 * unauthorized wins over every timed state, and a block is never shortened.
 */
function replaces(current: HealthState, status: HealthStatus, untilMs: number, nowMs: number): boolean {
  if (current.status === "banned") return false;
  if (status === "banned") return true;
  if (current.status === "unauthorized") return false;
  if (status === "unauthorized") return true;
  if (current.status === "healthy" || current.untilMs <= nowMs) return true;
  return untilMs > current.untilMs;
}

/** The status as it reads at nowMs. */
export function viewHealth(state: Pick<HealthState, "status" | "untilMs">, nowMs: number): HealthView {
  switch (state.status) {
    case "healthy":
    case "unauthorized":
    case "banned":
      return state.status;
    case "rate_limited":
    case "overloaded":
      return state.untilMs > nowMs ? state.status : "healthy";
    case "circuit_open":
      return state.untilMs > nowMs ? "circuit_open" : "half_open";
    default:
      return assertNever(state.status);
  }
}

/** What scheduling needs to know about one account, read from Redis. */
export interface AccountCondition {
  health: Pick<HealthState, "status" | "reason" | "untilMs">;
  /** A half-open breaker's probe is running. */
  probeInFlight: boolean;
  windows: readonly RateWindow[];
}

/**
 * Whether an account can be scheduled now, and when it can, how much headroom its windows leave (`nearEnd`: one
 * is nearly used up, see rate-limit-headers' isNearEnd); when not, when it can (0: unknown, or only an admin).
 */
export type Availability = { usable: true; probe: boolean; utilization: number; nearEnd: boolean } | { usable: false; untilMs: number };

/** The availability of an account at nowMs; an account with no condition is healthy. */
export function availability(condition: AccountCondition | undefined, nowMs: number): Availability {
  if (!condition) return { usable: true, probe: false, utilization: 0, nearEnd: false };
  const view = viewHealth(condition.health, nowMs);
  if (view === "unauthorized" || view === "banned") return { usable: false, untilMs: 0 };
  if (view !== "healthy" && view !== "half_open") return { usable: false, untilMs: condition.health.untilMs };
  // A probe that is running gives its answer within a lease; until then the time is unknown.
  if (view === "half_open" && condition.probeInFlight) return { usable: false, untilMs: 0 };
  const exhausted = exhaustedUntil(condition.windows, nowMs);
  if (exhausted !== undefined) return { usable: false, untilMs: exhausted };
  return { usable: true, probe: view === "half_open", utilization: peakUtilization(condition.windows, nowMs), nearEnd: isNearEnd(condition.windows, nowMs) };
}

/**
 * The windows to store from an outcome's headers; undefined when it reported
 * none (the stored ones stay). An exhausted window without a reset is given one
 * `rateLimitDefaultMs` ahead, so an account is never shut out for good by a
 * header that forgot its reset.
 */
export function windowsFromOutcome(outcome: HealthOutcome, nowMs: number, config: HealthConfig): RateWindow[] | undefined {
  const windows = parseRateWindows(outcome.headers, nowMs);
  if (windows.length === 0) return undefined;
  return windows.map((w) => {
    const exhausted = (w.name === "unified" && w.status === "rejected") || (w.utilization ?? 0) >= 1;
    return exhausted && w.resetMs === 0 ? { ...w, resetMs: nowMs + config.rateLimitDefaultMs } : w;
  });
}

function assertNever(value: never): never {
  throw new Error(`unexpected health value: ${JSON.stringify(value)}`);
}
