import { RefusalReason } from "@claude-relay/proto/lease";
import { describe, expect, it } from "vitest";
import type { RelayFailure } from "../../errors.js";
import { toAnthropicError } from "./anthropic-errors.js";

const ID = "req_test123";

function refusal(reason: RefusalReason, retryAfterMs = 0, message = ""): RelayFailure {
  return { kind: "refusal", reason, message, retryAfterMs };
}

describe("toAnthropicError", () => {
  it.each<[string, RelayFailure, number, string]>([
    ["KEY_INVALID", refusal(RefusalReason.KEY_INVALID), 401, "authentication_error"],
    ["NOT_ALLOWED", refusal(RefusalReason.NOT_ALLOWED), 403, "permission_error"],
    ["KEY_LIMIT", refusal(RefusalReason.KEY_LIMIT), 429, "rate_limit_error"],
    ["NO_ACCOUNT", refusal(RefusalReason.NO_ACCOUNT), 529, "overloaded_error"],
    ["an unspecified refusal", refusal(RefusalReason.UNSPECIFIED), 500, "api_error"],
    ["a missing key", { kind: "missing-key" }, 401, "authentication_error"],
    ["an unreachable control plane", { kind: "control-plane-unavailable" }, 503, "overloaded_error"],
    ["an oversized body", { kind: "body-too-large", limitBytes: 10 }, 413, "request_too_large"],
    ["a bad request", { kind: "invalid-request", message: "model: Field required" }, 400, "invalid_request_error"],
    ["an unknown route", { kind: "not-found", method: "GET", path: "/x" }, 404, "not_found_error"],
    ["oversized headers", { kind: "headers-too-large" }, 431, "invalid_request_error"],
    ["a slow client", { kind: "client-timeout" }, 408, "invalid_request_error"],
    ["anything else", { kind: "internal" }, 500, "api_error"],
  ])("maps %s to %i %s with the request id in body and header", (_name, failure, status, type) => {
    const answer = toAnthropicError(failure, ID);
    expect(answer.status).toBe(status);
    const body = JSON.parse(answer.body);
    expect(body).toMatchObject({ type: "error", error: { type }, request_id: ID });
    expect(typeof body.error.message).toBe("string");
    expect(answer.headers["request-id"]).toBe(ID);
    expect(answer.headers["content-type"]).toBe("application/json");
    expect(answer.headers["content-length"]).toBe(String(Buffer.byteLength(answer.body)));
  });

  it("adds retry-after in whole seconds, rounded up, to a key limit", () => {
    expect(toAnthropicError(refusal(RefusalReason.KEY_LIMIT, 2_001), ID).headers["retry-after"]).toBe("3");
    // Unknown: a second, so clients do not hammer.
    expect(toAnthropicError(refusal(RefusalReason.KEY_LIMIT, 0), ID).headers["retry-after"]).toBe("1");
  });

  it("adds retry-after to NO_ACCOUNT only when the wait is known", () => {
    expect(toAnthropicError(refusal(RefusalReason.NO_ACCOUNT, 30_000), ID).headers["retry-after"]).toBe("30");
    expect(toAnthropicError(refusal(RefusalReason.NO_ACCOUNT, 0), ID).headers["retry-after"]).toBeUndefined();
  });

  it("shows the refusal's message, which the contract declares safe", () => {
    const body = JSON.parse(toAnthropicError(refusal(RefusalReason.NOT_ALLOWED, 0, "model claude-opus-4 is not allowed for this key"), ID).body);
    expect(body.error.message).toBe("model claude-opus-4 is not allowed for this key");
  });

  it("answers an enum value newer than this build as a generic 500", () => {
    const answer = toAnthropicError(refusal(99 as RefusalReason), ID);
    expect(answer.status).toBe(500);
    expect(JSON.parse(answer.body).error).toEqual({ type: "api_error", message: "Internal server error." });
  });

  it("never echoes an unprintable or huge path", () => {
    const body = JSON.parse(toAnthropicError({ kind: "not-found", method: "GET", path: `/\u0000${"x".repeat(1000)}` }, ID).body);
    expect(body.error.message).not.toContain("\u0000");
    expect(body.error.message.length).toBeLessThan(260);
  });
});
