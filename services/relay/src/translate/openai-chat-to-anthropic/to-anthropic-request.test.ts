import { describe, expect, it } from "vitest";
import { validateChatRequest } from "../openai-chat/validate-chat-request.js";
import { CONVERSATION_TOOLS, conversations } from "../openai-chat/conversations.test-helper.js";
import { toAnthropicRequest } from "./to-anthropic-request.js";

type Body = Record<string, unknown> & { messages: Array<{ role: string; content: Array<Record<string, unknown>> }> };

/** Maps a chat request end to end (validation, then translation); throws on a refusal. */
function map(chat: Record<string, unknown>): Body {
  const read = validateChatRequest({ model: "claude-sonnet-4-5", ...chat }, "anthropic");
  if (!read.ok) throw new Error(`refused: ${read.param} ${read.message}`);
  const plan = toAnthropicRequest(read.request);
  if (!plan.ok) throw new Error(`refused: ${plan.param} ${plan.message}`);
  const body = JSON.parse(plan.body.toString()) as Body;
  assertMessagesApiAccepts(body);
  return body;
}

function refusal(chat: Record<string, unknown>): { param: string | null; message: string } {
  const read = validateChatRequest({ model: "claude-sonnet-4-5", ...chat }, "anthropic");
  if (!read.ok) return read;
  const plan = toAnthropicRequest(read.request);
  if (plan.ok) throw new Error("not refused");
  return plan;
}

/** The Messages API's rules for a request's shape, as its docs and errors state them. */
function assertMessagesApiAccepts(body: Body): void {
  expect(Number.isInteger(body.max_tokens) && (body.max_tokens as number) > 0).toBe(true);
  const thinking = body.thinking as { budget_tokens: number } | undefined;
  if (thinking) {
    expect(body.max_tokens as number).toBeGreaterThan(thinking.budget_tokens);
    expect(thinking.budget_tokens).toBeGreaterThanOrEqual(1024);
    expect(["auto", "none", undefined]).toContain((body.tool_choice as { type: string } | undefined)?.type);
    expect(body.messages.at(-1)?.role).toBe("user");
  }
  expect(body.messages[0]?.role).toBe("user");
  body.messages.forEach((turn, i) => {
    if (i > 0) expect(turn.role).not.toBe(body.messages[i - 1]?.role);
    expect(turn.content.length).toBeGreaterThan(0);
    for (const block of turn.content) if (block.type === "text") expect((block.text as string).trim()).not.toBe("");
    const uses = turn.content.filter((b) => b.type === "tool_use").map((b) => b.id);
    if (uses.length > 0) {
      const next = body.messages[i + 1];
      const results = next?.content.filter((b) => b.type === "tool_result").map((b) => b.tool_use_id) ?? [];
      // Every tool use is answered in the very next turn, whose results come first.
      expect(results.sort()).toEqual([...uses].sort());
      expect(next?.content.slice(0, results.length).every((b) => b.type === "tool_result")).toBe(true);
    }
  });
  const last = body.messages.at(-1);
  const lastBlock = last?.content.at(-1);
  if (last?.role === "assistant" && lastBlock?.type === "text") expect(lastBlock.text).toBe((lastBlock.text as string).trimEnd());
}

