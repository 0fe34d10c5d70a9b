/**
 * The bytes the mock Anthropic upstream answers with: Messages API streams and bodies
 * (text, thinking and tool_use blocks), the models list and the response headers, shaped
 * like the real API's (https://docs.anthropic.com/en/docs/build-with-claude/streaming).
 * What an answer says is left to mock-anthropic-answer.ts; serving, pacing and failure
 * scripts to mock-anthropic.ts and mock-reply.ts.
 */
import { randomBytes } from "node:crypto";

/** Usage counts in wire form. */
export interface MockUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/** The text the mock answers with unless told otherwise; non-ASCII so byte-exactness is meaningful. */
export const DEFAULT_MOCK_TEXT = "Hello from the mock upstream — héllo 世界 🎉";

/** The model the mock reports when the request names none. */
export const DEFAULT_MOCK_MODEL = "claude-sonnet-4-5-20250929";

/** A content block of a mocked answer. */
export type MockBlock =
  | { type: "text"; text: string }
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> };

/** What one mocked message says. */
export interface MockMessage {
  id: string;
  model: string;
  content: MockBlock[];
  /** `end_turn`, or `tool_use` when the answer ends with tool calls */
  stopReason: "end_turn" | "tool_use";
  usage: MockUsage;
}

/** A fresh `msg_…` id. */
export function mockMessageId(): string {
  return `msg_mock_${randomBytes(12).toString("hex")}`;
}

/** A fresh `toolu_…` id, in the characters the API uses. */
export function mockToolUseId(): string {
  return `toolu_mock_${randomBytes(12).toString("hex")}`;
}

/** A signature for a thinking block: opaque base64, as the API's are. */
export function mockThinkingSignature(): string {
  return randomBytes(48).toString("base64");
}

/** A fresh `req_…` id, as sent in the `request-id` header. */
export function mockRequestId(): string {
  return `req_mock_${randomBytes(12).toString("hex")}`;
}

/** A deterministic input token count for a request body: about one token per 4 bytes. */
export function mockInputTokens(body: Uint8Array): number {
  return Math.max(1, Math.ceil(body.byteLength / 4));
}

/** A deterministic output token count for a text: about one token per 4 bytes. */
export function mockOutputTokens(text: string): number {
  return Math.max(1, Math.ceil(Buffer.byteLength(text) / 4));
}

/** The text an answer's output tokens are counted from: every block's text, thinking and tool input. */
export function outputTextOf(content: MockBlock[]): string {
  return content.map((block) => (block.type === "text" ? block.text : block.type === "thinking" ? block.thinking : JSON.stringify(block.input))).join("");
}

