import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MOCK_GEMINI_API_KEY, type MockGemini, startMockGemini } from "./mock-gemini.js";
import { checkGenerateRequest, REQUEST_FIELDS } from "./mock-gemini-request.js";
import { checkGenerationConfig, checkSchema, checkTools, checkTurns } from "./mock-gemini-rules.js";

type Json = Record<string, unknown>;

const ASK = { role: "user", parts: [{ text: "Weather in Oslo and the time?" }] };
const call = (...names: string[]) => ({ role: "model", parts: names.map((name) => ({ functionCall: { name, args: {} } })) });
const respond = (...names: string[]) => ({ role: "user", parts: names.map((name) => ({ functionResponse: { name, response: { output: "ok" } } })) });

describe("checkTurns", () => {
  it("accepts a tool loop, parallel calls, a call after a function response, and consecutive user turns", () => {
    expect(checkTurns([ASK, call("get_weather", "get_time"), respond("get_time", "get_weather"), call("get_weather"), respond("get_weather"), { role: "model", parts: [{ text: "Done." }] }])).toBeUndefined();
    expect(checkTurns([ASK, ASK, { parts: [{ text: "a turn without a role is the user's" }] }])).toBeUndefined();
  });

  it.each<[string, Json[], string]>([
    ["a role other than user and model", [ASK, { role: "assistant", parts: [{ text: "hi" }] }], "Please use a valid role: user, model."],
    ["a function response with no call before it", [ASK, respond("get_weather")], "Please ensure that function response turn comes immediately after a function call turn."],
    ["a function response after a user turn", [ASK, call("get_weather"), respond("get_weather"), respond("get_weather")], "comes immediately after a function call turn"],
    ["fewer responses than calls", [ASK, call("get_weather", "get_time"), respond("get_weather")], "the number of function response parts is equal to the number of function call parts"],
    ["a response to a function not called", [ASK, call("get_weather"), respond("get_time")], '"get_time" answers no function call of the previous model turn'],
    ["a call first", [call("get_weather"), respond("get_weather")], "function call turn comes immediately after a user turn or after a function response turn"],
  ])("refuses %s", (_name, contents, message) => {
    const refusal = checkTurns(contents);
    expect(refusal?.code).toBe(400);
    expect(refusal?.message).toContain(message);
  });
});

describe("checkGenerationConfig", () => {
  it("accepts proto JSON forms of each type, and fields it does not know", () => {
    expect(
      checkGenerationConfig({
        maxOutputTokens: "256",
        temperature: 0.2,
        top_p: "0.9",
        stopSequences: ["END"],
        responseModalities: ["TEXT"],
        thinkingConfig: { includeThoughts: true, thinkingBudget: 1024, thinkingLevel: "LOW" },
        responseMimeType: "application/json",
        responseJsonSchema: { type: "object" },
        seed: null,
        someNewField: { anything: true },
      }),
    ).toBeUndefined();
  });

  it.each<[string, unknown, string]>([
    ["a fractional maxOutputTokens", { maxOutputTokens: 1.5 }, "Invalid value at 'generation_config.max_output_tokens' (TYPE_INT32), 1.5"],
    ["a temperature in words", { temperature: "hot" }, `Invalid value at 'generation_config.temperature' (TYPE_FLOAT), "hot"`],
    ["a stop sequence that is not a list", { stopSequences: "END" }, "Invalid value at 'generation_config.stop_sequences' (TYPE_STRING)"],
    ["includeThoughts as a string", { thinkingConfig: { includeThoughts: "yes" } }, "Invalid value at 'generation_config.thinking_config.include_thoughts' (TYPE_BOOL)"],
    ["thinkingConfig that is not an object", { thinkingConfig: 5 }, "generation_config.thinking_config' (TYPE_MESSAGE)"],
    ["a mime type the API does not allow", { responseMimeType: "text/csv" }, "allowed mimetypes are"],
    ["a schema without a JSON mime type", { responseSchema: { type: "OBJECT" } }, "generation_config.response_schema: a response schema needs response_mime_type application/json"],
    ["a temperature above 2", { temperature: 2.5 }, "generation_config.temperature: must be in the range [0, 2]"],
    ["a config that is no object", "fast", "Invalid value at 'generation_config'"],
  ])("refuses %s", (_name, config, message) => {
    const refusal = checkGenerationConfig(config);
    expect(refusal?.code).toBe(400);
    expect(refusal?.message).toContain(message);
    expect(JSON.stringify(refusal?.details)).toContain("google.rpc.BadRequest");
  });

  it("is applied by checkGenerateRequest, after the shape", () => {
    expect(checkGenerateRequest({ contents: [ASK], generationConfig: { maxOutputTokens: "many" } }, REQUEST_FIELDS.gemini)?.message).toContain("max_output_tokens");
    expect(checkGenerateRequest({ contents: [ASK, respond("f")] }, REQUEST_FIELDS.gemini)?.message).toContain("function response turn");
  });
});

