import { describe, expect, it } from "vitest";
import { openAiErrorBody, openAiErrorFromAnthropicEvent, openAiErrorFromGoogleObject, openAiErrorFromUpstream, openAiErrorOf, openAiStreamError } from "./openai-errors.js";
import { sdkRead } from "./chat-stream.test-helper.js";

describe("OpenAI errors", () => {
  const table: Array<{ status: number; type: string; code: string | null }> = [
    { status: 400, type: "invalid_request_error", code: null },
    { status: 401, type: "invalid_request_error", code: "invalid_api_key" },
    { status: 404, type: "invalid_request_error", code: "model_not_found" },
    { status: 429, type: "requests", code: "rate_limit_exceeded" },
    { status: 500, type: "server_error", code: null },
    { status: 503, type: "service_unavailable_error", code: "server_is_overloaded" },
    { status: 529, type: "service_unavailable_error", code: "server_is_overloaded" },
    { status: 422, type: "invalid_request_error", code: null },
    { status: 599, type: "server_error", code: null },
  ];
  for (const row of table) it(`types status ${row.status} as ${row.type}`, () => expect(openAiErrorOf(row.status, "m")).toEqual({ message: "m", type: row.type, param: null, code: row.code }));

  it("writes the body with param and an overridden code", () => {
    expect(JSON.parse(openAiErrorBody(openAiErrorOf(400, "n must be 1", "n")))).toEqual({ error: { message: "n must be 1", type: "invalid_request_error", param: "n", code: null } });
    expect(openAiErrorOf(404, "Invalid URL", null, null).code).toBeNull();
  });

  it("keeps the message of an Anthropic or Google error body", () => {
    expect(openAiErrorFromUpstream(401, '{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}')).toMatchObject({ message: "invalid x-api-key", code: "invalid_api_key" });
    expect(openAiErrorFromUpstream(429, '[{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}]').message).toBe("Quota exceeded");
    expect(openAiErrorFromUpstream(500, "").message).toBe("The upstream service answered with status 500.");
  });

  it("types mid-stream errors by what they say", () => {
    expect(openAiErrorFromAnthropicEvent('{"type":"error","error":{"type":"api_error","message":"Internal"}}')).toMatchObject({ type: "server_error", message: "Internal" });
    expect(openAiErrorFromGoogleObject({ error: { code: 429, message: "slow down", status: "RESOURCE_EXHAUSTED" } })).toMatchObject({ type: "requests", message: "slow down" });
  });

  it("ends a stream with an event the openai SDK raises", () => {
    const text = 'data: {"id":"chatcmpl-1","choices":[]}\n\n' + openAiStreamError(openAiErrorOf(503, "Overloaded"));
    expect(sdkRead(text)).toEqual({ chunks: [{ id: "chatcmpl-1", choices: [] }], raised: "Overloaded" });
  });
});
