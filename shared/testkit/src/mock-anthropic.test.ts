import { request as httpRequest } from "node:http";
import { createSseParser, createUsageTracker, type SseEvent } from "@claude-relay/anthropic";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type MockAnthropic, startMockAnthropic } from "./mock-anthropic.js";
import { DEFAULT_MOCK_MODEL, DEFAULT_MOCK_TEXT, mockInputTokens } from "./mock-messages.js";

let mock: MockAnthropic;

beforeEach(async () => {
  mock = await startMockAnthropic();
});

afterEach(async () => {
  await mock.close();
});

const STREAM_BODY = JSON.stringify({ model: "claude-opus-4-1-20250805", max_tokens: 64, stream: true, messages: [{ role: "user", content: "héllo 世界" }] });
const PLAIN_BODY = JSON.stringify({ model: "claude-haiku-4-5-20251001", max_tokens: 64, messages: [{ role: "user", content: "hi" }] });

function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${mock.url}${path}`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
}

async function bytesOf(response: Response): Promise<Buffer> {
  return Buffer.from(await response.arrayBuffer());
}

interface ErrorJson {
  type: string;
  error: { type: string; message: string };
  request_id?: string;
}

interface ModelsJson {
  data: { type: string; id: string; display_name: string; created_at: string }[];
  has_more: boolean;
  first_id: string;
  last_id: string;
}

async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

function parse(bytes: Uint8Array): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = createSseParser((event) => events.push(event));
  parser.push(bytes);
  parser.end();
  return events;
}

function textOf(events: SseEvent[]): string {
  return events
    .filter((event) => event.event === "content_block_delta")
    .map((event) => JSON.parse(event.data).delta.text as string)
    .join("");
}

const EVENT_ORDER = ["message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"];

describe("startMockAnthropic streaming", () => {
  it("streams the real event sequence whose deltas spell the text and whose usage the tracker reads", async () => {
    const response = await post("/v1/messages?beta=true", STREAM_BODY, { "x-api-key": "sk-upstream" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(response.headers.get("request-id")).toMatch(/^req_mock_/);
    expect(response.headers.get("anthropic-ratelimit-requests-limit")).toBe("4000");
    const bytes = await bytesOf(response);
    const events = parse(bytes);
    expect(events.map((event) => event.event)).toEqual(EVENT_ORDER);
    expect(textOf(events)).toBe(DEFAULT_MOCK_TEXT);
    const start = JSON.parse(events[0]?.data ?? "");
    expect(start.message).toMatchObject({ type: "message", role: "assistant", model: "claude-opus-4-1-20250805", content: [], stop_reason: null });
    expect(start.message.id).toMatch(/^msg_/);
    expect(start.message.usage.output_tokens).toBe(1);
    const tracker = createUsageTracker();
    for (const event of events) tracker.onEvent(event);
    expect(tracker.sawMessageStop).toBe(true);
    expect(tracker.usage.model).toBe("claude-opus-4-1-20250805");
    expect(tracker.usage.inputTokens).toBe(mockInputTokens(Buffer.from(STREAM_BODY)));
    expect(tracker.usage.outputTokens).toBeGreaterThan(1);

    const [recorded] = await mock.waitForRequests(1);
    expect(recorded?.path).toBe("/v1/messages?beta=true");
    expect(recorded?.method).toBe("POST");
    expect(recorded?.headers["x-api-key"]).toBe("sk-upstream");
    expect(recorded?.body.equals(Buffer.from(STREAM_BODY))).toBe(true);
    expect(recorded?.status).toBe(200);
    expect(recorded?.responseBody.equals(bytes)).toBe(true);
  });

  it("accepts a path prefix before /v1/messages and honours scripted text, model, usage and delta count", async () => {
    mock.enqueue({ kind: "message", text: "añb 🎉 c", model: "claude-x", events: 5, usage: { input_tokens: 7, cache_read_input_tokens: 900, cache_creation_input_tokens: 30, output_tokens: 55 } });
    const events = parse(await bytesOf(await post("/proxy/base/v1/messages", STREAM_BODY)));
    expect(events.filter((event) => event.event === "content_block_delta")).toHaveLength(5);
    expect(textOf(events)).toBe("añb 🎉 c");
    const tracker = createUsageTracker();
    for (const event of events) tracker.onEvent(event);
    expect(tracker.usage).toEqual({ model: "claude-x", inputTokens: 7, outputTokens: 55, cacheCreationInputTokens: 30, cacheReadInputTokens: 900 });
  });

  it.each(["byte", "random"] as const)("writes the same stream in %s chunks that the client receives exactly", async (chunking) => {
    mock.enqueue({ kind: "message", chunking });
    const bytes = await bytesOf(await post("/v1/messages", STREAM_BODY));
    const events = parse(bytes);
    expect(events.map((event) => event.event)).toEqual(EVENT_ORDER);
    expect(textOf(events)).toBe(DEFAULT_MOCK_TEXT);
    expect(mock.requests[0]?.responseBody.equals(bytes)).toBe(true);
  });

  it("sends byte chunks as separate writes that reach the client as many reads", async () => {
    mock.enqueue({ kind: "message", chunking: "byte" });
    const reads = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${mock.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
        let count = 0;
        res.on("data", () => count++);
        res.on("end", () => resolve(count));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(STREAM_BODY);
    });
    expect(reads).toBeGreaterThan(50);
  });

  it("pads one delta to the requested size without changing the text", async () => {
    mock.enqueue({ kind: "message", padEventBytes: 1024 * 1024 });
    const bytes = await bytesOf(await post("/v1/messages", STREAM_BODY));
    expect(bytes.length).toBeGreaterThan(1024 * 1024);
    const events = parse(bytes);
    expect(textOf(events)).toBe(DEFAULT_MOCK_TEXT);
    expect(Math.max(...events.map((event) => event.data.length))).toBeGreaterThan(1000 * 1000);
  });

  it("pauses between events when asked", async () => {
    mock.enqueue({ kind: "message", eventDelayMs: 60 });
    const started = Date.now();
    const events = parse(await bytesOf(await post("/v1/messages", STREAM_BODY)));
    expect(events).toHaveLength(EVENT_ORDER.length);
    // Eight pauses of 60 ms; a loaded machine only makes it slower.
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it("sends an error event mid-stream after a 200", async () => {
    mock.enqueue({ kind: "stream-error", afterEvents: 1, type: "overloaded_error" });
    const response = await post("/v1/messages", STREAM_BODY);
    expect(response.status).toBe(200);
    const events = parse(await bytesOf(response));
    expect(events.map((event) => event.event)).toEqual(["message_start", "error"]);
    const tracker = createUsageTracker();
    for (const event of events) tracker.onEvent(event);
    expect(tracker.errorEvent).toEqual({ type: "overloaded_error", message: "Overloaded" });
  });
});

describe("startMockAnthropic non-streaming and other routes", () => {
  it("returns the full message JSON with a matching content-length", async () => {
    const response = await post("/v1/messages", PLAIN_BODY);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    const bytes = await bytesOf(response);
    expect(response.headers.get("content-length")).toBe(String(bytes.length));
    const body = JSON.parse(bytes.toString("utf8"));
    expect(body).toMatchObject({ type: "message", role: "assistant", model: "claude-haiku-4-5-20251001", stop_reason: "end_turn" });
    expect(body.content).toEqual([{ type: "text", text: DEFAULT_MOCK_TEXT }]);
    expect(body.usage).toMatchObject({ input_tokens: mockInputTokens(Buffer.from(PLAIN_BODY)), cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
  });

  it("refuses a body that is not JSON with invalid_request_error", async () => {
    const response = await post("/v1/messages", "{not json");
    expect(response.status).toBe(400);
    expect((await json<ErrorJson>(response)).error.type).toBe("invalid_request_error");
  });

  it("counts tokens deterministically from the body length", async () => {
    const first = await json<{ input_tokens: number }>(await post("/v1/messages/count_tokens", PLAIN_BODY));
    const second = await json<{ input_tokens: number }>(await post("/v1/messages/count_tokens", PLAIN_BODY));
    expect(first).toEqual({ input_tokens: mockInputTokens(Buffer.from(PLAIN_BODY)) });
    expect(second).toEqual(first);
  });

  it("lists models in the real shape", async () => {
    const body = await json<ModelsJson>(await fetch(`${mock.url}/v1/models`));
    expect(body.has_more).toBe(false);
    expect(body.data.length).toBeGreaterThan(0);
    expect(body.data[0]).toEqual({ type: "model", id: body.first_id, display_name: expect.any(String), created_at: expect.any(String) });
    expect(body.data.at(-1)?.id).toBe(body.last_id);
    expect(body.data.map((model) => model.id)).toContain(DEFAULT_MOCK_MODEL);
  });

  it("answers unknown paths with not_found_error and the connectivity probe with 200, without using the queue", async () => {
    mock.enqueue({ kind: "error", status: 500 });
    const missing = await fetch(`${mock.url}/v1/nothing`);
    expect(missing.status).toBe(404);
    expect((await json<ErrorJson>(missing)).error.type).toBe("not_found_error");
    const hello = await fetch(`${mock.url}/api/hello`, { method: "HEAD" });
    expect(hello.status).toBe(200);
    expect((await post("/v1/messages", PLAIN_BODY)).status).toBe(500);
  });
});

describe("startMockAnthropic errors and scripts", () => {
  it("sends a 429 with its headers and the Anthropic error shape carrying the request id", async () => {
    mock.enqueue({ kind: "error", status: 429, headers: { "retry-after": "17", "anthropic-ratelimit-unified-reset": "1767225600" } });
    const response = await post("/v1/messages", STREAM_BODY);
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("17");
    expect(response.headers.get("anthropic-ratelimit-unified-reset")).toBe("1767225600");
    expect(response.headers.get("content-type")).toBe("application/json");
    const body = await json<ErrorJson>(response);
    expect(body).toEqual({ type: "error", error: { type: "rate_limit_error", message: expect.any(String) }, request_id: response.headers.get("request-id") });
  });

  it("derives the type from the status and passes a scripted type and message through", async () => {
    mock.enqueue({ kind: "error", status: 529 }, { kind: "error", status: 401, type: "authentication_error", message: "invalid x-api-key" }, { kind: "error", status: 400, type: "billing_error", message: "no credit" });
    const overloaded = await post("/v1/messages", PLAIN_BODY);
    expect(overloaded.status).toBe(529);
    expect((await json<ErrorJson>(overloaded)).error).toEqual({ type: "overloaded_error", message: "Overloaded" });
    const unauthorized = await post("/v1/messages", PLAIN_BODY);
    expect(unauthorized.status).toBe(401);
    expect((await json<ErrorJson>(unauthorized)).error).toEqual({ type: "authentication_error", message: "invalid x-api-key" });
    const custom = await post("/v1/messages", PLAIN_BODY);
    expect((await json<ErrorJson>(custom)).error).toEqual({ type: "billing_error", message: "no credit" });
  });

  it("plays queued replies in order, then the default, which setDefault replaces", async () => {
    mock.enqueue({ kind: "error", status: 529 }, { kind: "error", status: 500 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await post("/v1/messages", PLAIN_BODY);
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    mock.setDefault({ kind: "error", status: 403 });
    statuses.push((await post("/v1/messages", PLAIN_BODY)).status);
    expect(statuses).toEqual([529, 500, 200, 403]);
    expect(mock.requests.map((request) => request.status)).toEqual([529, 500, 200, 403]);
  });

  it("stalls a stream after its first events until close() ends it", async () => {
    mock.enqueue({ kind: "stall" });
    const response = await post("/v1/messages", STREAM_BODY);
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const events: SseEvent[] = [];
    const parser = createSseParser((event) => events.push(event));
    while (events.length < 2) {
      const { value, done } = await reader.read();
      expect(done).toBe(false);
      if (value) parser.push(value);
    }
    expect(events.map((event) => event.event)).toEqual(["message_start", "content_block_start"]);
    const pending = reader.read();
    await mock.close();
    await expect(pending).rejects.toThrow();
  });

  it("never answers a stalled non-streaming request, and close() still ends", async () => {
    mock.enqueue({ kind: "stall" });
    const pending = post("/v1/messages", PLAIN_BODY);
    await mock.waitForRequests(1);
    await mock.close();
    await expect(pending).rejects.toThrow();
    expect(mock.requests[0]?.status).toBe(0);
  });

  it("drops the connection before any header, or after some events of a stream", async () => {
    mock.enqueue({ kind: "disconnect" }, { kind: "disconnect", afterEvents: 3 });
    await expect(post("/v1/messages", STREAM_BODY)).rejects.toThrow();
    const response = await post("/v1/messages", STREAM_BODY);
    expect(response.status).toBe(200);
    await expect(response.arrayBuffer()).rejects.toThrow();
    expect(parse(mock.requests[1]?.responseBody ?? Buffer.alloc(0)).map((event) => event.event)).toEqual(["message_start", "content_block_start", "ping"]);
  });

  it("waits for requests and times out with a stable code", async () => {
    const waiting = mock.waitForRequests(2, 5_000);
    await (await post("/v1/messages", PLAIN_BODY)).arrayBuffer();
    await (await post("/v1/messages", PLAIN_BODY)).arrayBuffer();
    expect(await waiting).toHaveLength(2);
    await expect(mock.waitForRequests(3, 50)).rejects.toMatchObject({ code: "ERR_MOCK_ANTHROPIC_TIMEOUT" });
  });
});