const WEATHER = { type: "function", function: { name: "get_weather", description: "Weather at a place", parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"] } } };
const TOOL_LOOP = [
  { role: "system", content: "You are terse." },
  { role: "user", content: "Weather in Paris and Rome?" },
  {
    role: "assistant",
    content: null,
    tool_calls: [
      { id: "call_abc", type: "function", function: { name: "get_weather", arguments: '{"location":"Paris"}' } },
      { id: "call.def:1", type: "function", function: { name: "get_weather", arguments: '{"location":"Rome"}' } },
    ],
  },
  { role: "tool", tool_call_id: "call_abc", content: "18C" },
  { role: "tool", tool_call_id: "call.def:1", content: [{ type: "text", text: "24C" }] },
];

describe("a chat completions request for a Claude account", () => {
  it("maps the plain fields, and sets max_tokens when the client gave none", () => {
    const body = map({ messages: [{ role: "developer", content: "Be brief." }, { role: "system", content: [{ type: "text", text: "Speak French." }] }, { role: "user", content: "Hi" }], temperature: 0.2, top_p: 0.9, stop: "END", user: "u-42", stream: true });
    expect(body).toEqual({
      model: "claude-sonnet-4-5",
      max_tokens: 4096,
      system: "Be brief.\n\nSpeak French.",
      messages: [{ role: "user", content: [{ type: "text", text: "Hi" }] }],
      temperature: 0.2,
      top_p: 0.9,
      stop_sequences: ["END"],
      metadata: { user_id: "u-42" },
      stream: true,
    });
    expect(map({ messages: [{ role: "user", content: "Hi" }], max_tokens: 100, max_completion_tokens: 200 }).max_tokens).toBe(200);
  });

  it("merges tool results into one user turn after the tool uses, with ids in Anthropic's characters", () => {
    const body = map({ messages: [...TOOL_LOOP, { role: "user", content: "And Oslo?" }], tools: [WEATHER] });
    expect(body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Weather in Paris and Rome?" }] },
      {
        role: "assistant",
        content: [
          { type: "tool_use", id: "call_abc", name: "get_weather", input: { location: "Paris" } },
          { type: "tool_use", id: "call_def_1", name: "get_weather", input: { location: "Rome" } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "call_abc", content: "18C" },
          { type: "tool_result", tool_use_id: "call_def_1", content: "24C" },
          { type: "text", text: "And Oslo?" },
        ],
      },
    ]);
    expect(body.tools).toEqual([{ name: "get_weather", description: "Weather at a place", input_schema: WEATHER.function.parameters }]);
  });

  it("merges consecutive turns of one role and leaves out empty text", () => {
    const body = map({ messages: [{ role: "user", content: "a" }, { role: "user", content: "  " }, { role: "user", content: [{ type: "text", text: "b" }] }, { role: "assistant", content: "c" }, { role: "assistant", content: "d  \n" }] });
    expect(body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] },
      { role: "assistant", content: [{ type: "text", text: "c" }, { type: "text", text: "d" }] },
    ]);
  });

  it("sends images as base64 or URL sources and PDFs as documents", () => {
    const body = map({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Compare" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=", detail: "high" } },
            { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
            { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0x", filename: "a.pdf" } },
          ],
        },
      ],
    });
    expect(body.messages[0]?.content.slice(1)).toEqual([
      { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
      { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
      { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0x" }, title: "a.pdf" },
    ]);
  });

  const choices: Array<{ choice: unknown; parallel?: boolean; want: unknown }> = [
    { choice: "auto", want: { type: "auto" } },
    { choice: "none", want: { type: "none" } },
    { choice: "required", want: { type: "any" } },
    { choice: { type: "function", function: { name: "get_weather" } }, want: { type: "tool", name: "get_weather" } },
    { choice: "required", parallel: false, want: { type: "any", disable_parallel_tool_use: true } },
    { choice: undefined, parallel: false, want: { type: "auto", disable_parallel_tool_use: true } },
    { choice: undefined, want: undefined },
  ];
  for (const row of choices) {
    it(`maps tool_choice ${JSON.stringify(row.choice)}${row.parallel === false ? " without parallel calls" : ""}`, () => {
      expect(map({ messages: [{ role: "user", content: "Hi" }], tools: [WEATHER], tool_choice: row.choice, parallel_tool_calls: row.parallel }).tool_choice).toEqual(row.want);
    });
  }

  it("asks for thinking with max_tokens above the budget", () => {
    expect(map({ messages: [{ role: "user", content: "Hi" }], reasoning_effort: "high" })).toMatchObject({ thinking: { type: "enabled", budget_tokens: 24576 }, max_tokens: 24576 + 4096 });
    expect(map({ messages: [{ role: "user", content: "Hi" }], reasoning_effort: "low", max_tokens: 1000 })).toMatchObject({ thinking: { budget_tokens: 2048 }, max_tokens: 3048 });
    expect(map({ messages: [{ role: "user", content: "Hi" }], reasoning_effort: "low", max_completion_tokens: 30000 })).toMatchObject({ max_tokens: 30000 });
    expect(map({ messages: [{ role: "user", content: "Hi" }], reasoning_effort: "none" }).thinking).toBeUndefined();
  });

  it("leaves thinking out of a request that continues a tool loop, whose thinking blocks the client cannot send back", () => {
    expect(map({ messages: TOOL_LOOP, tools: [WEATHER], reasoning_effort: "medium" }).thinking).toBeUndefined();
    expect(map({ messages: [...TOOL_LOOP, { role: "assistant", content: "Mild." }, { role: "user", content: "Thanks" }], tools: [WEATHER], reasoning_effort: "medium" }).thinking).toEqual({ type: "enabled", budget_tokens: 8192 });
  });

  it("asks for a JSON answer through a forced tool with the client's schema", () => {
    const schema = { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false };
    const body = map({ messages: [{ role: "user", content: "Capital of France?" }], response_format: { type: "json_schema", json_schema: { name: "capital", schema, strict: true } } });
    expect(body.tools).toEqual([{ name: "json_response", description: "Give the final answer as this tool's input.", input_schema: schema }]);
    expect(body.tool_choice).toEqual({ type: "tool", name: "json_response" });
    expect(map({ messages: [{ role: "user", content: "x" }], response_format: { type: "json_object" } }).tools).toEqual([{ name: "json_response", description: "Give the final answer as this tool's input.", input_schema: { type: "object", properties: {} } }]);
    expect(map({ messages: [{ role: "user", content: "x" }], tools: [WEATHER], response_format: { type: "json_object" } }).tool_choice).toEqual({ type: "any" });
    const thinking = map({ messages: [{ role: "user", content: "x" }], response_format: { type: "json_object" }, reasoning_effort: "low" });
    expect(thinking.tool_choice).toBeUndefined();
    expect(thinking.system).toContain("json_response");
  });

  const refusals: Array<{ name: string; chat: Record<string, unknown>; param: string | null }> = [
    { name: "temperature above 1", chat: { temperature: 1.5 }, param: "temperature" },
    { name: "seed", chat: { seed: 7 }, param: "seed" },
    { name: "a frequency penalty", chat: { frequency_penalty: 0.5 }, param: "frequency_penalty" },
    { name: "thinking with a temperature", chat: { reasoning_effort: "low", temperature: 0.5 }, param: "temperature" },
    { name: "thinking with a low top_p", chat: { reasoning_effort: "low", top_p: 0.5 }, param: "top_p" },
    { name: "thinking with a forced tool", chat: { reasoning_effort: "low", tools: [WEATHER], tool_choice: "required" }, param: "tool_choice" },
    { name: "thinking with a prefill", chat: { reasoning_effort: "low", messages: [{ role: "user", content: "Hi" }, { role: "assistant", content: "Sure" }] }, param: "messages" },
    { name: "a JSON schema that is not an object", chat: { response_format: { type: "json_schema", json_schema: { name: "n", schema: { type: "array" } } } }, param: "response_format.json_schema.schema" },
    { name: "a client tool named like the JSON tool", chat: { response_format: { type: "json_object" }, tools: [{ type: "function", function: { name: "json_response" } }] }, param: "tools[0].function.name" },
    { name: "a GIF-less image type", chat: { messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/bmp;base64,Qk0=" } }] }] }, param: "messages[0].content[0].image_url" },
    { name: "a non-PDF file", chat: { messages: [{ role: "user", content: [{ type: "file", file: { file_data: "data:text/csv;base64,YSxi" } }] }] }, param: "messages[0].content[0].file" },
    { name: "a stop sequence of only whitespace", chat: { stop: ["END", "\n"] }, param: "stop" },
    { name: "a conversation whose only user text is blank", chat: { messages: [{ role: "user", content: " " }, { role: "assistant", content: "Hi" }] }, param: "messages" },
  ];
  for (const row of refusals) {
    it(`refuses ${row.name}, naming ${row.param}`, () => {
      expect(refusal({ messages: [{ role: "user", content: "Hi" }], ...row.chat }).param).toBe(row.param);
    });
  }

  it("maps every accepted conversation of the building blocks to one the Messages API accepts", () => {
    let accepted = 0;
    for (const { name, messages } of conversations()) {
      for (const extra of [{}, { reasoning_effort: "low" }, { response_format: { type: "json_object" } }]) {
        const read = validateChatRequest({ model: "claude-sonnet-4-5", messages, tools: CONVERSATION_TOOLS, ...extra }, "anthropic");
        if (!read.ok) continue;
        const plan = toAnthropicRequest(read.request);
        if (!plan.ok) continue;
        accepted++;
        try {
          assertMessagesApiAccepts(JSON.parse(plan.body.toString()) as Body);
        } catch (error) {
          throw new Error(`${name} ${JSON.stringify(extra)}: ${String(error)}`);
        }
      }
    }
    expect(accepted).toBeGreaterThan(1000);
  });
});
