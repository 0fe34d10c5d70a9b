import { describe, expect, it } from "vitest";
import type { ChatTarget } from "./chat-request.js";
import { validateChatRequest } from "./validate-chat-request.js";

const HI = [{ role: "user", content: "Hi" }];
const CALL = { id: "call_1", type: "function", function: { name: "f", arguments: '{"a":1}' } };
const F = { type: "function", function: { name: "f" } };

function check(body: Record<string, unknown>, target: ChatTarget = "anthropic") {
  return validateChatRequest({ model: "m", messages: HI, ...body }, target);
}

describe("validating a chat completions request", () => {
  it("reads the fields both targets use, null counting as absent", () => {
    const read = validateChatRequest(Buffer.from(JSON.stringify({ model: "m", messages: HI, stream: true, stream_options: { include_usage: true }, max_tokens: 9, temperature: null, stop: "END", user: "u", metadata: { a: "b" }, n: 1, logprobs: false, store: false, service_tier: "auto" })), "anthropic");
    expect(read).toEqual({ ok: true, request: { model: "m", messages: HI, stream: true, includeUsage: true, maxTokens: 9, stop: ["END"], user: "u" } });
  });

  const refusals: Array<{ body: Record<string, unknown>; target?: ChatTarget; param: string | null }> = [
    { body: { n: 2 }, param: "n" },
    { body: { logprobs: true }, param: "logprobs" },
    { body: { top_logprobs: 3 }, param: "top_logprobs" },
    { body: { audio: { voice: "alloy", format: "mp3" }, modalities: ["text"] }, param: "audio" },
    { body: { modalities: ["text", "audio"] }, param: "modalities" },
    { body: { logit_bias: { "50256": -100 } }, param: "logit_bias" },
    { body: { store: true }, param: "store" },
    { body: { service_tier: "flex" }, param: "service_tier" },
    { body: { prediction: { type: "content", content: "x" } }, param: "prediction" },
    { body: { functions: [{ name: "f" }] }, param: "functions" },
    { body: { frobnicate: true }, param: "frobnicate" },
    { body: { seed: 1 }, target: "anthropic", param: "seed" },
    { body: { presence_penalty: 1 }, target: "anthropic", param: "presence_penalty" },
    { body: { temperature: 1.2 }, target: "anthropic", param: "temperature" },
    { body: { temperature: 2.5 }, target: "gemini", param: "temperature" },
    { body: { stream_options: { include_usage: true } }, param: "stream_options" },
    { body: { max_tokens: 0 }, param: "max_tokens" },
    { body: { reasoning_effort: "extreme" }, param: "reasoning_effort" },
    { body: { tool_choice: "required" }, param: "tool_choice" },
    { body: { tools: [F], tool_choice: { type: "function", function: { name: "g" } } }, param: "tool_choice" },
    { body: { tools: [F, F] }, param: "tools[1].function.name" },
    { body: { tools: [{ type: "custom", custom: { name: "x" } }] }, param: "tools[0].type" },
    { body: { tools: [{ type: "function", function: { name: "bad name" } }] }, param: "tools[0].function.name" },
    { body: { tools: [F], parallel_tool_calls: false }, target: "gemini", param: "parallel_tool_calls" },
    { body: { response_format: { type: "json_schema", json_schema: { schema: {} } } }, param: "response_format.json_schema.name" },
    { body: { model: "" }, param: "model" },
    { body: { messages: [] }, param: "messages" },
    { body: { messages: [{ role: "function", name: "f", content: "x" }] }, param: "messages[0].role" },
    { body: { messages: [{ role: "robot", content: "x" }] }, param: "messages[0].role" },
    { body: { messages: [{ role: "system", content: "x" }] }, param: "messages" },
    { body: { messages: [{ role: "assistant", content: "x" }, ...HI] }, param: "messages[0].role" },
    { body: { messages: [...HI, { role: "user", content: [{ type: "input_audio", input_audio: { data: "", format: "wav" } }] }] }, param: "messages[1].content[0].type" },
    { body: { messages: [...HI, { role: "user", content: [{ type: "file", file: { file_id: "file-abc" } }] }] }, param: "messages[1].content[0].file" },
    { body: { messages: [...HI, { role: "assistant", tool_calls: [CALL] }] }, param: "messages[1].tool_calls" },
    { body: { messages: [...HI, { role: "assistant", tool_calls: [CALL] }, { role: "user", content: "?" }] }, param: "messages[1].tool_calls" },
    { body: { messages: [...HI, { role: "tool", tool_call_id: "call_1", content: "x" }] }, param: "messages[1].tool_call_id" },
    { body: { messages: [...HI, { role: "assistant", tool_calls: [CALL] }, { role: "tool", tool_call_id: "call_9", content: "x" }] }, param: "messages[2].tool_call_id" },
    { body: { messages: [...HI, { role: "assistant", tool_calls: [{ ...CALL, function: { name: "f", arguments: "[1]" } }] }] }, param: "messages[1].tool_calls[0].function.arguments" },
    { body: { messages: [...HI, { role: "assistant", content: null }] }, param: "messages[1].content" },
  ];
  for (const row of refusals) {
    it(`refuses ${JSON.stringify(row.body).slice(0, 90)}${row.target ? ` for ${row.target}` : ""}, naming ${row.param}`, () => {
      expect(check(row.body, row.target)).toMatchObject({ ok: false, status: 400, param: row.param });
    });
  }

  it("refuses a body that is not a JSON object", () => {
    expect(validateChatRequest(Buffer.from("{"), "gemini")).toMatchObject({ ok: false, param: null });
    expect(validateChatRequest(Buffer.from("[]"), "gemini")).toMatchObject({ ok: false, param: null });
  });

  it("accepts what Gemini honours and Claude does not", () => {
    expect(check({ seed: 1, presence_penalty: 0.5, frequency_penalty: -1, temperature: 1.8 }, "gemini")).toMatchObject({ ok: true, request: { seed: 1, presence_penalty: 0.5, frequency_penalty: -1, temperature: 1.8 } });
    expect(check({ presence_penalty: 0, frequency_penalty: 0 }, "anthropic")).toMatchObject({ ok: true });
  });

  it("accepts a complete tool loop and keeps only the fields a target reads", () => {
    const messages = [{ role: "developer", content: "d", name: "x" }, ...HI, { role: "assistant", content: "", tool_calls: [CALL], refusal: null }, { role: "tool", tool_call_id: "call_1", content: "ok" }];
    expect(check({ messages, tools: [F], tool_choice: "auto", parallel_tool_calls: true })).toEqual({
      ok: true,
      request: {
        model: "m",
        messages: [{ role: "developer", content: "d" }, ...HI, { role: "assistant", content: "", tool_calls: [CALL] }, { role: "tool", tool_call_id: "call_1", content: "ok" }],
        stream: false,
        includeUsage: false,
        tools: [F],
        tool_choice: "auto",
        parallel_tool_calls: true,
      },
    });
  });

  it("prefers max_completion_tokens to max_tokens in either order", () => {
    expect(check({ max_completion_tokens: 5, max_tokens: 9 })).toMatchObject({ request: { maxTokens: 5 } });
    expect(check({ max_tokens: 9, max_completion_tokens: 5 })).toMatchObject({ request: { maxTokens: 5 } });
  });
});
