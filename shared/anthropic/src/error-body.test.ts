import { describe, expect, it } from "vitest";
import { errorBody, isAnthropicErrorType, sseErrorEvent, statusForErrorType, type AnthropicErrorType } from "./error-body.js";
import { createSseParser, type SseEvent } from "./sse-parser.js";

describe("errorBody", () => {
  it("writes the Anthropic error shape with the request id last", () => {
    expect(errorBody("rate_limit_error", "Slow down", "req_123")).toBe(
      '{"type":"error","error":{"type":"rate_limit_error","message":"Slow down"},"request_id":"req_123"}',
    );
  });

  it("leaves request_id out when none is given", () => {
    expect(JSON.parse(errorBody("api_error", "Internal error"))).toEqual({ type: "error", error: { type: "api_error", message: "Internal error" } });
  });

  it("escapes quotes, newlines and non-ASCII text into valid JSON", () => {
    const message = 'bad "model"\nline two — 世界';
    expect(JSON.parse(errorBody("invalid_request_error", message)).error.message).toBe(message);
  });
});

describe("sseErrorEvent", () => {
  it("writes one error event that an SSE parser reads back", () => {
    const text = sseErrorEvent("overloaded_error", "Overloaded\nplease retry");
    expect(text.startsWith("event: error\ndata: ")).toBe(true);
    expect(text.endsWith("\n\n")).toBe(true);
    const events: SseEvent[] = [];
    const parser = createSseParser((event) => events.push(event));
    parser.push(new TextEncoder().encode(text));
    parser.end();
    expect(events).toHaveLength(1);
    expect(events[0]?.event).toBe("error");
    expect(JSON.parse(events[0]?.data ?? "")).toEqual({ type: "error", error: { type: "overloaded_error", message: "Overloaded\nplease retry" } });
  });
});

describe("statusForErrorType", () => {
  it("maps each error type to the status the Anthropic API uses", () => {
    const expected: Record<AnthropicErrorType, number> = {
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
    for (const [type, status] of Object.entries(expected)) {
      expect(statusForErrorType(type as AnthropicErrorType), type).toBe(status);
    }
  });
});

describe("isAnthropicErrorType", () => {
  it("accepts the known types and rejects anything else", () => {
    expect(isAnthropicErrorType("overloaded_error")).toBe(true);
    expect(isAnthropicErrorType("billing_error")).toBe(false);
    expect(isAnthropicErrorType("toString")).toBe(false);
    expect(isAnthropicErrorType(429)).toBe(false);
  });
});
