/**
 * TestAccount's request for OpenAI accounts, and how OpenAI's answers read.
 * An API key gets the smallest non-streamed Responses call at its base URL
 * (the OpenAI API, or any Responses-compatible one: Azure OpenAI's resource
 * hosts take the key in `api-key`, every other host as a bearer token). A
 * ChatGPT sign-in gets the call the Codex backend accepts: streamed,
 * `store: false`, with instructions and the `chatgpt-account-id` header; its
 * answer is read to the end, since the backend reports some failures as
 * events after a 200.
 */
import type { TestRequest, TestRequestInput } from "../account-provider.js";
import { upstreamUrl } from "../account-provider.js";

const MAX_MESSAGE_CHARS = 500;
/** The smallest max_output_tokens the Responses API takes. */
const MIN_OUTPUT_TOKENS = 16;
/** Hosts of Azure OpenAI resources, which take an API key in the `api-key` header. */
const AZURE_KEY_HOSTS = [".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com"];

/** The header an OpenAI API key goes in for a base URL: `api-key` on Azure OpenAI hosts, a bearer token elsewhere. */
export function openAIKeyHeader(baseUrl: string, apiKey: string): Record<string, string> {
  const host = new URL(baseUrl).hostname.toLowerCase();
  return AZURE_KEY_HOSTS.some((suffix) => host.endsWith(suffix)) ? { "api-key": apiKey } : { authorization: `Bearer ${apiKey}` };
}

/** The test call of an openai-api or openai-oauth account. */
export function openAITestRequest({ baseUrl, credential, model, chatgptAccountId = "" }: TestRequestInput): TestRequest {
  const url = upstreamUrl(baseUrl, "responses");
  if (credential.kind === "api-key") {
    return {
      url,
      headers: { "content-type": "application/json", ...openAIKeyHeader(baseUrl, credential.apiKey) },
      body: JSON.stringify({ model, input: "ping", max_output_tokens: MIN_OUTPUT_TOKENS, store: false }),
    };
  }
  // The Codex backend wants what Codex CLI sends: instructions, a streamed answer, nothing stored.
  return {
    url,
    headers: {
      "content-type": "application/json",
      accept: "text/event-stream",
      authorization: `Bearer ${credential.accessToken}`,
      ...(chatgptAccountId !== "" && { "chatgpt-account-id": chatgptAccountId }),
    },
    body: JSON.stringify({
      model,
      instructions: "Answer in one word.",
      input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "ping" }] }],
      store: false,
      stream: true,
    }),
    failureIn: readResponsesStreamFailure,
  };
}

/**
 * The error in an OpenAI error body: `{"error":{"message","type","code"}}` (its code when it has one,
 * else its type), or the Codex backend's `{"detail": "…"}` / `{"detail":{"code","message"}}`; empty
 * strings when it is not one.
 */
export function readOpenAIErrorBody(text: string): { type: string; message: string } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { type: "", message: "" };
  }
  if (!isObject(body)) return { type: "", message: "" };
  if (isObject(body.error)) return describe(body.error);
  if (typeof body.detail === "string") return { type: "", message: clip(body.detail) };
  if (isObject(body.detail)) return describe(body.detail);
  return { type: "", message: "" };
}

/**
 * The failure in a streamed Responses answer: a `response.failed` or `error` event, a
 * `response.incomplete`, or a stream that ended without `response.completed`; undefined when it completed.
 */
export function readResponsesStreamFailure(text: string): { type: string; message: string } | undefined {
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith("data:")) continue;
    let event: unknown;
    try {
      event = JSON.parse(line.slice(5).trim());
    } catch {
      continue;
    }
    if (!isObject(event)) continue;
    if (event.type === "response.completed") return undefined;
    if (event.type === "error") return withFallback(describe(event), "stream_error");
    const response = isObject(event.response) ? event.response : {};
    if (event.type === "response.failed") return withFallback(describe(isObject(response.error) ? response.error : {}), "response_failed");
    if (event.type === "response.incomplete") {
      const reason = isObject(response.incomplete_details) && typeof response.incomplete_details.reason === "string" ? response.incomplete_details.reason : "";
      return { type: "response_incomplete", message: reason === "" ? "the response ended incomplete" : `the response ended incomplete: ${clip(reason)}` };
    }
  }
  return { type: "incomplete_stream", message: "the stream ended before response.completed" };
}

function describe(error: Record<string, unknown>): { type: string; message: string } {
  const code = typeof error.code === "string" ? error.code : "";
  const type = typeof error.type === "string" ? error.type : "";
  return { type: code || type, message: typeof error.message === "string" ? clip(error.message) : "" };
}

function withFallback(found: { type: string; message: string }, type: string): { type: string; message: string } {
  return { type: found.type || type, message: found.message || "the upstream reported an error in the stream" };
}

function clip(text: string): string {
  return text.slice(0, MAX_MESSAGE_CHARS);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
