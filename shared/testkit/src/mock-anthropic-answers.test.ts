import { createSseParser, createUsageTracker, type SseEvent } from "@claude-relay/anthropic";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type MockAnthropic, startMockAnthropic } from "./mock-anthropic.js";
import { DEFAULT_MOCK_TEXT } from "./mock-messages.js";

let mock: MockAnthropic;

beforeEach(async () => {
  mock = await startMockAnthropic();
});

afterEach(async () => {
  await mock.close();
});

type Json = Record<string, unknown>;

const WEATHER = { name: "get_weather", input_schema: { type: "object", properties: { city: { type: "string" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } }, required: ["city", "unit"] } };
const TIME = { name: "get_time", input_schema: { type: "object", properties: { zone: { type: "string" } } } };
const ASK = { role: "user", content: "Weather in Oslo?" };

function request(fields: Json = {}): Json {
  return { model: "claude-sonnet-4-5", max_tokens: 256, messages: [ASK], tools: [WEATHER, TIME], ...fields };
}

async function post(body: Json): Promise<Response> {
  return fetch(`${mock.url}/v1/messages`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
}

async function events(body: Json): Promise<SseEvent[]> {
  const response = await post({ ...body, stream: true });
  expect(response.status).toBe(200);
  const out: SseEvent[] = [];
  const parser = createSseParser((event) => out.push(event));
  parser.push(new Uint8Array(await response.arrayBuffer()));
  parser.end();
  return out;
}

const data = (event: SseEvent | undefined): Json => JSON.parse(event?.data ?? "{}") as Json;

/** The blocks a stream builds, the way a client joins its deltas. */
function blocksOf(stream: SseEvent[]): Json[] {
  const blocks: Json[] = [];
  const json: string[] = [];
  for (const event of stream) {
    const d = data(event);
    const index = d.index as number;
    if (event.event === "content_block_start") {
      blocks[index] = { ...(d.content_block as Json) };
      json[index] = "";
    }
    if (event.event === "content_block_stop" && blocks[index]?.type === "tool_use") (blocks[index] as Json).input = json[index] === "" ? {} : JSON.parse(json[index] as string);
    if (event.event !== "content_block_delta") continue;
    const delta = d.delta as Json;
    const block = blocks[index] as Json;
    if (delta.type === "text_delta") block.text = `${block.text as string}${delta.text as string}`;
    if (delta.type === "thinking_delta") block.thinking = `${block.thinking as string}${delta.thinking as string}`;
    if (delta.type === "signature_delta") block.signature = delta.signature;
    if (delta.type === "input_json_delta") json[index] += delta.partial_json as string;
  }
  return blocks;
}

function stopReason(stream: SseEvent[]): unknown {
  return (data(stream.find((event) => event.event === "message_delta")).delta as Json).stop_reason;
}

/** The turns a client sends back after the mock's tool_use answer, with a result for each call. */
function answerCalls(content: Json[]): Json[] {
  const results = content.filter((block) => block.type === "tool_use").map((block) => ({ type: "tool_result", tool_use_id: block.id, content: "12°C" }));
  return [ASK, { role: "assistant", content }, { role: "user", content: results }];
}

describe("tool-use replies", () => {
  it("streams text, then each call as a start and input JSON cut across several deltas, ending with stop_reason tool_use", async () => {
    mock.enqueue({ kind: "tool-use", name: "get_weather", text: "Let me check.", parallel: [{ name: "get_time", input: { zone: "Europe/Oslo" } }] });
    const stream = await events(request());
    const blocks = blocksOf(stream);
    expect(blocks.map((block) => block.type)).toEqual(["text", "tool_use", "tool_use"]);
    expect(blocks[0]?.text).toBe("Let me check.");
    expect(blocks[1]).toMatchObject({ name: "get_weather", input: { city: "mock", unit: "celsius" } });
    expect(blocks[2]).toMatchObject({ name: "get_time", input: { zone: "Europe/Oslo" } });
    expect(blocks[1]?.id).toMatch(/^toolu_[a-zA-Z0-9_]+$/);
    expect(blocks[1]?.id).not.toBe(blocks[2]?.id);
    const pieces = stream.filter((event) => event.event === "content_block_delta" && data(event).index === 1).map((event) => (data(event).delta as Json).partial_json);
    expect(pieces[0]).toBe("");
    expect(pieces.filter((piece) => piece !== "").length).toBeGreaterThanOrEqual(2);
    expect(stopReason(stream)).toBe("tool_use");
    const tracker = createUsageTracker();
    for (const event of stream) tracker.onEvent(event);
    expect(tracker.sawMessageStop).toBe(true);
    expect(tracker.usage.outputTokens).toBeGreaterThan(1);
  });

  it("answers text once the last turn carries the results of its calls, and calls again until then", async () => {
    const script = { kind: "tool-use", name: "get_weather", answer: "It is 12°C in Oslo." } as const;
    mock.enqueue(script, script, script);
    const first = (await (await post(request())).json()) as { content: Json[]; stop_reason: string };
    expect(first.stop_reason).toBe("tool_use");
    expect(first.content).toMatchObject([{ type: "tool_use", name: "get_weather" }]);

    const second = (await (await post(request({ messages: answerCalls(first.content) }))).json()) as { content: Json[]; stop_reason: string };
    expect(second.stop_reason).toBe("end_turn");
    expect(second.content).toEqual([{ type: "text", text: "It is 12°C in Oslo." }]);

    // A new question after the loop is not an answer to the call.
    const again = (await (await post(request({ messages: [...answerCalls(first.content), { role: "assistant", content: "It is 12°C." }, ASK] }))).json()) as { stop_reason: string };
    expect(again.stop_reason).toBe("tool_use");
  });

  it("refuses the second step when a call's result is missing, as the API does", async () => {
    mock.enqueue({ kind: "tool-use", name: "get_weather", parallel: [{ name: "get_time" }] });
    const first = (await (await post(request())).json()) as { content: Json[] };
    const [, assistant] = answerCalls(first.content);
    const onlyOne = { role: "user", content: [{ type: "tool_result", tool_use_id: first.content[0]?.id, content: "12°C" }] };
    const refused = await post(request({ messages: [ASK, assistant, onlyOne] }));
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as { type: string; error: { type: string; message: string } };
    expect(body).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    expect(body.error.message).toContain(`without \`tool_result\` blocks immediately after: ${String(first.content[1]?.id)}`);
  });
});

describe("forced tools", () => {
  it("answers a forced tool with a call whose input fits its schema, whatever the script's text", async () => {
    mock.enqueue({ kind: "message", text: "ignored" });
    const forced = request({ tool_choice: { type: "tool", name: "get_weather" } });
    const answer = (await (await post(forced)).json()) as { content: Json[]; stop_reason: string };
    expect(answer.stop_reason).toBe("tool_use");
    expect(answer.content).toEqual([{ type: "tool_use", id: expect.stringMatching(/^toolu_/), name: "get_weather", input: { city: "mock", unit: "celsius" } }]);
    const stream = await events(forced);
    expect(blocksOf(stream)).toMatchObject([{ type: "tool_use", name: "get_weather", input: { city: "mock", unit: "celsius" } }]);
  });

  it("answers tool_choice any with the first tool, and auto with text", async () => {
    expect(((await (await post(request({ tool_choice: { type: "any" } }))).json()) as { content: Json[] }).content[0]).toMatchObject({ name: "get_weather" });
    expect(((await (await post(request({ tool_choice: { type: "auto" } }))).json()) as { content: Json[] }).content).toEqual([{ type: "text", text: DEFAULT_MOCK_TEXT }]);
  });
});

describe("thinking", () => {
  const thinking = { thinking: { type: "enabled", budget_tokens: 1024 }, max_tokens: 2048 };

  it("streams a thinking block, its deltas and its signature, before the text", async () => {
    mock.enqueue({ kind: "message", text: "42", thinking: "Six times seven." });
    const stream = await events(request(thinking));
    const blocks = blocksOf(stream);
    expect(blocks).toMatchObject([{ type: "thinking", thinking: "Six times seven." }, { type: "text", text: "42" }]);
    expect(blocks[0]?.signature).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const kinds = stream.filter((event) => data(event).index === 0 && event.event === "content_block_delta").map((event) => (data(event).delta as Json).type);
    expect(kinds.at(-1)).toBe("signature_delta");
    expect(kinds.filter((kind) => kind === "thinking_delta").length).toBeGreaterThanOrEqual(2);
  });

  it("gives thinking only when the request turns it on, and keeps the block's text out for display omitted", async () => {
    mock.enqueue({ kind: "message", thinking: "hidden" }, { kind: "message", thinking: "hidden" });
    const plain = (await (await post(request())).json()) as { content: Json[] };
    expect(plain.content.map((block) => block.type)).toEqual(["text"]);
    const omitted = (await (await post(request({ thinking: { type: "adaptive", display: "omitted" } }))).json()) as { content: Json[] };
    expect(omitted.content[0]).toMatchObject({ type: "thinking", thinking: "" });
    expect(omitted.content[0]?.signature).toBeTruthy();
  });
});

describe("validation", () => {
  it("answers 400 invalid_request_error naming the problem, and records it", async () => {
    const refused = await post({ model: "claude-sonnet-4-5", messages: [ASK] });
    expect(refused.status).toBe(400);
    expect(refused.headers.get("request-id")).toMatch(/^req_mock_/);
    expect(await refused.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error", message: "max_tokens: Field required" } });
    expect(mock.requests[0]?.status).toBe(400);
  });

  it("checks count_tokens too, without max_tokens", async () => {
    const count = (body: Json) => fetch(`${mock.url}/v1/messages/count_tokens`, { method: "POST", body: JSON.stringify(body) });
    expect((await count({ model: "claude-sonnet-4-5", messages: [ASK] })).status).toBe(200);
    expect((await count({ model: "claude-sonnet-4-5", messages: [{ role: "assistant", content: "hi" }] })).status).toBe(400);
  });

  it("still plays failure scripts whatever the body, and answers anything when told not to check", async () => {
    mock.enqueue({ kind: "error", status: 429 });
    expect((await post({ model: "claude-sonnet-4-5" })).status).toBe(429);
    const lax = await startMockAnthropic({ validate: false });
    try {
      const response = await fetch(`${lax.url}/v1/messages`, { method: "POST", body: '{"model":"claude-x","messages":[]}' });
      expect(response.status).toBe(200);
    } finally {
      await lax.close();
    }
  });
});
