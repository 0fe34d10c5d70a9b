import { describe, expect, it } from "vitest";
import { anthropicSse, assembleToolCalls, type ClientEvent, everySplit, readClientStream, run, sdkRead } from "../openai-chat/chat-stream.test-helper.js";
import { createAnthropicChatTranslator } from "./anthropic-answer.js";
import type { AnthropicAnswerOptions } from "./to-anthropic-request.js";

const IDS = { id: "chatcmpl-test", created: 1_700_000_000 };
const PLAIN: AnthropicAnswerOptions = { model: "claude-sonnet-4-5", includeUsage: false, jsonTool: false };
const make = (options: Partial<AnthropicAnswerOptions> = {}) => () => createAnthropicChatTranslator({ ...PLAIN, ...options }, IDS);

const start = (usage: Record<string, number> = { input_tokens: 25, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 }) => ({
  type: "message_start",
  message: { id: "msg_01XFDUDYJgAACzvnptvVoYEL", type: "message", role: "assistant", content: [], model: "claude-sonnet-4-5-20250929", stop_reason: null, stop_sequence: null, usage },
});
const textStart = (index: number) => ({ type: "content_block_start", index, content_block: { type: "text", text: "" } });
const text = (index: number, t: string) => ({ type: "content_block_delta", index, delta: { type: "text_delta", text: t } });
const stop = (index: number) => ({ type: "content_block_stop", index });
const toolStart = (index: number, id: string, name: string) => ({ type: "content_block_start", index, content_block: { type: "tool_use", id, name, input: {} } });
const json = (index: number, partial: string) => ({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: partial } });
const delta = (reason: string, output: number) => ({ type: "message_delta", delta: { stop_reason: reason, stop_sequence: null }, usage: { output_tokens: output } });
const END = { type: "message_stop" };

const ROLE: ClientEvent = { delta: { role: "assistant", content: "", refusal: null }, finish: null };
const content = (c: string): ClientEvent => ({ delta: { content: c }, finish: null });
const finish = (reason: string): ClientEvent => ({ delta: {}, finish: reason });

const HELLO = anthropicSse([start(), textStart(0), { type: "ping" }, text(0, "Hello"), text(0, ", wörld!"), stop(0), delta("end_turn", 15), END]);

const WEATHER_ARGS = ["", '{"loc', 'ation": "San', ' Francisco, CA"', ', "unit": "cel', 'sius"}'];
const TOOLS_WITH_THINKING = anthropicSse([
  start({ input_tokens: 400, cache_creation_input_tokens: 100, cache_read_input_tokens: 2000, output_tokens: 1 }),
  { type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "" } },
  { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "The user wants weather" } },
  { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: " and time." } },
  { type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3h" } },
  stop(0),
  textStart(1),
  text(1, "Checking both."),
  stop(1),
  toolStart(2, "toolu_01A09q90qw90lq917835lq9", "get_weather"),
  ...WEATHER_ARGS.map((piece) => json(2, piece)),
  stop(2),
  toolStart(3, "toolu_01B7d3c2e1f0a9b8c7d6e5f4", "get_time"),
  json(3, '{"timezone":'),
  json(3, '"America/Los_Angeles"}'),
  stop(3),
  delta("tool_use", 120),
  END,
]);

