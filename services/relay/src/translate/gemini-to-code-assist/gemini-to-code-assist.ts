/**
 * A Gemini API client served by a Code Assist account (Google sign-in): the
 * request goes into the `v1internal` envelope once, with the account's project,
 * and the answer comes out of it event by event (`{"response":{…}}` → `{…}`).
 * A stream is always asked for with `alt=sse` upstream; a client that asked
 * for the default JSON-array stream gets its events as that array, element by
 * element as they arrive. countTokens answers alike on both sides.
 */
import { unwrapCodeAssistResponse, wrapCodeAssistCountTokens, wrapCodeAssistRequest } from "@claude-relay/gemini";
import type { ResponseTranslator } from "../../providers/provider.js";
import { jsonBodyTranslator, sseDataTranslator, sseToJsonArrayTranslator } from "../response-translators.js";

/** The Gemini API calls a Code Assist account can serve. */
export type GeminiCall = "generate" | "stream" | "count_tokens";

/** The v1internal method, query and body for a Gemini API request. */
export function toCodeAssistRequest(call: GeminiCall, model: string, project: string, body: Buffer): { path: string; body: Buffer } {
  switch (call) {
    case "generate":
      return { path: "/v1internal:generateContent", body: wrapCodeAssistRequest({ model, project, body }) };
    case "stream":
      return { path: "/v1internal:streamGenerateContent?alt=sse", body: wrapCodeAssistRequest({ model, project, body }) };
    case "count_tokens":
      return { path: "/v1internal:countTokens", body: wrapCodeAssistCountTokens({ model, body }) };
  }
}

/** The translator of the Code Assist answer back to the Gemini API's shape; undefined when none is needed. */
export function fromCodeAssistAnswer(call: GeminiCall, clientWantsSse: boolean): ResponseTranslator | undefined {
  switch (call) {
    case "generate":
      return jsonBodyTranslator(unwrapCodeAssistResponse);
    case "stream":
      return clientWantsSse ? sseDataTranslator(unwrapCodeAssistResponse) : sseToJsonArrayTranslator(unwrapCodeAssistResponse);
    case "count_tokens":
      return undefined;
  }
}
