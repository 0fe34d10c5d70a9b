import { describe, expect, it } from "vitest";
import { assembleToolCalls, type ClientEvent, everySplit, geminiSse, readClientStream, run, sdkRead } from "../openai-chat/chat-stream.test-helper.js";
import { createGeminiChatTranslator } from "./gemini-answer.js";
import type { GeminiAnswerOptions } from "./to-gemini-request.js";

const PLAIN: GeminiAnswerOptions = { model: "gemini-2.5-flash", includeUsage: false };
const make = (options: Partial<GeminiAnswerOptions> = {}) => () => {
  let n = 0;
  return createGeminiChatTranslator({ ...PLAIN, ...options }, { id: "chatcmpl-test", created: 1_700_000_000, callId: () => `call_${++n}` });
};

const usage = (prompt: number, candidates: number, thoughts: number, cached = 0) => ({
  promptTokenCount: prompt,
  ...(candidates > 0 && { candidatesTokenCount: candidates }),
  totalTokenCount: prompt + candidates + thoughts,
  ...(cached > 0 && { cachedContentTokenCount: cached }),
  ...(thoughts > 0 && { thoughtsTokenCount: thoughts }),
  promptTokensDetails: [{ modality: "TEXT", tokenCount: prompt }],
});
const chunk = (parts: unknown[], finishReason?: string, meta = usage(12, 0, 28)) => ({
  candidates: [{ content: { parts, role: "model" }, ...(finishReason && { finishReason }), index: 0 }],
  usageMetadata: meta,
  modelVersion: "gemini-2.5-flash",
  responseId: "mNq8aPz1Ct6wz7IPu8CYmQ4",
});

const THINKING_TEXT = geminiSse([
  chunk([{ text: "**Finding the capital**\n\nThe user asks", thought: true }]),
  chunk([{ text: "The capital" }]),
  chunk([{ text: " of France is Paris." }], "STOP", usage(1200, 8, 28, 1024)),
]);
const PARALLEL_CALLS = geminiSse([
  chunk([
    { functionCall: { name: "get_weather", args: { location: "Paris" } }, thoughtSignature: "CiQBVKhc7vWvD1e0Ck4N9sQ0m0tpgsN" },
    { functionCall: { name: "get_weather", args: { location: "Rome", unit: "celsius" } } },
  ], "STOP", usage(80, 30, 0)),
]);

const ROLE: ClientEvent = { delta: { role: "assistant", content: "", refusal: null }, finish: null };
const content = (c: string): ClientEvent => ({ delta: { content: c }, finish: null });
const finish = (reason: string): ClientEvent => ({ delta: {}, finish: reason });
const CUT: ClientEvent = { error: { message: "The upstream stream ended before the answer was complete.", type: "server_error", param: null, code: null } };

