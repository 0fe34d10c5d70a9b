/**
 * The Anthropic error shape, as a JSON body and as a mid-stream SSE event, and the
 * HTTP status the Anthropic API pairs with each error type
 * (https://docs.anthropic.com/en/api/errors). Which failure becomes which type is
 * decided by each edge; this module only writes the bytes.
 */

/** The error types the Anthropic API uses. */
export type AnthropicErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "overloaded_error"
  | "timeout_error";

const STATUS_BY_TYPE: Readonly<Record<AnthropicErrorType, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
  timeout_error: 504,
};

/** `{"type":"error","error":{"type","message"},"request_id"}` as JSON text; `request_id` only when given. */
export function errorBody(type: AnthropicErrorType, message: string, requestId?: string): string {
  const body: { type: "error"; error: { type: string; message: string }; request_id?: string } = {
    type: "error",
    error: { type, message },
  };
  if (requestId !== undefined) body.request_id = requestId;
  return JSON.stringify(body);
}

/**
 * An `error` event in text/event-stream form, as the API sends once a stream has begun
 * and the status can no longer change; the SDKs raise it as an APIError.
 */
export function sseErrorEvent(type: AnthropicErrorType, message: string): string {
  return `event: error\ndata: ${JSON.stringify({ type: "error", error: { type, message } })}\n\n`;
}

/** The HTTP status the Anthropic API answers with for an error type. */
export function statusForErrorType(type: AnthropicErrorType): number {
  return STATUS_BY_TYPE[type];
}

/** True when `value` is one of the error types above. */
export function isAnthropicErrorType(value: unknown): value is AnthropicErrorType {
  return typeof value === "string" && Object.hasOwn(STATUS_BY_TYPE, value);
}
