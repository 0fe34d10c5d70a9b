import { request as httpRequest } from "node:http";
import { createSseParser, type SseEvent } from "@claude-relay/anthropic";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_MOCK_OPENAI_API_KEY, type MockOpenAI, startMockOpenAI } from "./mock-openai.js";
import { DEFAULT_MOCK_OPENAI_TEXT } from "./mock-openai-reply.js";

let mock: MockOpenAI;

beforeEach(async () => {
  mock = await startMockOpenAI({ apiKeys: [DEFAULT_MOCK_OPENAI_API_KEY, "sk-second-key-0000"] });
});

afterEach(async () => {
  await mock.close();
});

const AUTH = { authorization: `Bearer ${DEFAULT_MOCK_OPENAI_API_KEY}` };
const REQUEST = { model: "gpt-5", input: "héllo 世界" };

function post(body: unknown, headers: Record<string, string> = AUTH, path = "/v1/responses"): Promise<Response> {
  return fetch(`${mock.url}${path}`, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": "application/json", ...headers } });
}

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

async function errorOf(response: Response): Promise<ErrorBody["error"]> {
  return ((await response.json()) as ErrorBody).error;
}

function sse(bytes: Uint8Array): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = createSseParser((event) => events.push(event));
  parser.push(bytes);
  parser.end();
  return events;
}

type Event = Record<string, unknown> & { type: string; sequence_number: number };

async function eventsOf(response: Response): Promise<Event[]> {
  return sse(new Uint8Array(await response.arrayBuffer())).map((event) => {
    const data = JSON.parse(event.data) as Event;
    expect(event.event).toBe(data.type);
    return data;
  });
}

describe("startMockOpenAI API keys", () => {
  it("refuses a wrong key with the API's invalid_api_key body, the key masked", async () => {
    const response = await post(REQUEST, { authorization: "Bearer sk-wrong-key-123456789" });
    expect(response.status).toBe(401);
    const error = await errorOf(response);
    expect(error).toMatchObject({ type: "invalid_request_error", param: null, code: "invalid_api_key" });
    expect(error.message).toMatch(/^Incorrect API key provided: sk-wron\*+6789\./);
    expect(mock.requests[0]?.status).toBe(401);
    expect(mock.requests[0]?.credential).toBeUndefined();
  });

  it("refuses a request without a key, and accepts Azure's api-key header", async () => {
    const missing = await post(REQUEST, {});
    expect(missing.status).toBe(401);
    expect((await errorOf(missing)).message).toMatch(/^You didn't provide an API key/);
    const azure = await post(REQUEST, { "api-key": DEFAULT_MOCK_OPENAI_API_KEY });
    expect(azure.status).toBe(200);
  });
});

describe("startMockOpenAI Responses validation", () => {
  it.each([
    ["an unknown parameter", { ...REQUEST, foo: 1 }, 400, { message: "Unknown parameter: 'foo'.", param: "foo", code: "unknown_parameter" }],
    ["no model", { input: "hi" }, 400, { message: "Missing required parameter: 'model'.", param: "model", code: "missing_required_parameter" }],
    ["an unknown model", { model: "gpt-9", input: "hi" }, 400, { param: "model", code: "model_not_found" }],
    ["a bad role", { model: "gpt-5", input: [{ role: "robot", content: "hi" }] }, 400, { param: "input[0].role", code: "invalid_value" }],
    ["a bad content part", { model: "gpt-5", input: [{ role: "user", content: [{ type: "text", text: "hi" }] }] }, 400, { param: "input[0].content[0].type", code: "invalid_value" }],
    ["an unanswered call output", { model: "gpt-5", input: [{ type: "function_call_output", call_id: "call_x", output: "ok" }] }, 400, { param: "input" }],
    ["an unknown previous response", { ...REQUEST, previous_response_id: "resp_nope" }, 400, { message: "Previous response with id 'resp_nope' not found.", param: "previous_response_id", code: "previous_response_not_found" }],
  ])("refuses %s", async (_name, body, status, error) => {
    const response = await post(body);
    expect(response.status).toBe(status);
    expect(await errorOf(response)).toMatchObject({ type: "invalid_request_error", ...error });
  });

  it("refuses a body that is not JSON, and accepts a call output answering a call in the same input", async () => {
    const bad = await post("{nope");
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).message).toMatch(/^We could not parse the JSON body/);
    const input = [
      { role: "user", content: [{ type: "input_text", text: "run ls" }] },
      { type: "function_call", call_id: "call_1", name: "shell", arguments: "{}" },
      { type: "function_call_output", call_id: "call_1", output: "a.txt" },
    ];
    expect((await post({ model: "gpt-5", input })).status).toBe(200);
  });
});

