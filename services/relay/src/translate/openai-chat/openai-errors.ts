/**
 * The OpenAI error shape, `{"error":{"message","type","param","code"}}`, as a
 * JSON body and as the stream event that ends a broken stream, and the type
 * and code OpenAI pairs with each status (https://platform.openai.com/docs/guides/error-codes):
 * 401 `invalid_api_key`, 404 `model_not_found`, 429 `rate_limit_exceeded`
 * (type `requests`, as OpenAI's rate-limit answers name the limited resource),
 * 503 `server_is_overloaded`, 5xx `server_error`. Which failure gets which status is decided
 * by the edge; this module writes the bytes, and maps an upstream's error body
 * (Anthropic's `{"type":"error","error":{"type","message"}}` or Google's
 * `{"error":{"code","message","status"}}`, both with `error.message`) onto the
 * shape, keeping the status.
 */
import { isAnthropicErrorType, statusForErrorType } from "@claude-relay/anthropic";
import { isObject } from "./validate-messages.js";

/** The fields of an OpenAI error. */
export interface OpenAiError {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** The type and code OpenAI answers a status with; `code` may be overridden by the caller. */
export function openAiErrorOf(status: number, message: string, param: string | null = null, code?: string | null): OpenAiError {
  const known = BY_STATUS.get(status);
  const type = known?.type ?? (status >= 500 ? "server_error" : "invalid_request_error");
  return { message, type, param, code: code !== undefined ? code : (known?.code ?? null) };
}

const BY_STATUS: ReadonlyMap<number, { type: string; code: string | null }> = new Map([
  [400, { type: "invalid_request_error", code: null }],
  [401, { type: "invalid_request_error", code: "invalid_api_key" }],
  [403, { type: "invalid_request_error", code: "permission_denied" }],
  [404, { type: "invalid_request_error", code: "model_not_found" }],
  [413, { type: "invalid_request_error", code: "request_too_large" }],
  [429, { type: "requests", code: "rate_limit_exceeded" }],
  [500, { type: "server_error", code: null }],
  [502, { type: "server_error", code: null }],
  [503, { type: "service_unavailable_error", code: "server_is_overloaded" }],
  // Anthropic's "overloaded" status, kept when an upstream answers with it.
  [529, { type: "service_unavailable_error", code: "server_is_overloaded" }],
  [504, { type: "server_error", code: "timeout" }],
]);

/** `{"error":{…}}` as JSON text. */
export function openAiErrorBody(error: OpenAiError): string {
  return JSON.stringify({ error });
}

/**
 * An error as the stream event that ends a stream already begun: a bare
 * `data:` event whose object carries `error`. The openai npm SDK raises any
 * data event with an `error` member as an APIError with that object's
 * message, type and code (src/core/streaming.ts, `Stream.fromSSEResponse`).
 * No `[DONE]` follows, so a client that reads until `[DONE]` sees the answer as cut short.
 */
export function openAiStreamError(error: OpenAiError): string {
  return `data: ${openAiErrorBody(error)}\n\n`;
}

/** The OpenAI error for an upstream's error answer (`status`, body text); the upstream's message is kept when it has one. */
export function openAiErrorFromUpstream(status: number, body: string): OpenAiError {
  const message = messageOf(body) ?? `The upstream service answered with status ${status}.`;
  return openAiErrorOf(status, message);
}

/** The OpenAI error for an `error` event of an Anthropic stream (`{"type":"error","error":{"type","message"}}`). */
export function openAiErrorFromAnthropicEvent(data: string): OpenAiError {
  const error = field(parse(data), "error");
  const type = field(error, "type");
  const status = isAnthropicErrorType(type) ? statusForErrorType(type) : 500;
  const message = field(error, "message");
  return openAiErrorOf(status, typeof message === "string" && message !== "" ? message : "The upstream stream failed.");
}

/** The OpenAI error for a Google error object met in a stream (`{"error":{"code","message","status"}}`). */
export function openAiErrorFromGoogleObject(value: unknown): OpenAiError {
  const error = field(value, "error");
  const code = field(error, "code");
  const message = field(error, "message");
  const status = typeof code === "number" && code >= 400 && code < 600 ? code : 500;
  return openAiErrorOf(status, typeof message === "string" && message !== "" ? message : "The upstream stream failed.");
}

function messageOf(body: string): string | undefined {
  const parsed = parse(body);
  // A Gemini stream asked for without alt=sse answers errors inside its JSON array.
  const object: unknown = Array.isArray(parsed) ? parsed[0] : parsed;
  const message = field(field(object, "error"), "message");
  return typeof message === "string" && message !== "" ? message : undefined;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function field(value: unknown, name: string): unknown {
  return isObject(value) ? value[name] : undefined;
}