/** One event in text/event-stream form. */
export function sseEventText(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The events of a streamed message, one buffer each: message_start, then per block its
 * content_block_start, deltas and content_block_stop (a ping follows the first start), then
 * message_delta and message_stop. A text block gives `deltas` text deltas that together spell
 * it; a thinking block its thinking in up to `deltas` thinking deltas and one signature delta;
 * a tool_use block an empty input_json_delta, as the API opens with, then its input's JSON in up
 * to `deltas` pieces cut anywhere, so a reader must join them before parsing. `padEventBytes`
 * grows the first delta event to at least that many bytes with JSON whitespace, so the text it
 * carries is unchanged.
 */
export function messageStreamEvents(message: MockMessage, deltas = 3, padEventBytes = 0): Buffer[] {
  const { id, model, usage } = message;
  const events: string[] = [
    sseEventText("message_start", {
      type: "message_start",
      message: {
        id,
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: usage.input_tokens,
          cache_creation_input_tokens: usage.cache_creation_input_tokens,
          cache_read_input_tokens: usage.cache_read_input_tokens,
          output_tokens: 1,
        },
      },
    }),
  ];
  let padded = false;
  message.content.forEach((block, index) => {
    const { start, deltas: pieces } = blockEvents(block, Math.max(1, deltas));
    events.push(sseEventText("content_block_start", { type: "content_block_start", index, content_block: start }));
    // The real API writes this one with a space after the colon.
    if (index === 0) events.push('event: ping\ndata: {"type": "ping"}\n\n');
    for (const delta of pieces) {
      const event = sseEventText("content_block_delta", { type: "content_block_delta", index, delta });
      events.push(padded ? event : padEvent(event, padEventBytes));
      padded = true;
    }
    events.push(sseEventText("content_block_stop", { type: "content_block_stop", index }));
  });
  events.push(
    sseEventText("message_delta", {
      type: "message_delta",
      delta: { stop_reason: message.stopReason, stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    }),
    sseEventText("message_stop", { type: "message_stop" }),
  );
  return events.map((event) => Buffer.from(event, "utf8"));
}

/** A block's content_block_start payload and its deltas. */
function blockEvents(block: MockBlock, deltas: number): { start: Record<string, unknown>; deltas: Record<string, unknown>[] } {
  switch (block.type) {
    case "text":
      return { start: { type: "text", text: "" }, deltas: splitText(block.text, deltas).map((text) => ({ type: "text_delta", text })) };
    case "thinking": {
      const thoughts = splitText(block.thinking, deltas).filter((piece) => piece !== "");
      return {
        start: { type: "thinking", thinking: "", signature: "" },
        deltas: [...thoughts.map((thinking) => ({ type: "thinking_delta", thinking })), { type: "signature_delta", signature: block.signature }],
      };
    }
    case "tool_use": {
      const json = JSON.stringify(block.input);
      const pieces = splitText(json, Math.min(deltas, json.length)).filter((piece) => piece !== "");
      return {
        start: { type: "tool_use", id: block.id, name: block.name, input: {} },
        deltas: ["", ...pieces].map((partial_json) => ({ type: "input_json_delta", partial_json })),
      };
    }
  }
}

/** The JSON body of a non-streaming message. */
export function messageJson(message: MockMessage): string {
  return JSON.stringify({
    id: message.id,
    type: "message",
    role: "assistant",
    model: message.model,
    content: message.content,
    stop_reason: message.stopReason,
    stop_sequence: null,
    usage: message.usage,
  });
}

const MODELS = [
  { type: "model", id: "claude-opus-4-1-20250805", display_name: "Claude Opus 4.1", created_at: "2025-08-05T00:00:00Z" },
  { type: "model", id: "claude-sonnet-4-5-20250929", display_name: "Claude Sonnet 4.5", created_at: "2025-09-29T00:00:00Z" },
  { type: "model", id: "claude-haiku-4-5-20251001", display_name: "Claude Haiku 4.5", created_at: "2025-10-15T00:00:00Z" },
];

/** The JSON body of `GET /v1/models`. */
export function modelsListJson(): string {
  return JSON.stringify({ data: MODELS, has_more: false, first_id: MODELS[0]?.id, last_id: MODELS[MODELS.length - 1]?.id });
}

/** Response headers like the real API's: content type, `request-id` and sample `anthropic-ratelimit-*` values. */
export function mockResponseHeaders(requestId: string, contentType: string): Record<string, string> {
  const reset = new Date(Date.now() + 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  return {
    "content-type": contentType,
    "request-id": requestId,
    "anthropic-ratelimit-requests-limit": "4000",
    "anthropic-ratelimit-requests-remaining": "3999",
    "anthropic-ratelimit-requests-reset": reset,
    "anthropic-ratelimit-input-tokens-limit": "2000000",
    "anthropic-ratelimit-input-tokens-remaining": "1999000",
    "anthropic-ratelimit-input-tokens-reset": reset,
    "anthropic-ratelimit-output-tokens-limit": "400000",
    "anthropic-ratelimit-output-tokens-remaining": "400000",
    "anthropic-ratelimit-output-tokens-reset": reset,
    "anthropic-ratelimit-tokens-limit": "2400000",
    "anthropic-ratelimit-tokens-remaining": "2399000",
    "anthropic-ratelimit-tokens-reset": reset,
  };
}

/** Splits text into `parts` pieces on code point boundaries (empty pieces when the text is shorter). */
function splitText(text: string, parts: number): string[] {
  const points = Array.from(text);
  const pieces: string[] = [];
  for (let i = 0; i < parts; i++) {
    pieces.push(points.slice(Math.floor((i * points.length) / parts), Math.floor(((i + 1) * points.length) / parts)).join(""));
  }
  return pieces;
}

/** Inserts spaces before the data's closing brace until the event is `bytes` long. */
function padEvent(event: string, bytes: number): string {
  const missing = bytes - Buffer.byteLength(event);
  if (missing <= 0) return event;
  const close = event.lastIndexOf("}");
  return `${event.slice(0, close)}${" ".repeat(missing)}${event.slice(close)}`;
}

/** The error type the Anthropic API pairs with a status (api_error for any it does not list). */
export function errorTypeForStatus(status: number): string {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 503:
    case 529:
      return "overloaded_error";
    case 504:
      return "timeout_error";
    default:
      return "api_error";
  }
}

const DEFAULT_ERROR_MESSAGES: Readonly<Record<string, string>> = {
  invalid_request_error: "Invalid request",
  authentication_error: "invalid x-api-key",
  permission_error: "Your API key does not have permission to use the specified resource.",
  not_found_error: "Not found",
  request_too_large: "Request exceeds the maximum allowed number of bytes.",
  rate_limit_error: "This request would exceed the rate limit for your organization.",
  api_error: "Internal server error",
  overloaded_error: "Overloaded",
  timeout_error: "Request timed out",
};

/** A message like the real API's for an error type. */
export function defaultErrorMessage(type: string): string {
  return DEFAULT_ERROR_MESSAGES[type] ?? "Error";
}
