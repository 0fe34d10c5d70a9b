/**
 * Tool calling through the relay's OpenAI-compatible front door, on a Claude account and on a
 * Gemini account: the openai SDK's two-step loop (the model asks for a tool, the client answers
 * with a tool message, the model finishes), streamed and not, parallel calls, and the Vercel AI
 * SDK's OpenAI-compatible provider running a tool in `streamText`. Every upstream request must be
 * one the real API accepts (the mocks refuse the rest) with turns alternating and each result right
 * after its call.
 */
import type OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAiSdkStreamText } from "./support/ai-sdk.js";
import { enqueue, expectAccepted, type Json, type OpenAiStack, type Scripts, startOpenAiStack, type Target } from "./support/openai-stack.js";

let stack: OpenAiStack;
let key: string;
let client: OpenAI;

beforeAll(async () => {
  stack = await startOpenAiStack();
  key = (await stack.createKey("openai-tools")).key;
  client = stack.openai(key);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

const WEATHER_PARAMETERS = {
  type: "object",
  properties: { city: { type: "string", description: "City name" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
  required: ["city", "unit"],
  additionalProperties: false,
};
const TOOLS: OpenAI.ChatCompletionTool[] = [{ type: "function", function: { name: "get_weather", description: "Current weather in a city", parameters: WEATHER_PARAMETERS } }];
const QUESTION: OpenAI.ChatCompletionMessageParam[] = [
  { role: "system", content: "Use tools when they help." },
  { role: "user", content: "What is the weather in Oslo?" },
];
const FINAL = "It is 12 °C and sunny in Oslo — enjoy ☀️";

/** One script serving both steps of a loop: a call of get_weather, then FINAL once its result is back. */
const LOOP: Scripts = { claude: { kind: "tool-use", name: "get_weather", text: "Let me look that up.", answer: FINAL }, gemini: { kind: "function-call", name: "get_weather", text: FINAL } };

/** Oslo and Bergen asked for in one turn. */
const PARALLEL: Scripts = {
  claude: { kind: "tool-use", name: "get_weather", input: { city: "Oslo", unit: "celsius" }, parallel: [{ name: "get_weather", input: { city: "Bergen", unit: "celsius" } }], answer: FINAL },
  gemini: { kind: "function-call", name: "get_weather", args: { city: "Oslo", unit: "celsius" }, parallel: [{ name: "get_weather", args: { city: "Bergen", unit: "celsius" } }], text: FINAL },
};

/** A completion, streamed through the SDK's stream helper (which joins the chunks and their tool-call deltas) or not. */
async function complete(model: string, messages: OpenAI.ChatCompletionMessageParam[], stream: boolean): Promise<OpenAI.ChatCompletion> {
  if (!stream) return client.chat.completions.create({ model, messages, tools: TOOLS });
  return client.chat.completions.stream({ model, messages, tools: TOOLS }).finalChatCompletion();
}

/** The turn the client sends back: the assistant's calls, then one tool message per call. */
function answerCalls(message: OpenAI.ChatCompletionMessage): OpenAI.ChatCompletionMessageParam[] {
  const calls = (message.tool_calls ?? []).filter((call): call is OpenAI.ChatCompletionMessageFunctionToolCall => call.type === "function");
  const results = calls.map((call): OpenAI.ChatCompletionMessageParam => {
    const { city } = JSON.parse(call.function.arguments) as { city: string };
    return { role: "tool", tool_call_id: call.id, content: JSON.stringify({ city, temperature_c: 12, conditions: "sunny" }) };
  });
  return [{ role: "assistant", content: message.content, tool_calls: calls }, ...results];
}

/** The tool results (Claude) or function responses (Gemini) of the last turn of an upstream request. */
function resultsInLastTurn(target: Target, body: Json): Json[] {
  if (target.platform === "claude") {
    const messages = body.messages as Array<{ content: Json[] }>;
    return (messages.at(-1)?.content ?? []).filter((block) => block.type === "tool_result");
  }
  const contents = body.contents as Array<{ parts: Json[] }>;
  return (contents.at(-1)?.parts ?? []).filter((part) => part.functionResponse !== undefined);
}

describe.each(["claude", "gemini"] as const)("tool calling on a %s account", (platform) => {
  const target = () => (platform === "claude" ? stack.claude : stack.gemini);

  it.each([false, true])("runs a two-step loop: the model calls a tool, the client answers it, the model finishes (streamed: %s)", async (stream) => {
    const from = target().mark();
    enqueue(stack, target(), LOOP, 2);
    const first = await complete(target().model, QUESTION, stream);
    const choice = first.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    const call = choice?.message.tool_calls?.[0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(choice?.message.tool_calls).toHaveLength(1);
    expect(call).toMatchObject({ type: "function", function: { name: "get_weather" } });
    expect(call.id).toMatch(/^[A-Za-z0-9_-]+$/);
    const args = JSON.parse(call.function.arguments) as Record<string, unknown>;
    expect(typeof args.city).toBe("string");
    expect(["celsius", "fahrenheit"]).toContain(args.unit);
    if (platform === "claude") expect(choice?.message.content).toBe("Let me look that up.");

    const second = await complete(target().model, [...QUESTION, ...answerCalls(choice?.message as OpenAI.ChatCompletionMessage)], stream);
    expect(second.choices[0]?.message.content).toBe(FINAL);
    expect(second.choices[0]?.finish_reason).toBe("stop");

    const calls = target().callsSince(from);
    expect(calls).toHaveLength(2);
    for (const upstream of calls) expectAccepted(target(), upstream);
    expect(JSON.stringify(calls[0]?.body)).toContain("get_weather");
    expect(resultsInLastTurn(target(), calls[1]?.body ?? {})).toHaveLength(1);
    if (platform === "claude") expect(resultsInLastTurn(target(), calls[1]?.body ?? {})[0]?.tool_use_id).toBe(call.id);
  });

  it.each([false, true])("answers parallel calls with one index each, and sends both results back in one turn (streamed: %s)", async (stream) => {
    const from = target().mark();
    enqueue(stack, target(), PARALLEL, 2);
    const first = await complete(target().model, [{ role: "user", content: "Weather in Oslo and Bergen?" }], stream);
    const calls = (first.choices[0]?.message.tool_calls ?? []) as OpenAI.ChatCompletionMessageFunctionToolCall[];
    expect(first.choices[0]?.finish_reason).toBe("tool_calls");
    expect(calls.map((call) => JSON.parse(call.function.arguments))).toEqual([
      { city: "Oslo", unit: "celsius" },
      { city: "Bergen", unit: "celsius" },
    ]);
    expect(new Set(calls.map((call) => call.id)).size).toBe(2);

    const second = await complete(target().model, [{ role: "user", content: "Weather in Oslo and Bergen?" }, ...answerCalls(first.choices[0]?.message as OpenAI.ChatCompletionMessage)], stream);
    expect(second.choices[0]?.message.content).toBe(FINAL);
    const upstream = target().callsSince(from);
    expect(upstream).toHaveLength(2);
    for (const request of upstream) expectAccepted(target(), request);
    const results = resultsInLastTurn(target(), upstream[1]?.body ?? {});
    expect(results).toHaveLength(2);
    if (platform === "claude") expect(results.map((result) => result.tool_use_id)).toEqual(calls.map((call) => call.id));
  });

  it("runs a tool in the Vercel AI SDK's streamText through @ai-sdk/openai-compatible, to the final text", async () => {
    const from = target().mark();
    enqueue(stack, target(), LOOP, 2);
    const run = await runAiSdkStreamText({ baseURL: `${stack.relayUrl}/openai/v1`, apiKey: key, model: target().model, parameters: WEATHER_PARAMETERS });
    expect(run.text).toBe(FINAL);
    expect(run.steps).toHaveLength(2);
    expect(run.steps[0]?.finishReason).toBe("tool-calls");
    expect(run.steps[0]?.toolCalls.map((call) => call.toolName)).toEqual(["get_weather"]);
    expect(run.steps[0]?.toolResults[0]).toMatchObject({ temperature_c: 12 });
    expect(run.steps[1]?.finishReason).toBe("stop");
    expect(run.executed).toHaveLength(1);
    expect(run.executed[0]).toMatchObject({ city: expect.any(String), unit: expect.stringMatching(/^(celsius|fahrenheit)$/) });
    expect(run.outputTokens).toBeGreaterThan(0);
    const upstream = target().callsSince(from);
    expect(upstream).toHaveLength(2);
    for (const request of upstream) expectAccepted(target(), request);
    expect(resultsInLastTurn(target(), upstream[1]?.body ?? {})).toHaveLength(1);
  });
});
