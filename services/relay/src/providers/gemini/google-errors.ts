/**
 * The Gemini front doors' map from a relay failure to what the client sees:
 * Google's error shape `{"error":{"code","message","status"}}` with the status
 * Google would use, `retry-after` where it applies, and our request id in a
 * header (Google's body has no place for it). A bad key is 401 UNAUTHENTICATED,
 * a key over its limits 429 RESOURCE_EXHAUSTED, no account 503 UNAVAILABLE.
 * Upstream errors pass through untouched and never come here.
 */
import { type GoogleStatus, googleErrorBody } from "@claude-relay/gemini";
import { RefusalReason } from "@claude-relay/proto/lease";
import { assertNever, assertNeverReason, type RelayFailure, safePath, withRetryAfter } from "../../errors.js";
import type { ErrorResponse } from "../provider.js";

/** Maps a failure to the client-facing status, Google error body and headers. */
export function toGoogleError(failure: RelayFailure, requestId: string): ErrorResponse {
  switch (failure.kind) {
    case "refusal":
      return fromRefusal(failure, requestId);
    case "missing-key":
      return make(401, "UNAUTHENTICATED", "Method doesn't allow unregistered callers. Please use an API key in x-goog-api-key, ?key= or a Bearer token.", requestId);
    case "control-plane-unavailable":
      return make(503, "UNAVAILABLE", "The service is temporarily unavailable. Please try again.", requestId);
    case "upstream-unreachable":
      return make(502, "UNAVAILABLE", "The upstream API could not be reached. Please try again.", requestId);
    case "shutting-down":
      return make(503, "UNAVAILABLE", "The relay is restarting. Please try again.", requestId);
    case "body-too-large":
      // Google answers an oversized payload with 400, not 413.
      return make(400, "INVALID_ARGUMENT", `Request payload size exceeds the limit: ${failure.limitBytes} bytes.`, requestId);
    case "invalid-request":
      return make(400, "INVALID_ARGUMENT", failure.message, requestId);
    case "model-not-found":
      return make(404, "NOT_FOUND", `models/${failure.model.slice(0, 200)} is not found for API version v1beta.`, requestId);
    case "not-found":
      return make(404, "NOT_FOUND", `Not found: ${failure.method} ${safePath(failure.path)}`, requestId);
    case "headers-too-large":
      return make(431, "INVALID_ARGUMENT", "Request headers are too large.", requestId);
    case "client-timeout":
      return make(408, "DEADLINE_EXCEEDED", "The request was not received in time.", requestId);
    case "bad-http":
      return make(400, "INVALID_ARGUMENT", "Malformed HTTP request.", requestId);
    case "internal":
      return make(500, "INTERNAL", "Internal error encountered.", requestId);
    default:
      return assertNever(failure);
  }
}

function fromRefusal(failure: Extract<RelayFailure, { kind: "refusal" }>, requestId: string): ErrorResponse {
  const reason = failure.reason;
  switch (reason) {
    case RefusalReason.KEY_INVALID:
      return make(401, "UNAUTHENTICATED", failure.message || "API key not valid. Please pass a valid API key.", requestId);
    case RefusalReason.NOT_ALLOWED:
      return make(403, "PERMISSION_DENIED", failure.message || "This key may not use this model or client.", requestId);
    case RefusalReason.KEY_LIMIT:
      // A client that retries at once would only be refused again.
      return withRetryAfter(make(429, "RESOURCE_EXHAUSTED", failure.message || "This key is over one of its limits.", requestId), Math.max(failure.retryAfterMs, 1000));
    case RefusalReason.NO_ACCOUNT:
      return withRetryAfter(make(503, "UNAVAILABLE", failure.message || "No upstream account is available right now.", requestId), failure.retryAfterMs);
    case RefusalReason.UNSPECIFIED:
      return make(500, "INTERNAL", "Internal error encountered.", requestId);
    default:
      // An enum value newer than this build; the generated enum is open at runtime.
      assertNeverReason(reason);
      return make(500, "INTERNAL", "Internal error encountered.", requestId);
  }
}

function make(status: number, googleStatus: GoogleStatus, message: string, requestId: string): ErrorResponse {
  const body = googleErrorBody(status, googleStatus, message);
  return {
    status,
    body,
    headers: { "content-type": "application/json; charset=UTF-8", "content-length": String(Buffer.byteLength(body)), "x-request-id": requestId },
  };
}