describe("checkSchema and checkTools", () => {
  const weather = { type: "OBJECT", properties: { city: { type: "STRING", description: "City" }, days: { type: "ARRAY", items: { type: "INTEGER", format: "int32" } } }, required: ["city"], propertyOrdering: ["city", "days"] };

  it("accepts the API's Schema fields, in either type case, and nested schemas", () => {
    expect(checkSchema(weather, "generation_config.response_schema")).toBeUndefined();
    expect(checkSchema({ type: "object", properties: { a: { anyOf: [{ type: "string" }, { type: "null" }] } } }, "x")).toBeUndefined();
    expect(checkTools([{ functionDeclarations: [{ name: "get_weather", parameters: weather }, { name: "_now" }] }, { googleSearch: {} }])).toBeUndefined();
  });

  it.each<[string, unknown, string]>([
    ["a JSON Schema keyword", { ...weather, additionalProperties: false }, `Unknown name "additionalProperties" at 'generation_config.response_schema': Cannot find field.`],
    ["a JSON Schema keyword deep inside", { ...weather, properties: { city: { type: "STRING", $comment: "x" } } }, `Unknown name "$comment" at 'generation_config.response_schema.properties[0].value'`],
    ["an unknown type", { type: "DICT" }, "Invalid value at 'generation_config.response_schema.type'"],
  ])("refuses %s", (_name, schema, message) => {
    expect(checkGenerationConfig({ responseMimeType: "application/json", responseSchema: schema })?.message).toContain(message);
  });

  it("refuses function parameters of OBJECT type without properties, and names Gemini does not take", () => {
    expect(checkTools([{ functionDeclarations: [{ name: "f", parameters: { type: "OBJECT", properties: {} } }] }])?.message).toBe(
      "* GenerateContentRequest.tools[0].function_declarations[0].parameters.properties: should be non-empty for OBJECT type\n",
    );
    expect(checkTools([{ functionDeclarations: [{ name: "9lives" }] }])?.message).toContain("tools[0].function_declarations[0].name: Invalid function name.");
    expect(checkGenerateRequest({ contents: [ASK], tools: [{ functionDeclarations: [{ name: "f", parameters: { type: "OBJECT", properties: { a: { type: "STRING" } }, additionalProperties: false } }] }] }, REQUEST_FIELDS.gemini)?.message).toContain(
      "at 'tools[0].function_declarations[0].parameters'",
    );
  });
});

describe("the mock Gemini API with these rules", () => {
  let mock: MockGemini;
  const post = (body: Json, method = "generateContent") =>
    fetch(`${mock.url}/v1beta/models/gemini-2.5-pro:${method}`, { method: "POST", body: JSON.stringify(body), headers: { "x-goog-api-key": DEFAULT_MOCK_GEMINI_API_KEY } });
  const tools = [
    {
      functionDeclarations: [
        { name: "get_weather", parameters: { type: "OBJECT", properties: { city: { type: "STRING" }, unit: { type: "STRING", enum: ["celsius", "fahrenheit"] } }, required: ["city"] } },
        { name: "get_time", parametersJsonSchema: { type: "object", properties: { zone: { type: "string" } } } },
      ],
    },
  ];

  beforeAll(async () => {
    mock = await startMockGemini();
  });

  afterAll(async () => {
    await mock.close();
  });

  it("answers parallel calls in one answer, args fitting their declarations, then text once both are answered", async () => {
    const script = { kind: "function-call", name: "get_weather", parallel: [{ name: "get_time" }], text: "Sunny, 12:00." } as const;
    mock.enqueue(script, script);
    const first = (await (await post({ contents: [ASK], tools })).json()) as { candidates: Array<{ content: { parts: Json[] } }> };
    const parts = first.candidates[0]?.content.parts ?? [];
    expect(parts.map((part) => part.functionCall)).toEqual([
      { name: "get_weather", args: { city: "mock", unit: "celsius" } },
      { name: "get_time", args: { zone: "mock" } },
    ]);
    expect(parts[0]?.thoughtSignature).toBeTruthy();
    expect(parts[1]?.thoughtSignature).toBeUndefined();
    const second = (await (await post({ contents: [ASK, { role: "model", parts }, respond("get_weather", "get_time")], tools })).json()) as { candidates: Array<{ content: { parts: Json[] } }> };
    expect(second.candidates[0]?.content.parts).toEqual([{ text: "Sunny, 12:00." }]);
  });

  it("calls a function when the calling mode is ANY (the allowed one, else the first), unless the script gives text", async () => {
    const partsOf = async (body: Json) => ((await (await post(body)).json()) as { candidates: Array<{ content: { parts: Json[] } }> }).candidates[0]?.content.parts ?? [];
    const only = { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_time"] } };
    expect((await partsOf({ contents: [ASK], tools, toolConfig: only }))[0]?.functionCall).toEqual({ name: "get_time", args: { zone: "mock" } });
    expect((await partsOf({ contents: [ASK], tools, toolConfig: { functionCallingConfig: { mode: "ANY" } } }))[0]?.functionCall).toMatchObject({ name: "get_weather" });
    expect((await partsOf({ contents: [ASK], tools, toolConfig: { functionCallingConfig: { mode: "AUTO" } } }))[0]?.functionCall).toBeUndefined();
    mock.enqueue({ kind: "text", text: "scripted" });
    expect(await partsOf({ contents: [ASK], tools, toolConfig: only })).toEqual([{ text: "scripted" }]);
  });

  it("answers a JSON object to a request for JSON without a schema", async () => {
    const answer = (await (await post({ contents: [ASK], generationConfig: { responseMimeType: "application/json" } })).json()) as { candidates: Array<{ content: { parts: Json[] } }> };
    expect(answer.candidates[0]?.content.parts).toEqual([{ text: "{}" }]);
  });

  it("refuses a broken turn order with 400 INVALID_ARGUMENT, on streams in the SSE shape", async () => {
    const refused = await post({ contents: [ASK, call("get_weather"), respond("get_weather", "get_time")], tools }, "streamGenerateContent?alt=sse");
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as { error: { status: string; message: string } };
    expect(body.error.status).toBe("INVALID_ARGUMENT");
    expect(body.error.message).toContain("number of function response parts");
  });
});
