/**
 * A Code Assist client (the Gemini CLI signed in with Google) served by a
 * Gemini API key account: the `v1internal` envelope comes off the request
 * once, the model goes into the path, and each answer event goes into the
 * envelope the client reads (`{…}` → `{"response":{…}}`). A stream is always
 * asked for with `alt=sse` upstream and reaches the client in the form it
 * asked for. countTokens answers alike on both sides.
 */
import { readCodeAssistCountTokens, readCodeAssistRequest, wrapCodeAssistResponse } from "@claude-relay/gemini";
import type { ResponseTranslator } from "../../providers/provider.js";
import { jsonBodyTranslator, sseDataTranslator, sseToJsonArrayTranslator } from "../response-translators.js";

/** The Code Assist calls a Gemini API account can serve. */
export type CodeAssistCall = "generate" | "stream" | "count_tokens";

/** The Gemini API path (under the base URL) and body for a Code Assist request, or why it cannot be made. */
export function toGeminiRequest(call: CodeAssistCall, body: Buffer): { ok: true; path: string; body: Buffer } | { ok: false; message: string } {
  if (call === "count_tokens") {
    const read = readCodeAssistCountTokens(body);
    if (!read.ok) return read;
    return { ok: true, path: `/v1beta/models/${encodeURIComponent(read.model)}:countTokens`, body: read.request };
  }
  const read = readCodeAssistRequest(body);
  if (!read.ok) return read;
  // A stream is always asked for as events; the translator gives the client its own form.
  const method = call === "stream" ? "streamGenerateContent?alt=sse" : "generateContent";
  return { ok: true, path: `/v1beta/models/${encodeURIComponent(read.model)}:${method}`, body: read.request };
}

/** The translator of the Gemini API's answer into the Code Assist envelope; undefined when none is needed. */
export function toCodeAssistAnswer(call: CodeAssistCall, clientWantsSse: boolean): ResponseTranslator | undefined {
  switch (call) {
    case "generate":
      return jsonBodyTranslator(wrapCodeAssistResponse);
    case "stream":
      return clientWantsSse ? sseDataTranslator(wrapCodeAssistResponse) : sseToJsonArrayTranslator(wrapCodeAssistResponse);
    case "count_tokens":
      return undefined;
  }
}
