import { describe, expect, it } from "vitest";
import { answeredToolUses, checkMessagesRequest, forcedTool, imageTypeOf, type JsonObject } from "./mock-anthropic-request.js";

/** A 1×1 PNG. */
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
const TOOLS = [{ name: "get_weather", description: "Weather", input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } }];
const HI = { role: "user", content: "hi" };
const useTurn = (...ids: string[]) => ({ role: "assistant", content: ids.map((id) => ({ type: "tool_use", id, name: "get_weather", input: { city: "Oslo" } })) });
const resultTurn = (...ids: string[]) => ({ role: "user", content: ids.map((id) => ({ type: "tool_result", tool_use_id: id, content: "12°C" })) });

function check(fields: JsonObject, route: "messages" | "count_tokens" = "messages"): string | undefined {
  return checkMessagesRequest({ model: "claude-sonnet-4-5", max_tokens: 64, messages: [HI], ...fields }, route);
}

describe("checkMessagesRequest", () => {
  it("accepts a plain request, and what Claude Code sends besides the documented fields", () => {
    expect(check({})).toBeUndefined();
    expect(
      check({
        messages: [{ role: "user", content: [{ type: "text", text: "say hi", cache_control: { type: "ephemeral" } }] }, { role: "system", content: [{ type: "text", text: "reminder" }] }],
        system: [{ type: "text", text: "You are Claude Code.", cache_control: { type: "ephemeral" } }],
        tools: TOOLS,
        metadata: { user_id: '{"session_id":"s"}' },
        max_tokens: 128000,
        thinking: { type: "adaptive", display: "omitted" },
        context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
        output_config: { effort: "medium" },
        stream: true,
      }),
    ).toBeUndefined();
  });

  it("accepts consecutive turns of one role, read as one turn", () => {
    expect(check({ messages: [HI, { role: "user", content: "again" }, useTurn("toolu_1"), { role: "assistant", content: "and" }, resultTurn("toolu_1")] })).toBeUndefined();
    expect(check({ messages: [HI, { role: "user", content: "again" }, { role: "assistant", content: "ok" }, { role: "assistant", content: "sure" }, HI] })).toBeUndefined();
  });

  it.each<[string, JsonObject, string]>([
    ["no model", { model: undefined }, "model: Field required"],
    ["no max_tokens", { max_tokens: undefined }, "max_tokens: Field required"],
    ["max_tokens of 0", { max_tokens: 0 }, "max_tokens: Input should be greater than or equal to 1"],
    ["a fractional max_tokens", { max_tokens: 1.5 }, "max_tokens: Input should be a valid integer"],
    ["max_tokens as text", { max_tokens: "64" }, "max_tokens: Input should be a valid integer"],
    ["no messages", { messages: undefined }, "messages: Field required"],
    ["empty messages", { messages: [] }, "messages: at least one message is required"],
    ["an unknown role", { messages: [{ role: "tool", content: "x" }] }, "messages.0.role: Input should be 'user' or 'assistant'"],
    ["an assistant first", { messages: [{ role: "assistant", content: "hello" }, HI] }, 'messages: first message must use the "user" role'],
    ["an empty user message", { messages: [{ role: "user", content: "" }] }, "messages.0: all messages must have non-empty content"],
    ["an empty text block", { messages: [{ role: "user", content: [{ type: "text", text: "" }] }] }, "messages: text content blocks must be non-empty"],
    ["a whitespace text block", { messages: [{ role: "user", content: [{ type: "text", text: " \n" }] }] }, "non-whitespace text"],
    ["a prefill ending in whitespace", { messages: [HI, { role: "assistant", content: "Sure: " }] }, "final assistant content cannot end with trailing whitespace"],
    ["a temperature above 1", { temperature: 1.5 }, "temperature: Input should be less than or equal to 1"],
    ["a whitespace stop sequence", { stop_sequences: ["END", "\n\n"] }, "stop_sequences: each stop sequence must contain non-whitespace"],
    ["an empty stop sequence", { stop_sequences: [""] }, "stop_sequences: each stop sequence must be non-empty"],
    ["metadata.user_id that is not a string", { metadata: { user_id: 7 } }, "metadata.user_id: Input should be a valid string"],
  ])("refuses %s", (_name, fields, message) => {
    expect(check(fields)).toContain(message);
  });

  it("asks max_tokens of messages but not of count_tokens", () => {
    expect(check({ max_tokens: undefined }, "count_tokens")).toBeUndefined();
    expect(check({ messages: [] }, "count_tokens")).toBe("messages: at least one message is required");
  });

  describe("tool use", () => {
    it("accepts a call answered in the next turn, results first, parallel calls included", () => {
      expect(check({ tools: TOOLS, messages: [HI, useTurn("toolu_1", "toolu_2"), resultTurn("toolu_2", "toolu_1")] })).toBeUndefined();
      const withText = { role: "user", content: [...resultTurn("toolu_1").content, { type: "text", text: "go on" }] };
      expect(check({ tools: TOOLS, messages: [HI, useTurn("toolu_1"), withText] })).toBeUndefined();
    });

    it("refuses a result for a call the turn before did not make", () => {
      expect(check({ tools: TOOLS, messages: [HI, useTurn("toolu_1"), resultTurn("toolu_1"), { role: "assistant", content: "ok" }, resultTurn("toolu_1")] })).toMatch(
        /^messages\.4\.content\.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_1\./,
      );
      expect(check({ messages: [resultTurn("toolu_9")] })).toContain("toolu_9");
    });

    it("refuses a call left unanswered in the next turn", () => {
      expect(check({ tools: TOOLS, messages: [HI, useTurn("toolu_1", "toolu_2"), resultTurn("toolu_1")] })).toMatch(
        /^messages\.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_2\./,
      );
      expect(check({ tools: TOOLS, messages: [HI, useTurn("toolu_1"), HI] })).toContain("without `tool_result` blocks");
    });

    it("refuses results after other content in their turn", () => {
      const late = { role: "user", content: [{ type: "text", text: "here" }, ...resultTurn("toolu_1").content] };
      expect(check({ tools: TOOLS, messages: [HI, useTurn("toolu_1"), late] })).toBe(
        "messages.2: Did not find 1 tool_result block(s) at the beginning of this message. Messages following tool_use blocks must begin with a matching number of tool_result blocks.",
      );
    });

    it.each<[string, JsonObject, string]>([
      ["an id outside the API's pattern", { messages: [HI, useTurn("call:1")] }, "messages.1.content.0.tool_use.id: String should match pattern"],
      ["a tool without a schema", { tools: [{ name: "f" }] }, "tools.0.custom.input_schema: Field required"],
      ["a schema that is not an object", { tools: [{ name: "f", input_schema: { type: "string" } }] }, "tools.0.custom.input_schema.type: Input should be 'object'"],
      ["a tool name with a space", { tools: [{ name: "get weather", input_schema: { type: "object" } }] }, "tools.0.custom.name"],
      ["two tools of one name", { tools: [...TOOLS, ...TOOLS] }, "Tool names must be unique"],
      ["a forced tool that is not declared", { tools: TOOLS, tool_choice: { type: "tool", name: "other" } }, "tool_choice.name: Tool 'other' was not found"],
      ["a forced choice without tools", { tool_choice: { type: "any" } }, "requires `tools`"],
    ])("refuses %s", (_name, fields, message) => {
      expect(check(fields)).toContain(message);
    });

    it("accepts server tools without a schema", () => {
      expect(check({ tools: [{ type: "web_search_20250305", name: "web_search", max_uses: 3 }] })).toBeUndefined();
    });
  });

  describe("images", () => {
    const image = (source: JsonObject) => ({ messages: [{ role: "user", content: [{ type: "image", source }, { type: "text", text: "what is it?" }] }] });

    it("accepts base64 bytes of the type they claim, and URL sources", () => {
      expect(check(image({ type: "base64", media_type: "image/png", data: PNG }))).toBeUndefined();
      expect(check(image({ type: "url", url: "https://example.com/cat.png" }))).toBeUndefined();
    });

    it.each<[string, JsonObject, string]>([
      ["a media type the API does not take", { type: "base64", media_type: "image/bmp", data: PNG }, "messages.0.content.0.image.source.base64.media_type: Input should be 'image/jpeg'"],
      ["bytes of another type", { type: "base64", media_type: "image/jpeg", data: PNG }, "Image does not match the provided media type image/jpeg"],
      ["data that is not base64", { type: "base64", media_type: "image/png", data: "not base64!" }, "Invalid base64 data"],
      ["bytes that are no image", { type: "base64", media_type: "image/png", data: Buffer.from("plain text").toString("base64") }, "Could not process image"],
      ["no data", { type: "base64", media_type: "image/png" }, "base64.data: Field required"],
      ["a data: URL as a url source", { type: "url", url: `data:image/png;base64,${PNG}` }, "url.url: Input should be a valid URL"],
      ["an unknown source type", { type: "path", path: "/tmp/x.png" }, "does not match any of the expected tags"],
    ])("refuses %s", (_name, source, message) => {
      expect(check(image(source))).toContain(message);
    });

    it("tells image types by their first bytes", () => {
      expect(imageTypeOf(Buffer.from(PNG, "base64"))).toBe("image/png");
      expect(imageTypeOf(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe("image/jpeg");
      expect(imageTypeOf(Buffer.from("GIF89a……"))).toBe("image/gif");
      expect(imageTypeOf(Buffer.from("RIFF\0\0\0\0WEBPVP8 "))).toBe("image/webp");
    });
  });

  describe("thinking", () => {
    const enabled = (budget: unknown) => ({ type: "enabled", budget_tokens: budget });

    it("accepts a budget of at least 1024 below max_tokens", () => {
      expect(check({ thinking: enabled(1024), max_tokens: 2048 })).toBeUndefined();
      expect(check({ thinking: { type: "disabled" }, temperature: 0.2, tool_choice: { type: "any" }, tools: TOOLS })).toBeUndefined();
    });

    it.each<[string, JsonObject, string]>([
      ["a budget below 1024", { thinking: enabled(1000), max_tokens: 4096 }, "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"],
      ["no budget", { thinking: { type: "enabled" } }, "thinking.enabled.budget_tokens: Field required"],
      ["a budget not below max_tokens", { thinking: enabled(2048), max_tokens: 2048 }, "`max_tokens` must be greater than `thinking.budget_tokens`"],
      ["a forced tool", { thinking: enabled(1024), max_tokens: 4096, tools: TOOLS, tool_choice: { type: "tool", name: "get_weather" } }, "Thinking may not be enabled when `tool_choice` forces tool use."],
      ["tool_choice any with adaptive thinking", { thinking: { type: "adaptive" }, tools: TOOLS, tool_choice: { type: "any" } }, "forces tool use"],
      ["a temperature other than 1", { thinking: enabled(1024), max_tokens: 4096, temperature: 0.5 }, "`temperature` may only be set to 1 when thinking is enabled"],
      ["an unknown type", { thinking: { type: "on" } }, "thinking: Input tag"],
    ])("refuses %s", (_name, fields, message) => {
      expect(check(fields)).toContain(message);
    });

    it("wants the answered tool-use turn to open with its thinking when thinking is enabled", () => {
      const fields = { thinking: enabled(1024), max_tokens: 4096, tools: TOOLS };
      expect(check({ ...fields, messages: [HI, useTurn("toolu_1"), resultTurn("toolu_1")] })).toMatch(/^messages\.1\.content\.0\.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`/);
      const signed = { role: "assistant", content: [{ type: "thinking", thinking: "hmm", signature: "c2ln" }, ...useTurn("toolu_1").content] };
      expect(check({ ...fields, messages: [HI, signed, resultTurn("toolu_1")] })).toBeUndefined();
    });
  });
});

describe("reading a request", () => {
  it("finds the forced tool: the named one, or the first for any", () => {
    const tools = [...TOOLS, { name: "json_response", input_schema: { type: "object" } }];
    expect(forcedTool({ tools, tool_choice: { type: "tool", name: "json_response" } })?.name).toBe("json_response");
    expect(forcedTool({ tools, tool_choice: { type: "any" } })?.name).toBe("get_weather");
    expect(forcedTool({ tools, tool_choice: { type: "auto" } })).toBeUndefined();
  });

  it("finds the calls the last turn answers", () => {
    expect(answeredToolUses({ messages: [HI, useTurn("toolu_1", "toolu_2"), resultTurn("toolu_2", "toolu_1")] }).map((use) => use.id)).toEqual(["toolu_1", "toolu_2"]);
    expect(answeredToolUses({ messages: [HI, useTurn("toolu_1"), resultTurn("toolu_1"), { role: "assistant", content: "done" }, HI] })).toEqual([]);
  });
});
