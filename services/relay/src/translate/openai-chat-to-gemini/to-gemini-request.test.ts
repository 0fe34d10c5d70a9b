import { describe, expect, it } from "vitest";
import { validateChatRequest } from "../openai-chat/validate-chat-request.js";
import { CONVERSATION_TOOLS, conversations } from "../openai-chat/conversations.test-helper.js";
import { toGeminiRequest } from "./to-gemini-request.js";

type Part = Record<string, unknown>;
type Body = Record<string, unknown> & { contents: Array<{ role: string; parts: Part[] }> };

function plan(chat: Record<string, unknown>) {
  const read = validateChatRequest({ model: "gemini-2.5-flash", ...chat }, "gemini");
  if (!read.ok) return read;
  return toGeminiRequest(read.request);
}

function map(chat: Record<string, unknown>): Body {
  const planned = plan(chat);
  if (!planned.ok) throw new Error(`refused: ${planned.param} ${planned.message}`);
  const body = JSON.parse(planned.body.toString()) as Body;
  assertGeminiAccepts(body);
  return body;
}

const SCHEMA_FIELDS = new Set(["type", "format", "title", "description", "nullable", "enum", "properties", "required", "items", "anyOf", "minItems", "maxItems", "minLength", "maxLength", "pattern", "minimum", "maximum", "minProperties", "maxProperties", "default"]);

function assertSchema(schema: Record<string, unknown>): void {
  for (const key of Object.keys(schema)) expect(SCHEMA_FIELDS).toContain(key);
  if (schema.type !== undefined) expect(["STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT"]).toContain(schema.type);
  for (const child of Object.values((schema.properties as Record<string, Record<string, unknown>>) ?? {})) assertSchema(child);
  if (schema.items) assertSchema(schema.items as Record<string, unknown>);
  for (const member of (schema.anyOf as Array<Record<string, unknown>>) ?? []) assertSchema(member);
}

/** The Gemini API's rules for a request's shape: alternating turns that start with the user, every call answered next, known schema fields. */
function assertGeminiAccepts(body: Body): void {
  expect(body.contents[0]?.role).toBe("user");
  body.contents.forEach((turn, i) => {
    if (i > 0) expect(turn.role).not.toBe(body.contents[i - 1]?.role);
    expect(turn.parts.length).toBeGreaterThan(0);
    for (const part of turn.parts) if ("text" in part) expect((part.text as string).trim()).not.toBe("");
    const calls = turn.parts.filter((p) => "functionCall" in p).map((p) => (p.functionCall as { name: string }).name);
    if (calls.length > 0) {
      const answers = body.contents[i + 1]?.parts.filter((p) => "functionResponse" in p).map((p) => (p.functionResponse as { name: string }).name);
      expect(answers).toEqual(calls);
    }
  });
  const tools = (body.tools as Array<{ functionDeclarations: Array<{ parameters?: Record<string, unknown> }> }>) ?? [];
  for (const declaration of tools.flatMap((t) => t.functionDeclarations)) if (declaration.parameters) assertSchema(declaration.parameters);
  const schema = (body.generationConfig as { responseSchema?: Record<string, unknown> } | undefined)?.responseSchema;
  if (schema) assertSchema(schema);
}

const WEATHER = { type: "function", function: { name: "get_weather", description: "Weather", parameters: { type: "object", additionalProperties: false, properties: { location: { type: "string" } }, required: ["location"] } } };
const NOW = { type: "function", function: { name: "now", parameters: { type: "object", properties: {} } } };
const LOOP = [
  { role: "user", content: "Weather in Paris and Rome?" },
  { role: "assistant", content: "Checking.", tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"location":"Paris"}' } }, { id: "call_2", type: "function", function: { name: "now", arguments: "" } }] },
  { role: "tool", tool_call_id: "call_1", content: '{"temp":18}' },
  { role: "tool", tool_call_id: "call_2", content: "09:00" },
];

