/**
 * The OpenAI-compatible front door's map from a relay failure to what the
 * client sees: OpenAI's error shape `{"error":{"message","type","param","code"}}`
 * with the status OpenAI would use (401 `invalid_api_key`, 429
 * `rate_limit_exceeded` with `retry-after`, 503 when no account can serve,
 * 404 `model_not_found`), and our request id in `x-request-id`, where OpenAI
 * puts its own. Upstream errors are mapped by the answer translators.
 */
import { RefusalReason } from "@claude-relay/proto/lease";
import { assertNever, assertNeverReason, type RelayFailure, safePath, withRetryAfter } from "../../errors.js";
import { type OpenAiError, openAiErrorBody, openAiErrorOf } from "../../translate/openai-chat/openai-errors.js";
import type { ErrorResponse } from "../provider.js";

/** Maps a failure to the client-facing status, OpenAI error body and headers. */
export function toOpenAiError(failure: RelayFailure, requestId: string): ErrorResponse {
  switch (failure.kind) {
    case "refusal":
      return fromRefusal(failure, requestId);
    case "missing-key":
      return make(401, openAiErrorOf(401, "You didn't provide an API key. Send it as Authorization: Bearer <key>."), requestId);
    case "control-plane-unavailable":
      return make(503, openAiErrorOf(503, "The service is temporarily unavailable. Please try again."), requestId);
    case "upstream-unreachable":
      return make(502, openAiErrorOf(502, "The upstream API could not be reached. Please try again."), requestId);
    case "shutting-down":
      return make(503, openAiErrorOf(503, "The relay is restarting. Please try again."), requestId);
    case "body-too-large":
      return make(413, openAiErrorOf(413, `Request exceeds the maximum allowed size of ${failure.limitBytes} bytes.`), requestId);
    case "invalid-request":
      return make(400, openAiErrorOf(400, failure.message, failure.param ?? null), requestId);
    case "model-not-found":
      return make(404, openAiErrorOf(404, `The model \`${failure.model.slice(0, 200)}\` does not exist or you do not have access to it.`, "model"), requestId);
    case "not-found":
      return make(404, openAiErrorOf(404, `Not found: ${failure.method} ${safePath(failure.path)}`, null, null), requestId);
    case "headers-too-large":
      return make(431, openAiErrorOf(431, "Request headers are too large."), requestId);
    case "client-timeout":
      return make(408, openAiErrorOf(408, "The request was not received in time."), requestId);
    case "bad-http":
      return make(400, openAiErrorOf(400, "Malformed HTTP request."), requestId);
    case "internal":
      return make(500, openAiErrorOf(500, "The server had an error while processing your request."), requestId);
    default:
      return assertNever(failure);
  }
}

function fromRefusal(failure: Extract<RelayFailure, { kind: "refusal" }>, requestId: string): ErrorResponse {
  const reason = failure.reason;
  switch (reason) {
    case RefusalReason.KEY_INVALID:
      return make(401, openAiErrorOf(401, failure.message || "Incorrect API key provided."), requestId);
    case RefusalReason.NOT_ALLOWED:
      return make(403, openAiErrorOf(403, failure.message || "This key may not use this model or client."), requestId);
    case RefusalReason.KEY_LIMIT:
      // A client that retries at once would only be refused again.
      return withRetryAfter(make(429, openAiErrorOf(429, failure.message || "This key is over one of its limits."), requestId), Math.max(failure.retryAfterMs, 1000));
    case RefusalReason.NO_ACCOUNT:
      return withRetryAfter(make(503, openAiErrorOf(503, failure.message || "No upstream account is available right now."), requestId), failure.retryAfterMs);
    case RefusalReason.UNSPECIFIED:
      return make(500, openAiErrorOf(500, "The server had an error while processing your request."), requestId);
    default:
      // An enum value newer than this build; the generated enum is open at runtime.
      assertNeverReason(reason);
      return make(500, openAiErrorOf(500, "The server had an error while processing your request."), requestId);
  }
}

function make(status: number, error: OpenAiError, requestId: string): ErrorResponse {
  const body = openAiErrorBody(error);
  return { status, body, headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), "x-request-id": requestId } };
}
