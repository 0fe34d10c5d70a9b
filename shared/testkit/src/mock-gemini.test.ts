import { request as httpRequest } from "node:http";
import { createSseParser, type SseEvent } from "@claude-relay/anthropic";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_MOCK_GEMINI_API_KEY, type MockGemini, startMockGemini } from "./mock-gemini.js";
import { DEFAULT_MOCK_GEMINI_TEXT } from "./mock-gemini-wire.js";

let mock: MockGemini;

beforeEach(async () => {
  mock = await startMockGemini();
});

afterEach(async () => {
  await mock.close();
});

const KEY = { "x-goog-api-key": DEFAULT_MOCK_GEMINI_API_KEY };
const PRO = "/v1beta/models/gemini-2.5-pro";
const REQUEST = { contents: [{ role: "user", parts: [{ text: "héllo 世界" }] }] };
const BODY = JSON.stringify(REQUEST);

function post(path: string, body: string = BODY, headers: Record<string, string> = KEY): Promise<Response> {
  return fetch(`${mock.url}${path}`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
}

interface Chunk {
  candidates: { content: { parts: Record<string, unknown>[]; role: string }; finishReason?: string; index?: number }[];
  usageMetadata: Record<string, number | undefined>;
  modelVersion: string;
  responseId: string;
}

interface GoogleError {
  error: { code: number; message: string; status: string; details?: Record<string, unknown>[] };
}

function sse(bytes: Uint8Array): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = createSseParser((event) => events.push(event));
  parser.push(bytes);
  parser.end();
  return events;
}

async function chunksOf(response: Response): Promise<Chunk[]> {
  return sse(new Uint8Array(await response.arrayBuffer())).map((event) => JSON.parse(event.data) as Chunk);
}

function textOf(chunks: Chunk[], thought = false): string {
  return chunks
    .flatMap((chunk) => chunk.candidates[0]?.content.parts ?? [])
    .filter((part) => (part.thought === true) === thought && typeof part.text === "string")
    .map((part) => part.text as string)
    .join("");
}

async function errorOf(response: Response): Promise<GoogleError> {
  return (await response.json()) as GoogleError;
}