describe("a chat completions request for a Gemini account", () => {
  it("maps system messages, roles and generation settings, and names the path", () => {
    const planned = plan({ messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }, { role: "assistant", content: "Hello" }, { role: "user", content: "Bye" }], max_tokens: 50, temperature: 1.5, top_p: 0.8, stop: ["x", "y"], seed: 3, presence_penalty: 0.5, stream: true });
    expect(planned).toMatchObject({ ok: true, model: "gemini-2.5-flash", call: "stream", path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse" });
    expect(map({ messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }, { role: "assistant", content: "Hello" }, { role: "user", content: "Bye" }], max_tokens: 50, temperature: 1.5, top_p: 0.8, stop: ["x", "y"], seed: 3, presence_penalty: 0.5 })).toEqual({
      contents: [
        { role: "user", parts: [{ text: "Hi" }] },
        { role: "model", parts: [{ text: "Hello" }] },
        { role: "user", parts: [{ text: "Bye" }] },
      ],
      systemInstruction: { parts: [{ text: "Be brief." }] },
      generationConfig: { maxOutputTokens: 50, temperature: 1.5, topP: 0.8, stopSequences: ["x", "y"], seed: 3, presencePenalty: 0.5 },
    });
    expect(plan({ model: "models/gemini-2.5-pro", messages: [{ role: "user", content: "x" }] })).toMatchObject({ path: "/v1beta/models/gemini-2.5-pro:generateContent" });
  });

  it("turns tool calls into functionCall parts and tool messages into one turn of functionResponse parts", () => {
    const body = map({ messages: [...LOOP, { role: "user", content: "Thanks" }], tools: [WEATHER, NOW], tool_choice: "auto" });
    expect(body.contents.slice(1)).toEqual([
      { role: "model", parts: [{ text: "Checking." }, { functionCall: { name: "get_weather", args: { location: "Paris" } } }, { functionCall: { name: "now", args: {} } }] },
      { role: "user", parts: [{ functionResponse: { name: "get_weather", response: { temp: 18 } } }, { functionResponse: { name: "now", response: { output: "09:00" } } }, { text: "Thanks" }] },
    ]);
    expect(body.tools).toEqual([{ functionDeclarations: [{ name: "get_weather", description: "Weather", parameters: { type: "OBJECT", properties: { location: { type: "STRING" } }, required: ["location"] } }, { name: "now" }] }]);
    expect(body.toolConfig).toEqual({ functionCallingConfig: { mode: "AUTO" } });
  });

  it("signs the first replayed call of each assistant message for Gemini 3", () => {
    const body = map({ model: "gemini-3-pro-preview", messages: LOOP, tools: [WEATHER, NOW] });
    expect(body.contents[1]?.parts.slice(1)).toEqual([
      { functionCall: { name: "get_weather", args: { location: "Paris" } }, thoughtSignature: "skip_thought_signature_validator" },
      { functionCall: { name: "now", args: {} } },
    ]);
  });

  it("sends images inline or by URL with a guessed type, and files inline", () => {
    const body = map({ messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/webp;base64,UklGRg==" } }, { type: "image_url", image_url: { url: "https://example.com/a/chart.PNG?x=1" } }, { type: "file", file: { file_data: "JVBERi0x" } }, { type: "text", text: "Describe" }] }] });
    expect(body.contents[0]?.parts).toEqual([
      { inlineData: { mimeType: "image/webp", data: "UklGRg==" } },
      { fileData: { mimeType: "image/png", fileUri: "https://example.com/a/chart.PNG?x=1" } },
      { inlineData: { mimeType: "application/pdf", data: "JVBERi0x" } },
      { text: "Describe" },
    ]);
  });

  const choices: Array<{ choice: unknown; want: unknown }> = [
    { choice: "none", want: { mode: "NONE" } },
    { choice: "required", want: { mode: "ANY" } },
    { choice: { type: "function", function: { name: "now" } }, want: { mode: "ANY", allowedFunctionNames: ["now"] } },
  ];
  for (const row of choices) {
    it(`maps tool_choice ${JSON.stringify(row.choice)}`, () => {
      expect((map({ messages: [{ role: "user", content: "x" }], tools: [WEATHER, NOW], tool_choice: row.choice }).toolConfig as { functionCallingConfig: unknown }).functionCallingConfig).toEqual(row.want);
    });
  }

  it("asks for JSON output, with the schema for json_schema, and for thinking", () => {
    expect(map({ messages: [{ role: "user", content: "x" }], response_format: { type: "json_object" } }).generationConfig).toEqual({ responseMimeType: "application/json" });
    expect(map({ messages: [{ role: "user", content: "x" }], response_format: { type: "json_schema", json_schema: { name: "c", schema: { type: "object", properties: { city: { type: "string" } }, additionalProperties: false } } } }).generationConfig).toEqual({
      responseMimeType: "application/json",
      responseSchema: { type: "OBJECT", properties: { city: { type: "STRING" } } },
    });
    expect(map({ messages: [{ role: "user", content: "x" }], reasoning_effort: "medium" }).generationConfig).toEqual({ thinkingConfig: { thinkingBudget: 8192, includeThoughts: true } });
    expect(map({ messages: [{ role: "user", content: "x" }], reasoning_effort: "none" }).generationConfig).toEqual({ thinkingConfig: { thinkingBudget: 0 } });
  });

  const refusals: Array<{ name: string; chat: Record<string, unknown>; param: string }> = [
    { name: "one call at a time", chat: { tools: [WEATHER], parallel_tool_calls: false }, param: "parallel_tool_calls" },
    { name: "JSON output with tools before Gemini 3", chat: { tools: [WEATHER], response_format: { type: "json_object" } }, param: "response_format" },
    { name: "a function name Gemini does not take", chat: { tools: [{ type: "function", function: { name: "1st" } }] }, param: "tools[0].function.name" },
    { name: "recursive parameters", chat: { tools: [{ type: "function", function: { name: "t", parameters: { type: "object", properties: { n: { $ref: "#/$defs/N" } }, $defs: { N: { type: "object", properties: { n: { $ref: "#/$defs/N" } } } } } } }] }, param: "tools[0].function.parameters" },
    { name: "more than 5 stop sequences", chat: { stop: ["a", "b", "c", "d", "e", "f"] }, param: "stop" },
  ];
  for (const row of refusals) {
    it(`refuses ${row.name}, naming ${row.param}`, () => {
      expect(plan({ messages: [{ role: "user", content: "x" }], ...row.chat })).toMatchObject({ ok: false, status: 400, param: row.param });
    });
  }

  it("serves JSON output with tools on Gemini 3", () => {
    expect(plan({ model: "gemini-3-flash-preview", messages: [{ role: "user", content: "x" }], tools: [WEATHER], response_format: { type: "json_object" } }).ok).toBe(true);
  });

  it("maps every accepted conversation of the building blocks to one the Gemini API accepts", () => {
    let accepted = 0;
    for (const { name, messages } of conversations()) {
      for (const model of ["gemini-2.5-flash", "gemini-3-pro-preview"]) {
        const planned = plan({ model, messages, tools: CONVERSATION_TOOLS });
        if (!planned.ok) continue;
        accepted++;
        try {
          assertGeminiAccepts(JSON.parse(planned.body.toString()) as Body);
        } catch (error) {
          throw new Error(`${name} on ${model}: ${String(error)}`);
        }
      }
    }
    expect(accepted).toBeGreaterThan(1000);
  });
});