describe("a Gemini stream for a chat completions client", () => {
  const table: Array<{ name: string; input: string; options?: Partial<GeminiAnswerOptions>; events: ClientEvent[] }> = [
    {
      name: "gives thoughts as reasoning, text as content, and usage from the last usageMetadata",
      input: THINKING_TEXT,
      options: { includeUsage: true },
      events: [
        ROLE,
        { delta: { reasoning_content: "**Finding the capital**\n\nThe user asks" }, finish: null },
        content("The capital"),
        content(" of France is Paris."),
        finish("stop"),
        { usage: { prompt_tokens: 1200, completion_tokens: 36, total_tokens: 1236, prompt_tokens_details: { cached_tokens: 1024 }, completion_tokens_details: { reasoning_tokens: 28 } } },
        "[DONE]",
      ],
    },
    {
      name: "gives parallel function calls with new ids and STOP as tool_calls",
      input: PARALLEL_CALLS,
      events: [
        ROLE,
        { delta: { tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"location":"Paris"}' } }] }, finish: null },
        { delta: { tool_calls: [{ index: 1, id: "call_2", type: "function", function: { name: "get_weather", arguments: '{"location":"Rome","unit":"celsius"}' } }] }, finish: null },
        finish("tool_calls"),
        "[DONE]",
      ],
    },
    { name: "maps MAX_TOKENS to length", input: geminiSse([chunk([{ text: "Once upon" }], "MAX_TOKENS")]), events: [ROLE, content("Once upon"), finish("length"), "[DONE]"] },
    { name: "maps SAFETY to content_filter", input: geminiSse([chunk([{ text: "I" }]), chunk([], "SAFETY")]), events: [ROLE, content("I"), finish("content_filter"), "[DONE]"] },
    { name: "maps a blocked prompt to content_filter", input: geminiSse([{ promptFeedback: { blockReason: "PROHIBITED_CONTENT" }, usageMetadata: usage(5, 0, 0) }]), events: [ROLE, finish("content_filter"), "[DONE]"] },
    { name: "reads chunks inside the Code Assist envelope", input: geminiSse([{ response: chunk([{ text: "Hi" }], "STOP"), traceId: "7e1f" }]), events: [ROLE, content("Hi"), finish("stop"), "[DONE]"] },
    {
      name: "ends with an error event when the upstream sends an error object",
      input: geminiSse([chunk([{ text: "Par" }]), { error: { code: 503, message: "The model is overloaded. Please try again later.", status: "UNAVAILABLE" } }]),
      events: [ROLE, content("Par"), { error: { message: "The model is overloaded. Please try again later.", type: "service_unavailable_error", param: null, code: "server_is_overloaded" } }],
    },
    { name: "ends a stream cut short (no finishReason) with an error event", input: geminiSse([chunk([{ text: "The capital" }])]), events: [ROLE, content("The capital"), CUT] },
    { name: "ends an empty body with an error event", input: "", events: [CUT] },
  ];
  for (const row of table) {
    it(row.name, () => {
      const { events, chunks } = readClientStream(run(make(row.options), row.input));
      expect(events).toEqual(row.events);
      if (chunks[0]) expect(chunks[0]).toMatchObject({ id: "chatcmpl-test", created: 1_700_000_000, model: "gemini-2.5-flash" });
    });
  }

  it("gives the same bytes wherever the upstream's chunks were cut", () => {
    expect(everySplit(make({ includeUsage: true }), THINKING_TEXT)).toBe(run(make({ includeUsage: true }), THINKING_TEXT));
    expect(everySplit(make(), PARALLEL_CALLS)).toBe(run(make(), PARALLEL_CALLS));
  });

  it("lets a client assemble the calls, and the SDK read the stream whole", () => {
    const text = run(make(), PARALLEL_CALLS);
    expect(assembleToolCalls(readClientStream(text).events).map((call) => call.name)).toEqual(["get_weather", "get_weather"]);
    expect(sdkRead(text).raised).toBeUndefined();
    expect(sdkRead(run(make(), geminiSse([chunk([{ text: "x" }])]))).raised).toContain("ended before");
  });
});

describe("a Gemini JSON answer for a chat completions client", () => {
  it("becomes one chat.completion", () => {
    const body = chunk([{ text: "Thinking…", thought: true }, { text: "Paris" }, { functionCall: { id: "fc-9", name: "lookup", args: {} } }], "STOP", usage(10, 5, 3, 2));
    expect(JSON.parse(run(make(), JSON.stringify(body), { contentType: "application/json; charset=UTF-8", cuts: [5] }))).toEqual({
      id: "chatcmpl-test",
      object: "chat.completion",
      created: 1_700_000_000,
      model: "gemini-2.5-flash",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Paris", reasoning_content: "Thinking…", tool_calls: [{ id: "fc-9", type: "function", function: { name: "lookup", arguments: "{}" } }], refusal: null },
          logprobs: null,
          finish_reason: "tool_calls",
        },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 8, total_tokens: 18, prompt_tokens_details: { cached_tokens: 2 }, completion_tokens_details: { reasoning_tokens: 3 } },
    });
  });

  it("maps a Google error answer to OpenAI's shape with the status kept", () => {
    const error = '{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}';
    expect(JSON.parse(run(make(), error, { status: 400, contentType: "application/json" }))).toEqual({ error: { message: "API key not valid. Please pass a valid API key.", type: "invalid_request_error", param: null, code: null } });
    expect(JSON.parse(run(make(), "<html>Bad Gateway</html>", { status: 502, contentType: "text/html" }))).toEqual({ error: { message: "The upstream service answered with status 502.", type: "server_error", param: null, code: null } });
  });
});
