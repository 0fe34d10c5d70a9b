import { AccountSignal, OutcomeKind } from "@claude-relay/proto/lease";
import { describe, expect, it } from "vitest";
import { claudeAccountHeaders as accountHeaders, isClaudeFailoverStatus as isFailoverStatus } from "../providers/claude/claude-account-state.js";
import { type AttemptEnd, classifyOutcome as classify, describeError } from "./classify-outcome.js";

const classifyOutcome = (end: AttemptEnd) => classify(end, accountHeaders);

const RATE_HEADERS = {
  "content-type": "application/json",
  "request-id": "req_x",
  "retry-after": "12",
  "anthropic-ratelimit-unified-reset": "1760000000",
  "anthropic-ratelimit-requests-remaining": "0",
  "set-cookie": ["a=1", "b=2"],
};

describe("classifyOutcome", () => {
  it("calls a 2xx answer a success", () => {
    const outcome = classifyOutcome({ kind: "response", status: 200, headers: {} });
    expect(outcome.kind).toBe(OutcomeKind.SUCCESS);
    expect(outcome.status).toBe(200);
    expect(outcome.detail).toBe("");
  });

  it("keeps only the subscription window headers of a 2xx answer", () => {
    const outcome = classifyOutcome({ kind: "response", status: 200, headers: { ...RATE_HEADERS, "anthropic-ratelimit-unified-5h-utilization": "0.4" } });
    expect(outcome.headers).toEqual({ "anthropic-ratelimit-unified-reset": "1760000000", "anthropic-ratelimit-unified-5h-utilization": "0.4" });
  });

  it("keeps the status and only the rate-limit headers of an upstream error", () => {
    const outcome = classifyOutcome({ kind: "response", status: 429, headers: RATE_HEADERS });
    expect(outcome.kind).toBe(OutcomeKind.UPSTREAM_ERROR);
    expect(outcome.status).toBe(429);
    expect(outcome.headers).toEqual({
      "retry-after": "12",
      "anthropic-ratelimit-unified-reset": "1760000000",
      "anthropic-ratelimit-requests-remaining": "0",
    });
  });

  it("carries what the provider read off an error body: its signal, detail and retry time", () => {
    const outcome = classifyOutcome({
      kind: "response",
      status: 429,
      headers: {},
      hints: { signal: AccountSignal.RATE_LIMITED, retryAfterMs: 37_200, detail: "per-day quota exhausted" },
    });
    expect(outcome).toMatchObject({ kind: OutcomeKind.UPSTREAM_ERROR, status: 429, signal: AccountSignal.RATE_LIMITED, detail: "per-day quota exhausted" });
    expect(outcome.headers["retry-after"]).toBe("38");
    expect(classifyOutcome({ kind: "response", status: 429, headers: {} }).signal).toBe(AccountSignal.UNSPECIFIED);
  });

  it("calls a 200 stream that carried an error event, or ended early, interrupted", () => {
    const withError = classifyOutcome({ kind: "response", status: 200, headers: {}, streamError: { type: "overloaded_error" } });
    expect(withError.kind).toBe(OutcomeKind.STREAM_INTERRUPTED);
    expect(withError.detail).toContain("overloaded_error");
    const early = classifyOutcome({ kind: "response", status: 200, headers: {}, streamIncomplete: true });
    expect(early.kind).toBe(OutcomeKind.STREAM_INTERRUPTED);
  });

  it("names a connection failure by its error code", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 10.0.0.1:443 with secret in message"), { code: "ECONNREFUSED" });
    const outcome = classifyOutcome({ kind: "connection-failure", error: refused });
    expect(outcome).toMatchObject({ kind: OutcomeKind.CONNECTION_FAILURE, status: 0, detail: "connection refused" });
    expect(outcome.detail).not.toContain("10.0.0.1");
    expect(classifyOutcome({ kind: "connection-failure", detail: "account base URL is not valid" }).detail).toBe("account base URL is not valid");
  });

  it("calls a break after the first byte interrupted, and silence an idle stream", () => {
    const idle = Object.assign(new Error("Body Timeout Error"), { code: "UND_ERR_BODY_TIMEOUT" });
    const outcome = classifyOutcome({ kind: "stream-interrupted", status: 200, headers: RATE_HEADERS, error: idle });
    expect(outcome).toMatchObject({ kind: OutcomeKind.STREAM_INTERRUPTED, status: 200, detail: "upstream went silent mid-response" });
    expect(outcome.headers).toEqual({ "anthropic-ratelimit-unified-reset": "1760000000" });
  });

  it("reports a client that left as aborted, with whatever status it got", () => {
    expect(classifyOutcome({ kind: "client-aborted" })).toMatchObject({ kind: OutcomeKind.CLIENT_ABORTED, status: 0 });
    expect(classifyOutcome({ kind: "client-aborted", status: 200, headers: {} })).toMatchObject({ kind: OutcomeKind.CLIENT_ABORTED, status: 200 });
  });
});

describe("isFailoverStatus", () => {
  it("fails over on rate limits, overload, server errors, a bad account credential and a 403 (a ban, maybe)", () => {
    for (const status of [429, 529, 500, 502, 503, 504, 401, 403]) expect(isFailoverStatus(status)).toBe(true);
  });

  it("does not fail over on answers that are the request's own", () => {
    for (const status of [200, 400, 404, 413]) expect(isFailoverStatus(status)).toBe(false);
  });
});

describe("describeError", () => {
  it("looks through undici's socket error to its cause", () => {
    const error = Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET", cause: { code: "ECONNRESET" } });
    expect(describeError(error)).toBe("connection reset");
  });

  it("falls back to a sanitized code, or a generic phrase", () => {
    expect(describeError({ code: "E_WEIRD <script>" })).toBe("upstream request failed (E_WEIRDscript)");
    expect(describeError("nope")).toBe("upstream request failed");
  });
});

describe("accountHeaders", () => {
  it("joins repeated values and lower-cases names", () => {
    expect(accountHeaders({ "Retry-After": ["1", "2"] })).toEqual({ "retry-after": "1, 2" });
  });
});
