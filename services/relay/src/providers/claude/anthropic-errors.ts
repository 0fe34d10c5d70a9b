/**
 * The Messages front door's map from a relay failure to what the client sees: the
 * Anthropic error shape, the status the Anthropic API would use, `request-id` and,
 * where it applies, `retry-after`. Upstream errors pass through untouched and
 * never come here.
 *
 * Messages come from this file or from a control-plane refusal (whose message the
 * contract declares safe to show); causes and secrets stay in the logs.
 */
import { type AnthropicErrorType, errorBody } from "@claude-relay/anthropic";
import { RefusalReason } from "@claude-relay/proto/lease";
import { assertNever, assertNeverReason, type RelayFailure, safePath, withRetryAfter } from "../../errors.js";
import type { ErrorResponse } from "../provider.js";

/** Maps a failure to the client-facing status, Anthropic error body and headers. */
export function toAnthropicError(failure: RelayFailure, requestId: string): ErrorResponse {
  switch (failure.kind) {
    case "refusal":
      return fromRefusal(failure, requestId);
    case "missing-key":
      return make(401, "authentication_error", "x-api-key header is required", requestId);
    case "control-plane-unavailable":
      return make(503, "overloaded_error", "The service is temporarily unavailable. Please try again.", requestId);
    case "upstream-unreachable":
      return make(502, "api_error", "The upstream API could not be reached. Please try again.", requestId);
    case "shutting-down":
      return make(503, "overloaded_error", "The relay is restarting. Please try again.", requestId);
    case "body-too-large":
      return make(413, "request_too_large", `Request exceeds the maximum allowed size of ${failure.limitBytes} bytes.`, requestId);
    case "invalid-request":
      return make(400, "invalid_request_error", failure.message, requestId);
    case "model-not-found":
      return make(404, "not_found_error", `model: ${failure.model.slice(0, 200)}`, requestId);
    case "not-found":
      return make(404, "not_found_error", `Not found: ${failure.method} ${safePath(failure.path)}`, requestId);
    case "headers-too-large":
      return make(431, "invalid_request_error", "Request headers are too large.", requestId);
    case "client-timeout":
      return make(408, "invalid_request_error", "The request was not received in time.", requestId);
    case "bad-http":
      return make(400, "invalid_request_error", "Malformed HTTP request.", requestId);
    case "internal":
      return make(500, "api_error", "Internal server error.", requestId);
    default:
      return assertNever(failure);
  }
}

function fromRefusal(
  failure: Extract<RelayFailure, { kind: "refusal" }>,
  requestId: string,
): ErrorResponse {
  const reason = failure.reason;
  switch (reason) {
    case RefusalReason.KEY_INVALID:
      return make(401, "authentication_error", failure.message || "invalid x-api-key", requestId);
    case RefusalReason.NOT_ALLOWED:
      return make(403, "permission_error", failure.message || "This key may not use this model or client.", requestId);
    case RefusalReason.KEY_LIMIT:
      return withRetryAfter(
        make(429, "rate_limit_error", failure.message || "This key is over one of its limits.", requestId),
        // A client that retries at once would only be refused again.
        Math.max(failure.retryAfterMs, 1000),
      );
    case RefusalReason.NO_ACCOUNT:
      return withRetryAfter(
        make(529, "overloaded_error", failure.message || "No upstream account is available right now.", requestId),
        failure.retryAfterMs,
      );
    case RefusalReason.UNSPECIFIED:
      return make(500, "api_error", "Internal server error.", requestId);
    default:
      // An enum value newer than this build; the generated enum is open at runtime.
      assertNeverReason(reason);
      return make(500, "api_error", "Internal server error.", requestId);
  }
}

function make(status: number, type: AnthropicErrorType, message: string, requestId: string): ErrorResponse {
  const body = errorBody(type, message, requestId);
  return {
    status,
    body,
    headers: {
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(body)),
      "request-id": requestId,
    },
  };
}
