import { afterEach, describe, expect, it, vi } from "vitest";
import { createSseParser, type SseEvent } from "./sse-parser.js";
import { createUsageTracker, usageFromMessage } from "./usage.js";

/** A stream as the Messages API sends it, with prompt caching in play. */
const REALISTIC_STREAM = [
  "event: message_start",
  'data: {"type":"message_start","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":2048,"cache_read_input_tokens":4096,"output_tokens":1,"service_tier":"standard"}}}',
  "",
  "event: content_block_start",
  'data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
  "",
  "event: ping",
  'data: {"type": "ping"}',
  "",
  "event: content_block_delta",
  'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}',
  "",
  "event: content_block_delta",
  'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" 世界"}}',
  "",
  "event: content_block_stop",
  'data: {"type":"content_block_stop","index":0}',
  "",
  "event: message_delta",
  'data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":42}}',
  "",
  "event: message_stop",
  'data: {"type":"message_stop"}',
  "",
  "",
].join("\n");

function track(stream: string) {
  const tracker = createUsageTracker();
  const parser = createSseParser((event) => tracker.onEvent(event));
  parser.push(new TextEncoder().encode(stream));
  parser.end();
  return tracker;
}

describe("createUsageTracker", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("reads model, input, cache and final output tokens from a realistic stream", () => {
    const tracker = track(REALISTIC_STREAM);
    expect(tracker.usage).toEqual({
      model: "claude-sonnet-4-5-20250929",
      inputTokens: 25,
      outputTokens: 42,
      cacheCreationInputTokens: 2048,
      cacheReadInputTokens: 4096,
    });
    expect(tracker.sawMessageStop).toBe(true);
    expect(tracker.errorEvent).toBeUndefined();
  });

  it("parses only the message_start and message_delta events of a normal stream", () => {
    const parse = vi.spyOn(JSON, "parse");
    track(REALISTIC_STREAM);
    expect(parse).toHaveBeenCalledTimes(2);
  });

  it("lets cumulative counts in message_delta override the ones from message_start", () => {
    const tracker = createUsageTracker();
    tracker.onEvent({ event: "message_start", data: '{"message":{"model":"m","usage":{"input_tokens":10,"output_tokens":1}}}' });
    tracker.onEvent({ event: "message_delta", data: '{"usage":{"input_tokens":12,"cache_read_input_tokens":7,"output_tokens":30}}' });
    tracker.onEvent({ event: "message_delta", data: '{"usage":{"output_tokens":31}}' });
    expect(tracker.usage).toEqual({ model: "m", inputTokens: 12, outputTokens: 31, cacheCreationInputTokens: 0, cacheReadInputTokens: 7 });
  });

  it("keeps what it has when events carry bad JSON, missing fields or wrong types", () => {
    const tracker = createUsageTracker();
    const events: SseEvent[] = [
      { event: "message_start", data: '{"message":{"model":"m","usage":{"input_tokens":5}}}' },
      { event: "message_start", data: "{not json" },
      { event: "message_start", data: "null" },
      { event: "message_start", data: '{"message":{"model":7,"usage":{"input_tokens":"9"}}}' },
      { event: "message_delta", data: '{"usage":null}' },
      { event: "message_delta", data: '{"usage":{"output_tokens":-3,"cache_read_input_tokens":null}}' },
      { event: "message_delta", data: "" },
      { event: "error", data: "[]" },
    ];
    for (const event of events) expect(() => tracker.onEvent(event)).not.toThrow();
    expect(tracker.usage).toEqual({ model: "m", inputTokens: 5, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 });
    expect(tracker.errorEvent).toEqual({ type: "unknown_error", message: "" });
  });

  it("records an error event sent mid-stream and reports no message_stop", () => {
    const stream =
      'event: message_start\ndata: {"type":"message_start","message":{"model":"m","usage":{"input_tokens":3,"output_tokens":1}}}\n\n' +
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n';
    const tracker = track(stream);
    expect(tracker.errorEvent).toEqual({ type: "overloaded_error", message: "Overloaded" });
    expect(tracker.sawMessageStop).toBe(false);
    expect(tracker.usage.inputTokens).toBe(3);
  });

  it("hands out a snapshot that later events do not change", () => {
    const tracker = createUsageTracker();
    tracker.onEvent({ event: "message_delta", data: '{"usage":{"output_tokens":1}}' });
    const before = tracker.usage;
    tracker.onEvent({ event: "message_delta", data: '{"usage":{"output_tokens":2}}' });
    expect(before.outputTokens).toBe(1);
    expect(tracker.usage.outputTokens).toBe(2);
  });
});

describe("usageFromMessage", () => {
  it("reads model and every count from a non-streaming body", () => {
    const body = {
      id: "msg_1",
      type: "message",
      model: "claude-haiku-4-5",
      content: [{ type: "text", text: "hi" }],
      usage: {
        input_tokens: 11,
        output_tokens: 22,
        cache_creation_input_tokens: 33,
        cache_read_input_tokens: 44,
        cache_creation: { ephemeral_5m_input_tokens: 30, ephemeral_1h_input_tokens: 3 },
      },
    };
    expect(usageFromMessage(body)).toEqual({
      model: "claude-haiku-4-5",
      inputTokens: 11,
      outputTokens: 22,
      cacheCreationInputTokens: 33,
      cacheReadInputTokens: 44,
      cacheCreation1hInputTokens: 3,
    });
  });

  it("returns zeros for bodies that are not messages", () => {
    const zero = { model: "", inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
    for (const body of [null, undefined, "text", 42, [], { usage: "none" }, { model: null, usage: { input_tokens: Number.NaN } }]) {
      expect(usageFromMessage(body)).toEqual(zero);
    }
  });
});