describe("startMockGemini streamGenerateContent", () => {
  it("streams SSE events framed with CRLF whose parts spell the text, usage on every chunk and the totals on the last", async () => {
    const response = await post(`${PRO}:streamGenerateContent?alt=sse`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.toString("utf8")).toMatch(/^data: \{"candidates": \[\{"content": \{"parts": \[/);
    expect(bytes.toString("utf8").split("\r\n\r\n").filter(Boolean)).toHaveLength(3);
    const chunks = sse(bytes).map((event) => JSON.parse(event.data) as Chunk);
    expect(textOf(chunks)).toBe(DEFAULT_MOCK_GEMINI_TEXT);
    for (const chunk of chunks.slice(0, -1)) {
      expect(chunk.candidates[0]?.finishReason).toBeUndefined();
      expect(chunk.usageMetadata.candidatesTokenCount).toBeUndefined();
      expect(chunk.usageMetadata.promptTokenCount).toBeGreaterThan(0);
    }
    const last = chunks.at(-1) as Chunk;
    expect(last.candidates[0]).toMatchObject({ finishReason: "STOP", index: 0 });
    const usage = last.usageMetadata;
    expect(usage.totalTokenCount).toBe((usage.promptTokenCount ?? 0) + (usage.candidatesTokenCount ?? 0));
    expect(new Set(chunks.map((chunk) => chunk.responseId)).size).toBe(1);
    expect(last.modelVersion).toBe("gemini-2.5-pro");

    const [recorded] = await mock.waitForRequests(1);
    expect(recorded).toMatchObject({ method: "POST", path: `${PRO}:streamGenerateContent`, query: { alt: "sse" }, api: "gemini", operation: "streamGenerateContent", status: 200 });
    expect(recorded?.headers["x-goog-api-key"]).toBe(DEFAULT_MOCK_GEMINI_API_KEY);
    expect(recorded?.json).toEqual(REQUEST);
    expect(recorded?.responseBody.equals(bytes)).toBe(true);
  });

  it("without alt=sse writes one JSON array in several pieces", async () => {
    mock.enqueue({ kind: "text", chunks: 4, eventDelayMs: 20 });
    const reads = await new Promise<Buffer[]>((resolve, reject) => {
      const req = httpRequest(`${mock.url}${PRO}:streamGenerateContent`, { method: "POST", headers: { ...KEY, "content-type": "application/json" } }, (res) => {
        const pieces: Buffer[] = [];
        res.on("data", (piece: Buffer) => pieces.push(piece));
        res.on("end", () => resolve(pieces));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(BODY);
    });
    expect(reads.length).toBeGreaterThan(2);
    expect(() => JSON.parse(reads[0]?.toString("utf8") ?? "")).toThrow();
    const array = JSON.parse(Buffer.concat(reads).toString("utf8")) as Chunk[];
    expect(Array.isArray(array)).toBe(true);
    expect(array).toHaveLength(4);
    expect(textOf(array)).toBe(DEFAULT_MOCK_GEMINI_TEXT);
    expect(mock.requests[0]?.responseBody.toString("utf8").startsWith("[")).toBe(true);
  });

  it("splits events inside UTF-8 characters when written byte by byte, and the stream still decodes", async () => {
    mock.enqueue({ kind: "text", text: "añb 🎉 世界", chunking: "byte" });
    const reads: number[] = [];
    const bytes = await new Promise<Buffer>((resolve, reject) => {
      const req = httpRequest(`${mock.url}${PRO}:streamGenerateContent?alt=sse`, { method: "POST", headers: { ...KEY, "content-type": "application/json" } }, (res) => {
        const pieces: Buffer[] = [];
        res.on("data", (piece: Buffer) => {
          reads.push(piece.length);
          pieces.push(piece);
        });
        res.on("end", () => resolve(Buffer.concat(pieces)));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(BODY);
    });
    expect(reads.length).toBeGreaterThan(50);
    expect(textOf(sse(bytes).map((event) => JSON.parse(event.data) as Chunk))).toBe("añb 🎉 世界");
  });

  it("sends thought parts only when the request includes thoughts, and counts them either way", async () => {
    const thinking = JSON.stringify({ ...REQUEST, generationConfig: { thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 } } });
    mock.enqueue({ kind: "text", text: "answer", thoughts: "Thinking about it — 🤔" }, { kind: "text", text: "answer", thoughts: "Thinking about it — 🤔" });
    const shown = await chunksOf(await post(`${PRO}:streamGenerateContent?alt=sse`, thinking));
    expect(textOf(shown, true)).toBe("Thinking about it — 🤔");
    expect(textOf(shown)).toBe("answer");
    const hidden = await chunksOf(await post(`${PRO}:streamGenerateContent?alt=sse`));
    expect(textOf(hidden, true)).toBe("");
    for (const chunks of [shown, hidden]) {
      const usage = (chunks.at(-1) as Chunk).usageMetadata;
      expect(usage.thoughtsTokenCount).toBeGreaterThan(0);
      expect(usage.totalTokenCount).toBe((usage.promptTokenCount ?? 0) + (usage.candidatesTokenCount ?? 0) + (usage.thoughtsTokenCount ?? 0));
    }
  });

  it("answers a function call first and the text once the last turn carries its functionResponse", async () => {
    mock.setDefault({ kind: "function-call", name: "list_directory", args: { dir_path: "." }, text: "Two files." });
    const first = await chunksOf(await post(`${PRO}:streamGenerateContent?alt=sse`));
    const call = first.flatMap((chunk) => chunk.candidates[0]?.content.parts ?? []).find((part) => part.functionCall);
    expect(call?.functionCall).toEqual({ name: "list_directory", args: { dir_path: "." } });
    expect(typeof call?.thoughtSignature).toBe("string");
    const followUp = {
      contents: [...REQUEST.contents, { role: "model", parts: [call] }, { role: "user", parts: [{ functionResponse: { name: "list_directory", response: { output: "a.txt b.txt" } } }] }],
    };
    const second = await chunksOf(await post(`${PRO}:streamGenerateContent?alt=sse`, JSON.stringify(followUp)));
    expect(textOf(second)).toBe("Two files.");
  });

  it("reports scripted usage, cached tokens and model version", async () => {
    mock.enqueue({ kind: "text", model: "gemini-2.5-pro-preview-06-05", usage: { promptTokenCount: 1000, cachedContentTokenCount: 800, candidatesTokenCount: 7, thoughtsTokenCount: 30 } });
    const last = (await chunksOf(await post(`${PRO}:streamGenerateContent?alt=sse`))).at(-1) as Chunk;
    expect(last.modelVersion).toBe("gemini-2.5-pro-preview-06-05");
    expect(last.usageMetadata).toMatchObject({ promptTokenCount: 1000, cachedContentTokenCount: 800, candidatesTokenCount: 7, thoughtsTokenCount: 30, totalTokenCount: 1037 });
  });

  it("paces a slow stream, stalls until close(), and drops the connection after some events", async () => {
    mock.enqueue({ kind: "text", eventDelayMs: 80 }, { kind: "disconnect", afterEvents: 1 }, { kind: "stall", afterEvents: 1 });
    const started = Date.now();
    expect(textOf(await chunksOf(await post(`${PRO}:streamGenerateContent?alt=sse`)))).toBe(DEFAULT_MOCK_GEMINI_TEXT);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);

    const dropped = await post(`${PRO}:streamGenerateContent?alt=sse`);
    expect(dropped.status).toBe(200);
    await expect(dropped.arrayBuffer()).rejects.toThrow();
    expect(sse(mock.requests[1]?.responseBody ?? Buffer.alloc(0))).toHaveLength(1);

    const stalled = await post(`${PRO}:streamGenerateContent?alt=sse`);
    const reader = (stalled.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    const pending = reader.read();
    await mock.close();
    await expect(pending).rejects.toThrow();
  });
});

describe("startMockGemini generateContent, countTokens and models", () => {
  it("answers generateContent with one pretty-printed response and a matching content-length", async () => {
    const response = await post(`${PRO}:generateContent`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json; charset=UTF-8");
    const text = await response.text();
    expect(response.headers.get("content-length")).toBe(String(Buffer.byteLength(text)));
    expect(text).toContain('\n  "candidates": [');
    const body = JSON.parse(text) as Chunk;
    expect(body.candidates[0]).toEqual({ content: { parts: [{ text: DEFAULT_MOCK_GEMINI_TEXT }], role: "model" }, finishReason: "STOP", index: 0 });
    expect(body.usageMetadata.candidatesTokenCount).toBeGreaterThan(0);
  });

  it("counts the same prompt tokens countTokens reports, with contents or a generateContentRequest", async () => {
    const generated = (await (await post(`${PRO}:generateContent`)).json()) as Chunk;
    const counted = (await (await post(`${PRO}:countTokens`)).json()) as { totalTokens: number };
    expect(counted.totalTokens).toBe(generated.usageMetadata.promptTokenCount);
    const wrapped = (await (await post(`${PRO}:countTokens`, JSON.stringify({ generateContentRequest: { model: "models/gemini-2.5-pro", ...REQUEST } }))).json()) as { totalTokens: number };
    expect(wrapped.totalTokens).toBe(counted.totalTokens);
    const both = await post(`${PRO}:countTokens`, JSON.stringify({ ...REQUEST, generateContentRequest: REQUEST }));
    expect(both.status).toBe(400);
  });

  it("answers a JSON-mode request with JSON that fits its schema, or the scripted value", async () => {
    const schema = { type: "object", properties: { next_speaker: { type: "string", enum: ["user", "model"] }, reasoning: { type: "string" } }, required: ["next_speaker", "reasoning"] };
    const jsonMode = (config: object) => JSON.stringify({ ...REQUEST, generationConfig: { responseMimeType: "application/json", ...config } });
    const textOfJson = async (response: Response) => JSON.parse(((await response.json()) as Chunk).candidates[0]?.content.parts[0]?.text as string) as unknown;
    expect(await textOfJson(await post(`${PRO}:generateContent`, jsonMode({ responseJsonSchema: schema })))).toEqual({ next_speaker: "user", reasoning: "mock" });
    const openApi = { type: "OBJECT", properties: { score: { type: "INTEGER", minimum: 3 }, tags: { type: "ARRAY", items: { type: "STRING" } } } };
    expect(await textOfJson(await post(`${PRO}:generateContent`, jsonMode({ responseSchema: openApi })))).toEqual({ score: 3, tags: ["mock"] });
    mock.enqueue({ kind: "text", json: { next_speaker: "model", reasoning: "scripted" } });
    expect(await textOfJson(await post(`${PRO}:generateContent`, jsonMode({ responseJsonSchema: schema })))).toEqual({ next_speaker: "model", reasoning: "scripted" });
  });

  it("lists models in pages and gets one, in the API's shape", async () => {
    const first = (await (await fetch(`${mock.url}/v1beta/models?pageSize=2`, { headers: KEY })).json()) as { models: { name: string }[]; nextPageToken?: string };
    expect(first.models.map((model) => model.name)).toEqual(["models/gemini-2.5-pro", "models/gemini-2.5-flash"]);
    expect(first.nextPageToken).toBeTruthy();
    const second = (await (await fetch(`${mock.url}/v1beta/models?pageSize=2&pageToken=${first.nextPageToken}`, { headers: KEY })).json()) as { models: { name: string }[] };
    expect(second.models[0]?.name).toBe("models/gemini-2.5-flash-lite");
    const model = (await (await fetch(`${mock.url}/v1beta/models/gemini-2.5-flash?key=${DEFAULT_MOCK_GEMINI_API_KEY}`)).json()) as Record<string, unknown>;
    expect(model).toMatchObject({ name: "models/gemini-2.5-flash", inputTokenLimit: expect.any(Number), supportedGenerationMethods: expect.arrayContaining(["generateContent", "countTokens"]) });
    const missing = await fetch(`${mock.url}/v1beta/models/gemini-0-nope`, { headers: KEY });
    expect(missing.status).toBe(404);
    expect((await errorOf(missing)).error.status).toBe("NOT_FOUND");
  });
});

describe("startMockGemini refusals", () => {
  it("refuses a missing key with 403 PERMISSION_DENIED and a wrong one with 400 API_KEY_INVALID, consuming no reply", async () => {
    mock.enqueue({ kind: "error", status: 500 });
    const missing = await post(`${PRO}:generateContent`, BODY, {});
    expect(missing.status).toBe(403);
    expect((await errorOf(missing)).error).toEqual({ code: 403, status: "PERMISSION_DENIED", message: expect.stringMatching(/^Method doesn't allow unregistered callers/) });
    const wrong = await post(`${PRO}:generateContent`, BODY, { "x-goog-api-key": "AIza-wrong" });
    expect(wrong.status).toBe(400);
    const error = (await errorOf(wrong)).error;
    expect(error).toMatchObject({ code: 400, status: "INVALID_ARGUMENT", message: "API key not valid. Please pass a valid API key." });
    expect(error.details?.[0]).toMatchObject({ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID", domain: "googleapis.com" });
    expect((await post(`${PRO}:generateContent?key=${DEFAULT_MOCK_GEMINI_API_KEY}`, BODY, {})).status).toBe(500);
    mock.apiKeys.delete(DEFAULT_MOCK_GEMINI_API_KEY);
    expect((await post(`${PRO}:generateContent`)).status).toBe(400);
  });

  it("wraps errors of streamGenerateContent without alt=sse in an array, and not those with it", async () => {
    const bare = await post(`${PRO}:streamGenerateContent`, BODY, { "x-goog-api-key": "AIza-wrong" });
    const array = JSON.parse(await bare.text()) as GoogleError[];
    expect(array[0]?.error.status).toBe("INVALID_ARGUMENT");
    const event = await post(`${PRO}:streamGenerateContent?alt=sse`, BODY, { "x-goog-api-key": "AIza-wrong" });
    expect(((await event.json()) as GoogleError).error.code).toBe(400);
  });

  it.each([
    ["a body that is not JSON", PRO, "{not json", 400, "INVALID_ARGUMENT", /^Invalid JSON payload received/],
    ["empty contents", PRO, JSON.stringify({ contents: [] }), 400, "INVALID_ARGUMENT", /contents is not specified/],
    ["an unknown field", PRO, JSON.stringify({ ...REQUEST, stream: true }), 400, "INVALID_ARGUMENT", /Unknown name "stream"/],
    ["an unknown model", "/v1beta/models/gemini-9-ultra", BODY, 404, "NOT_FOUND", /models\/gemini-9-ultra is not found for API version v1beta/],
  ])("refuses %s", async (_name, model, body, code, status, message) => {
    const response = await post(`${model}:generateContent`, body);
    expect(response.status).toBe(code);
    const error = (await errorOf(response)).error;
    expect(error).toMatchObject({ code, status });
    expect(error.message).toMatch(message);
  });

  it("accepts snake_case field names and a base-URL prefix before the version", async () => {
    const body = JSON.stringify({ ...REQUEST, system_instruction: { parts: [{ text: "be brief" }] }, generation_config: { temperature: 0 } });
    expect((await post(`/proxy/base${PRO}:generateContent`, body)).status).toBe(200);
  });

  it("sends a per-minute or per-day 429 with QuotaFailure and RetryInfo, and 503 for an overloaded model", async () => {
    mock.enqueue({ kind: "error", status: 429, retryDelaySeconds: 17 }, { kind: "error", status: 429, quota: "per-day" }, { kind: "error", status: 503 });
    const perMinute = await post(`${PRO}:streamGenerateContent?alt=sse`);
    expect(perMinute.status).toBe(429);
    const minute = (await errorOf(perMinute)).error;
    expect(minute.status).toBe("RESOURCE_EXHAUSTED");
    expect(minute.details).toContainEqual({ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "17s" });
    const quotaIdOf = (error: GoogleError["error"]) =>
      ((error.details?.find((d) => d["@type"] === "type.googleapis.com/google.rpc.QuotaFailure")?.violations as { quotaId: string }[] | undefined) ?? [])[0]?.quotaId;
    expect(quotaIdOf(minute)).toMatch(/PerMinute/);
    expect(quotaIdOf((await errorOf(await post(`${PRO}:generateContent`))).error)).toMatch(/PerDay/);
    const overloaded = await post(`${PRO}:generateContent`);
    expect(overloaded.status).toBe(503);
    expect((await errorOf(overloaded)).error).toEqual({ code: 503, status: "UNAVAILABLE", message: "The model is overloaded. Please try again later." });
  });

  it("sends scripted 401 and 403 errors with a reason, on the operation they were queued for", async () => {
    mock.enqueueOn("countTokens", { kind: "error", status: 403, reason: "SERVICE_DISABLED", message: "Generative Language API has not been used" });
    mock.enqueue({ kind: "error", status: 401 });
    const forbidden = (await errorOf(await post(`${PRO}:countTokens`))).error;
    expect(forbidden).toMatchObject({ code: 403, status: "PERMISSION_DENIED", message: "Generative Language API has not been used" });
    expect(forbidden.details?.[0]).toMatchObject({ reason: "SERVICE_DISABLED", domain: "generativelanguage.googleapis.com" });
    const unauthorized = await post(`${PRO}:generateContent`);
    expect(unauthorized.status).toBe(401);
    expect((await errorOf(unauthorized)).error.status).toBe("UNAUTHENTICATED");
    expect((await post(`${PRO}:generateContent`)).status).toBe(200);
  });

  it("answers unknown paths with 404 and times out waiting with a stable code", async () => {
    expect((await fetch(`${mock.url}/v2/unknown`)).status).toBe(404);
    await expect(mock.waitForRequests(5, 50)).rejects.toMatchObject({ code: "ERR_MOCK_GEMINI_TIMEOUT" });
  });
});
