import { describe, expect, it } from "vitest";
import { completionText, createChunkWriter, randomId, usageObject } from "./chat-output.js";

const ID = { id: "chatcmpl-x", created: 1, model: "m" };

describe("the chat completion writer", () => {
  it("writes a completion with null content when only tools were called", () => {
    const out = JSON.parse(completionText(ID, { content: "", reasoning: "", toolCalls: [{ id: "c", name: "f", arguments: "{}" }] }, "tool_calls", { promptTokens: 3, completionTokens: 4, cachedTokens: 0 }));
    expect(out.choices[0].message).toEqual({ role: "assistant", content: null, tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }], refusal: null });
    expect(out.usage).toEqual({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, prompt_tokens_details: { cached_tokens: 0 } });
  });

  it("writes chunk events with the role first, tool call starts, and usage only when asked", () => {
    const w = createChunkWriter(ID, true);
    expect(w.role()).toBe('data: {"id":"chatcmpl-x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}\n\n');
    expect(JSON.parse(w.toolCall(2, { id: "c", name: "f" }, "").slice(6)).choices[0].delta).toEqual({ tool_calls: [{ index: 2, id: "c", type: "function", function: { name: "f", arguments: "" } }] });
    expect(JSON.parse(w.toolCall(2, undefined, '{"a').slice(6)).choices[0].delta).toEqual({ tool_calls: [{ index: 2, function: { arguments: '{"a' } }] });
    expect(JSON.parse(w.usage({ promptTokens: 1, completionTokens: 2, cachedTokens: 0, reasoningTokens: 1 }).slice(6))).toMatchObject({ choices: [], usage: { total_tokens: 3, completion_tokens_details: { reasoning_tokens: 1 } } });
    expect(createChunkWriter(ID, false).usage({ promptTokens: 1, completionTokens: 2, cachedTokens: 0 })).toBe("");
    expect(w.done()).toBe("data: [DONE]\n\n");
  });

  it("makes ids of letters and digits", () => {
    expect(randomId("chatcmpl-")).toMatch(/^chatcmpl-[A-Za-z0-9]{24}$/);
    expect(randomId("call_")).not.toBe(randomId("call_"));
    expect(usageObject({ promptTokens: 0, completionTokens: 0, cachedTokens: 0 }).completion_tokens_details).toBeUndefined();
  });
});