describe("startMockOpenAI Responses answers", () => {
  it("answers a whole response object with usage derived from the input", async () => {
    const response = await post(REQUEST);
    expect(response.headers.get("content-type")).toBe("application/json");
    const body = (await response.json()) as Record<string, unknown> & { usage: Record<string, unknown>; output: unknown[] };
    expect(body).toMatchObject({ object: "response", status: "completed", model: "gpt-5", id: expect.stringMatching(/^resp_/) });
    expect(body.output).toEqual([{ id: expect.stringMatching(/^msg_/), type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", annotations: [], logprobs: [], text: DEFAULT_MOCK_OPENAI_TEXT }] }]);
    const usage = body.usage as { input_tokens: number; output_tokens: number; total_tokens: number };
    expect(usage.input_tokens).toBe(Math.ceil(Buffer.byteLength(JSON.stringify(REQUEST)) / 4));
    expect(usage.total_tokens).toBe(usage.input_tokens + usage.output_tokens);
    expect(mock.requests[0]).toMatchObject({ operation: "responses", credential: DEFAULT_MOCK_OPENAI_API_KEY, status: 200 });
  });

  it("streams the events in the API's order, numbered, with the usage overrides on response.completed", async () => {
    mock.enqueue({ kind: "text", text: "abc déf", deltas: 2, usage: { cached_tokens: 7, reasoning_tokens: 3, output_tokens: 11 } });
    const response = await post({ ...REQUEST, stream: true });
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const events = await eventsOf(response);
    expect(events.map((event) => event.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.filter((event) => event.type === "response.output_text.delta").map((event) => event.delta).join("")).toBe("abc déf");
    const completed = events.at(-1)?.response as { usage: Record<string, unknown>; status: string };
    expect(completed.status).toBe("completed");
    expect(completed.usage).toMatchObject({ input_tokens_details: { cached_tokens: 7 }, output_tokens: 11, output_tokens_details: { reasoning_tokens: 3 } });
  });

  it("streams a function call of the first function tool offered, with its arguments in deltas", async () => {
    mock.enqueue({ kind: "function_call", arguments: '{"cmd":"ls"}' });
    const tools = [{ type: "web_search" }, { type: "function", name: "exec_command", parameters: { type: "object" } }];
    const events = await eventsOf(await post({ ...REQUEST, stream: true, tools }));
    expect(events.map((event) => event.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      ...Array(3).fill("response.function_call_arguments.delta"),
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(events[2]?.item).toMatchObject({ type: "function_call", name: "exec_command", arguments: "", call_id: expect.stringMatching(/^call_/) });
    expect(events.at(-3)).toMatchObject({ arguments: '{"cmd":"ls"}' });
  });

  it("splits the stream's bytes at the given offsets, inside a multi-byte character", async () => {
    const whole = Buffer.from(await (await post({ ...REQUEST, stream: true })).arrayBuffer());
    const at = whole.indexOf(Buffer.from("世", "utf8")) + 1;
    mock.enqueue({ kind: "text", splitAt: [at] });
    const pieces: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({ ...REQUEST, stream: true });
      const req = httpRequest(`${mock.apiBaseUrl}/responses`, { method: "POST", headers: { ...AUTH, "content-type": "application/json" } }, (res) => {
        res.on("data", (chunk: Buffer) => pieces.push(chunk));
        res.on("end", resolve);
      });
      req.on("error", reject);
      req.end(body);
    });
    expect(pieces.length).toBeGreaterThanOrEqual(2);
    expect(pieces[0]?.toString("utf8").endsWith("\uFFFD")).toBe(true);
    const events = sse(new Uint8Array(Buffer.concat(pieces))).map((event) => JSON.parse(event.data) as Event);
    expect(events.filter((event) => event.type === "response.output_text.delta").map((event) => event.delta).join("")).toBe(DEFAULT_MOCK_OPENAI_TEXT);
  });

  it("ends a stream with response.failed, or an error event, after the events asked for", async () => {
    mock.enqueue({ kind: "failed", afterEvents: 2 }, { kind: "failed", afterEvents: 1, as: "error", code: "rate_limit_exceeded" });
    const failed = await eventsOf(await post({ ...REQUEST, stream: true }));
    expect(failed.map((event) => event.type)).toEqual(["response.created", "response.in_progress", "response.failed"]);
    expect(failed[2]?.response).toMatchObject({ status: "failed", error: { code: "server_error" } });
    const errored = await eventsOf(await post({ ...REQUEST, stream: true }));
    expect(errored.map((event) => event.type)).toEqual(["response.created", "error"]);
    expect(errored[1]).toMatchObject({ code: "rate_limit_exceeded", sequence_number: 1 });
  });

  it("plays scripted errors with their headers, and a stall that close() ends", async () => {
    mock.enqueue({ kind: "error", status: 429, code: "rate_limit_exceeded", message: "Rate limit reached", headers: { "retry-after": "3" } }, { kind: "stall", afterEvents: 1 });
    const limited = await post(REQUEST);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("3");
    expect(await errorOf(limited)).toMatchObject({ type: "rate_limit_exceeded", code: "rate_limit_exceeded" });
    const stalled = await post({ ...REQUEST, stream: true });
    const reader = (stalled.body as ReadableStream<Uint8Array>).getReader();
    expect(Buffer.from((await reader.read()).value ?? []).toString()).toMatch(/^event: response.created\n/);
    await mock.close();
    await expect(reader.read()).rejects.toThrow();
  });

  it("drops the connection before any header when told to disconnect", async () => {
    mock.enqueue({ kind: "disconnect" });
    await expect(post(REQUEST)).rejects.toThrow();
    expect(mock.requests[0]?.status).toBe(0);
  });
});

describe("startMockOpenAI previous_response_id", () => {
  it("resolves a stored response only for the key that made it, and not after store:false", async () => {
    const first = (await (await post(REQUEST)).json()) as { id: string };
    expect((await post({ ...REQUEST, previous_response_id: first.id })).status).toBe(200);
    const other = await post({ ...REQUEST, previous_response_id: first.id }, { authorization: "Bearer sk-second-key-0000" });
    expect(other.status).toBe(400);
    expect((await errorOf(other)).code).toBe("previous_response_not_found");
    const unstored = (await (await post({ ...REQUEST, store: false })).json()) as { id: string };
    expect((await post({ ...REQUEST, previous_response_id: unstored.id })).status).toBe(400);
  });

  it("accepts a call output answering a call the previous response made", async () => {
    mock.enqueue({ kind: "function_call", name: "shell", callId: "call_prev" });
    const first = (await (await post(REQUEST)).json()) as { id: string };
    const input = [{ type: "function_call_output", call_id: "call_prev", output: "done" }];
    expect((await post({ model: "gpt-5", input, previous_response_id: first.id })).status).toBe(200);
    expect((await post({ model: "gpt-5", input })).status).toBe(400);
  });
});

describe("startMockOpenAI other routes", () => {
  it("lists its models, answers 404 on unknown paths, and waits for requests", async () => {
    const models = (await (await fetch(`${mock.apiBaseUrl}/models`, { headers: AUTH })).json()) as { object: string; data: { id: string; object: string }[] };
    expect(models.object).toBe("list");
    expect(models.data.map((model) => model.id)).toEqual(expect.arrayContaining(["gpt-5", "gpt-5.1-codex", "gpt-4.1", "gpt-4o-mini", "o4-mini"]));
    const unknown = await fetch(`${mock.url}/v1/nothing`, { method: "POST", headers: AUTH });
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).message).toBe("Invalid URL (POST /v1/nothing)");
    await expect(mock.waitForRequests(2)).resolves.toHaveLength(2);
    await expect(mock.waitForRequests(3, 50)).rejects.toMatchObject({ code: "ERR_MOCK_OPENAI_TIMEOUT" });
  });
});
