import { describe, expect, it } from "vitest";
import { openAIKeyHeader, openAITestRequest, readOpenAIErrorBody, readResponsesStreamFailure } from "./openai-test-request.js";

const oauth = { kind: "oauth" as const, accessToken: "eyJ.access.token", refreshToken: "rt_1", expiresAtMs: 0, scopes: [] };

describe("openAITestRequest", () => {
  it("asks the Responses API of an API key's base URL for a small non-streamed answer, the key as a bearer token", () => {
    const request = openAITestRequest({ type: "openai-api", baseUrl: "https://gw.example.test/openai/v1", credential: { kind: "api-key", apiKey: "sk-test" }, model: "gpt-4.1-mini", projectId: "" });
    expect(request.url.href).toBe("https://gw.example.test/openai/v1/responses");
    expect(request.headers).toEqual({ "content-type": "application/json", authorization: "Bearer sk-test" });
    expect(JSON.parse(request.body)).toEqual({ model: "gpt-4.1-mini", input: "ping", max_output_tokens: 16, store: false });
    expect(request.failureIn).toBeUndefined();
  });

  it("sends the Codex backend what Codex CLI sends: streamed, not stored, with instructions and the ChatGPT account header", () => {
    const request = openAITestRequest({ type: "openai-oauth", baseUrl: "https://chatgpt.com/backend-api/codex", credential: oauth, model: "gpt-5", projectId: "", chatgptAccountId: "acct-1" });
    expect(request.url.href).toBe("https://chatgpt.com/backend-api/codex/responses");
    expect(request.headers).toMatchObject({ authorization: "Bearer eyJ.access.token", "chatgpt-account-id": "acct-1", accept: "text/event-stream" });
    const body = JSON.parse(request.body);
    expect(body).toMatchObject({ model: "gpt-5", store: false, stream: true, input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "ping" }] }] });
    expect(body.instructions).toEqual(expect.any(String));
    expect(request.failureIn).toBe(readResponsesStreamFailure);
  });
});

describe("openAIKeyHeader", () => {
  it("puts the key in api-key on Azure OpenAI hosts and in a bearer token elsewhere", () => {
    expect(openAIKeyHeader("https://my-res.openai.azure.com/openai/v1", "k")).toEqual({ "api-key": "k" });
    expect(openAIKeyHeader("https://my-res.cognitiveservices.azure.com/openai/v1", "k")).toEqual({ "api-key": "k" });
    expect(openAIKeyHeader("https://api.openai.com/v1", "k")).toEqual({ authorization: "Bearer k" });
    expect(openAIKeyHeader("https://openai.azure.com.evil.test/v1", "k")).toEqual({ authorization: "Bearer k" });
  });
});

describe("readOpenAIErrorBody", () => {
  it("reads the code (else the type) and message of an OpenAI error", () => {
    const wrongKey = { error: { message: "Incorrect API key provided: sk-***abcd.", type: "invalid_request_error", param: null, code: "invalid_api_key" } };
    expect(readOpenAIErrorBody(JSON.stringify(wrongKey))).toEqual({ type: "invalid_api_key", message: "Incorrect API key provided: sk-***abcd." });
    const limit = { error: { type: "usage_limit_reached", message: "The usage limit has been reached", plan_type: "plus" } };
    expect(readOpenAIErrorBody(JSON.stringify(limit))).toEqual({ type: "usage_limit_reached", message: "The usage limit has been reached" });
  });

  it("reads the Codex backend's detail, as text or as a code", () => {
    expect(readOpenAIErrorBody(JSON.stringify({ detail: "Instructions are required" }))).toEqual({ type: "", message: "Instructions are required" });
    expect(readOpenAIErrorBody(JSON.stringify({ detail: { code: "deactivated_workspace" } }))).toEqual({ type: "deactivated_workspace", message: "" });
  });

  it("reads nothing from what is not an error body", () => {
    expect(readOpenAIErrorBody("<html>")).toEqual({ type: "", message: "" });
    expect(readOpenAIErrorBody("[1]")).toEqual({ type: "", message: "" });
  });
});

describe("readResponsesStreamFailure", () => {
  const event = (data: unknown) => `event: ${(data as { type: string }).type}\ndata: ${JSON.stringify(data)}\n\n`;

  it("is content with a stream that completes", () => {
    const text = event({ type: "response.created", response: {} }) + event({ type: "response.output_text.delta", delta: "pong" }) + event({ type: "response.completed", response: {} });
    expect(readResponsesStreamFailure(text)).toBeUndefined();
  });

  it("reports a failed response, an error event, an incomplete response, and a stream cut short", () => {
    expect(readResponsesStreamFailure(event({ type: "response.failed", response: { error: { code: "rate_limit_exceeded", message: "Slow down" } } }))).toEqual({ type: "rate_limit_exceeded", message: "Slow down" });
    expect(readResponsesStreamFailure(event({ type: "error", code: "server_error", message: "boom" }))).toEqual({ type: "server_error", message: "boom" });
    expect(readResponsesStreamFailure(event({ type: "response.incomplete", response: { incomplete_details: { reason: "max_output_tokens" } } }))).toEqual({
      type: "response_incomplete",
      message: "the response ended incomplete: max_output_tokens",
    });
    expect(readResponsesStreamFailure(event({ type: "response.created", response: {} }))).toEqual({ type: "incomplete_stream", message: "the stream ended before response.completed" });
    expect(readResponsesStreamFailure(event({ type: "response.failed", response: {} }))).toMatchObject({ type: "response_failed" });
  });
});
