import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_MOCK_OPENAI_API_KEY, type MockOpenAI, startMockOpenAI } from "./mock-openai.js";
import { DEFAULT_MOCK_OPENAI_TEXT } from "./mock-openai-reply.js";

let mock: MockOpenAI;

beforeEach(async () => {
  mock = await startMockOpenAI();
});

afterEach(async () => {
  await mock.close();
});

const MESSAGES = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "héllo" },
];

function chat(body: unknown): Promise<Response> {
  return fetch(`${mock.apiBaseUrl}/chat/completions`, { method: "POST", body: JSON.stringify(body), headers: { authorization: `Bearer ${DEFAULT_MOCK_OPENAI_API_KEY}`, "content-type": "application/json" } });
}

type Chunk = { object: string; choices: { delta: Record<string, unknown>; finish_reason: string | null }[]; usage?: Record<string, unknown> | null };

async function chunksOf(response: Response): Promise<{ chunks: Chunk[]; done: boolean }> {
  const lines = (await response.text()).split("\n\n").filter(Boolean);
  const done = lines.at(-1) === "data: [DONE]";
  return { chunks: lines.slice(0, done ? -1 : undefined).map((line) => JSON.parse(line.replace(/^data: /, "")) as Chunk), done };
}

describe("startMockOpenAI chat completions", () => {
  it("answers a chat.completion with its usage", async () => {
    const response = await chat({ model: "gpt-4o-mini", messages: MESSAGES });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown> & { usage: Record<string, number> };
    expect(body).toMatchObject({ object: "chat.completion", model: "gpt-4o-mini", id: expect.stringMatching(/^chatcmpl-/) });
    expect(body.choices).toEqual([{ index: 0, message: { role: "assistant", content: DEFAULT_MOCK_OPENAI_TEXT, refusal: null, annotations: [] }, logprobs: null, finish_reason: "stop" }]);
    expect(body.usage).toMatchObject({ prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } });
    expect(body.usage.total_tokens).toBe((body.usage.prompt_tokens ?? 0) + (body.usage.completion_tokens ?? 0));
  });

  it("streams chunks then [DONE], with no usage unless include_usage asks for it", async () => {
    const plain = await chunksOf(await chat({ model: "gpt-4o-mini", messages: MESSAGES, stream: true }));
    expect(plain.done).toBe(true);
    expect(plain.chunks.every((chunk) => chunk.object === "chat.completion.chunk" && !("usage" in chunk))).toBe(true);
    expect(plain.chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe(DEFAULT_MOCK_OPENAI_TEXT);
    expect(plain.chunks.at(-1)?.choices[0]?.finish_reason).toBe("stop");

    mock.enqueue({ kind: "text", usage: { cached_tokens: 5 } });
    const counted = await chunksOf(await chat({ model: "gpt-4o-mini", messages: MESSAGES, stream: true, stream_options: { include_usage: true } }));
    const last = counted.chunks.at(-1) as Chunk;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens_details: { cached_tokens: 5 } });
    expect(counted.chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
  });

  it("streams a scripted tool call of the first function offered", async () => {
    mock.enqueue({ kind: "function_call", arguments: '{"q":"x"}' });
    const tools = [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }];
    const { chunks } = await chunksOf(await chat({ model: "gpt-4.1", messages: MESSAGES, tools, stream: true }));
    expect(chunks[0]?.choices[0]?.delta).toMatchObject({ role: "assistant", content: null, tool_calls: [{ index: 0, type: "function", function: { name: "lookup", arguments: "" } }] });
    const args = chunks.flatMap((chunk) => (chunk.choices[0]?.delta.tool_calls as { function: { arguments: string } }[] | undefined) ?? []).map((call) => call.function.arguments);
    expect(args.join("")).toBe('{"q":"x"}');
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("tool_calls");
  });

  it.each([
    ["an unknown parameter", { model: "gpt-4o", messages: MESSAGES, foo: 1 }, 400, { code: "unknown_parameter", param: "foo" }],
    ["no messages", { model: "gpt-4o" }, 400, { code: "missing_required_parameter", param: "messages" }],
    ["empty messages", { model: "gpt-4o", messages: [] }, 400, { code: "empty_array", param: "messages" }],
    ["a bad role", { model: "gpt-4o", messages: [{ role: "robot", content: "x" }] }, 400, { code: "invalid_value", param: "messages[0].role" }],
    ["a tool message answering nothing", { model: "gpt-4o", messages: [{ role: "tool", tool_call_id: "call_1", content: "x" }] }, 400, { param: "messages.[0].role" }],
    ["stream_options without stream", { model: "gpt-4o", messages: MESSAGES, stream_options: { include_usage: true } }, 400, { param: "stream_options" }],
    ["an unknown model", { model: "gpt-9", messages: MESSAGES }, 404, { code: "model_not_found" }],
  ])("refuses %s", async (_name, body, status, error) => {
    const response = await chat(body);
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ error: { type: "invalid_request_error", ...error } });
  });
});
