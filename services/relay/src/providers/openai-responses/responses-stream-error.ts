/**
 * What ends a Responses stream the relay has to cut (the upstream broke
 * mid-answer, or the relay is shutting down), in the events OpenAI itself
 * ends a failed stream with: an `error` event (`{"type":"error","code",
 * "message","param"}`), which the OpenAI SDKs surface, then `response.failed`
 * with the error on the response, which Codex reads (it treats a stream that
 * closes without `response.completed` or `response.failed` as broken, and
 * retries a failed one). No `[DONE]` or `response.completed` follows, so no
 * client takes the answer for complete.
 */
import type { OpenAiError } from "../../translate/openai-chat/openai-errors.js";

/** The closing events for `error`. */
export function responsesStreamError(error: OpenAiError): string {
  const code = error.code ?? error.type;
  const errorEvent = { type: "error", code, message: error.message, param: error.param };
  const failed = { type: "response.failed", response: { object: "response", status: "failed", error: { code, message: error.message } } };
  return `event: error\ndata: ${JSON.stringify(errorEvent)}\n\nevent: response.failed\ndata: ${JSON.stringify(failed)}\n\n`;
}