describe("an Anthropic stream for a chat completions client", () => {
  const table: Array<{ name: string; input: string; options?: Partial<AnthropicAnswerOptions>; events: ClientEvent[] }> = [
    { name: "gives text as content deltas and end_turn as stop", input: HELLO, events: [ROLE, content("Hello"), content(", wörld!"), finish("stop"), "[DONE]"] },
    {
      name: "gives the usage chunk last when asked for it: prompt counts cache writes and reads",
      input: TOOLS_WITH_THINKING,
      options: { includeUsage: true },
      events: [
        ROLE,
        { delta: { reasoning_content: "The user wants weather" }, finish: null },
        { delta: { reasoning_content: " and time." }, finish: null },
        content("Checking both."),
        { delta: { tool_calls: [{ index: 0, id: "toolu_01A09q90qw90lq917835lq9", type: "function", function: { name: "get_weather", arguments: "" } }] }, finish: null },
        ...WEATHER_ARGS.filter((p) => p !== "").map((p): ClientEvent => ({ delta: { tool_calls: [{ index: 0, function: { arguments: p } }] }, finish: null })),
        { delta: { tool_calls: [{ index: 1, id: "toolu_01B7d3c2e1f0a9b8c7d6e5f4", type: "function", function: { name: "get_time", arguments: "" } }] }, finish: null },
        { delta: { tool_calls: [{ index: 1, function: { arguments: '{"timezone":' } }] }, finish: null },
        { delta: { tool_calls: [{ index: 1, function: { arguments: '"America/Los_Angeles"}' } }] }, finish: null },
        finish("tool_calls"),
        { usage: { prompt_tokens: 2500, completion_tokens: 120, total_tokens: 2620, prompt_tokens_details: { cached_tokens: 2000 } } },
        "[DONE]",
      ],
    },
    { name: "maps max_tokens to length", input: anthropicSse([start(), textStart(0), text(0, "Once"), delta("max_tokens", 1), END]), events: [ROLE, content("Once"), finish("length"), "[DONE]"] },
    { name: "maps stop_sequence to stop", input: anthropicSse([start(), textStart(0), text(0, "1, 2"), delta("stop_sequence", 4), END]), events: [ROLE, content("1, 2"), finish("stop"), "[DONE]"] },
    { name: "maps refusal to content_filter", input: anthropicSse([start(), delta("refusal", 0), END]), events: [ROLE, finish("content_filter"), "[DONE]"] },
    {
      name: "gives the JSON tool's input as content, and its tool_use stop as stop",
      input: anthropicSse([start(), toolStart(0, "toolu_01J", "json_response"), json(0, ""), json(0, '{"answer": '), json(0, "42}"), stop(0), delta("tool_use", 9), END]),
      options: { jsonTool: true },
      events: [ROLE, content('{"answer": '), content("42}"), finish("stop"), "[DONE]"],
    },
    {
      name: "ends with the upstream's error event, which the SDK raises, and no [DONE]",
      input: anthropicSse([start(), textStart(0), text(0, "Hi"), { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }]),
      events: [ROLE, content("Hi"), { error: { message: "Overloaded", type: "service_unavailable_error", param: null, code: "server_is_overloaded" } }],
    },
    {
      name: "ends a stream cut short (no message_stop) with an error event",
      input: anthropicSse([start(), textStart(0), text(0, "Half an ans")]),
      events: [ROLE, content("Half an ans"), { error: { message: "The upstream stream ended before the answer was complete.", type: "server_error", param: null, code: null } }],
    },
    { name: "ends an empty body with an error event", input: "", events: [{ error: { message: "The upstream stream ended before the answer was complete.", type: "server_error", param: null, code: null } }] },
  ];
  for (const row of table) {
    it(row.name, () => {
      const { events, chunks } = readClientStream(run(make(row.options), row.input));
      expect(events).toEqual(row.events);
      if (chunks[0]) expect(chunks[0]).toMatchObject({ id: "chatcmpl-test", created: 1_700_000_000, model: "claude-sonnet-4-5-20250929" });
    });
  }

  it("gives the same bytes wherever the upstream's chunks were cut", () => {
    const whole = run(make({ includeUsage: true }), TOOLS_WITH_THINKING);
    expect(everySplit(make({ includeUsage: true }), TOOLS_WITH_THINKING)).toBe(whole);
    expect(everySplit(make(), HELLO)).toBe(run(make(), HELLO));
  });

  it("lets a client assemble parallel tool calls whose arguments came in many pieces", () => {
    const { events } = readClientStream(run(make(), TOOLS_WITH_THINKING));
    expect(assembleToolCalls(events)).toEqual([
      { id: "toolu_01A09q90qw90lq917835lq9", name: "get_weather", arguments: '{"location": "San Francisco, CA", "unit": "celsius"}' },
      { id: "toolu_01B7d3c2e1f0a9b8c7d6e5f4", name: "get_time", arguments: '{"timezone":"America/Los_Angeles"}' },
    ]);
  });

  it("puts usage: null on every chunk when usage is asked for, and nothing when not", () => {
    const asked = readClientStream(run(make({ includeUsage: true }), HELLO)).chunks;
    expect(asked.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
    expect(readClientStream(run(make(), HELLO)).chunks.every((chunk) => !("usage" in chunk))).toBe(true);
  });

  it("is raised by the SDK when cut short, and read whole when complete", () => {
    expect(sdkRead(run(make(), anthropicSse([start(), textStart(0), text(0, "x")]))).raised).toContain("ended before");
    expect(sdkRead(run(make(), HELLO))).toMatchObject({ raised: undefined });
  });
});

describe("an Anthropic JSON answer for a chat completions client", () => {
  const message = {
    id: "msg_01",
    type: "message",
    role: "assistant",
    model: "claude-opus-4-1-20250805",
    content: [
      { type: "thinking", thinking: "Weather first.", signature: "sig" },
      { type: "text", text: "Let me check." },
      { type: "tool_use", id: "toolu_01", name: "get_weather", input: { location: "Paris" } },
    ],
    stop_reason: "tool_use",
    usage: { input_tokens: 10, cache_creation_input_tokens: 5, cache_read_input_tokens: 20, output_tokens: 30 },
  };

  it("becomes one chat.completion with content, reasoning, tool calls and usage", () => {
    const out = JSON.parse(run(make(), JSON.stringify(message), { contentType: "application/json", cuts: [7, 50] }));
    expect(out).toEqual({
      id: "chatcmpl-test",
      object: "chat.completion",
      created: 1_700_000_000,
      model: "claude-opus-4-1-20250805",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "Let me check.",
            reasoning_content: "Weather first.",
            tool_calls: [{ id: "toolu_01", type: "function", function: { name: "get_weather", arguments: '{"location":"Paris"}' } }],
            refusal: null,
          },
          logprobs: null,
          finish_reason: "tool_calls",
        },
      ],
      usage: { prompt_tokens: 35, completion_tokens: 30, total_tokens: 65, prompt_tokens_details: { cached_tokens: 20 } },
    });
  });

  it("gives a JSON answer's tool input as the content", () => {
    const answer = { ...message, content: [{ type: "tool_use", id: "toolu_02", name: "json_response", input: { answer: 42 } }] };
    const out = JSON.parse(run(make({ jsonTool: true }), JSON.stringify(answer), { contentType: "application/json" }));
    expect(out.choices[0]).toMatchObject({ message: { content: '{"answer":42}' }, finish_reason: "stop" });
    expect(out.choices[0].message.tool_calls).toBeUndefined();
  });

  it("maps an upstream error answer to OpenAI's shape with the status kept", () => {
    const t = make()();
    const headers = t.headers(429, { "content-type": "application/json", "content-length": "99", "retry-after": "7" });
    expect(headers).toEqual({ "content-type": "application/json", "retry-after": "7" });
    const body = Buffer.concat([t.push(Buffer.from('{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}')), t.end()]);
    expect(JSON.parse(body.toString())).toEqual({ error: { message: "Number of request tokens has exceeded your per-minute rate limit", type: "requests", param: null, code: "rate_limit_exceeded" } });
  });
});
