/**
 * The OpenAI Responses front door (`openai-responses`): `POST
 * /openai/v1/responses`, also at `/openai/responses`, `/v1/responses`, and at
 * `/backend-api/codex/responses`, the path Codex calls when its base URL is
 * the relay. Served by OpenAI accounts — API keys and ChatGPT sign-ins on the
 * Codex backend — with the bytes passing unchanged both ways. Errors are in
 * OpenAI's shape (the same map as the chat-completions front door); a stream
 * cut mid-way ends with Responses' own failure events; keep-alives are SSE
 * comment lines, which every SSE reader skips.
 */
import { Platform } from "@claude-relay/proto/lease";
import { openAiErrorOf } from "../../translate/openai-chat/openai-errors.js";
import { toOpenAiError } from "../openai/openai-failures.js";
import { chatClientKeyOf } from "../openai/read-chat.js";
import type { ProviderRoute, RelayProvider } from "../provider.js";
import { readResponsesRequest } from "./read-responses.js";
import { planResponses } from "./responses-plan.js";
import { responsesStreamError } from "./responses-stream-error.js";

const RESPONSES_PATHS: ReadonlySet<string> = new Set(["/openai/v1/responses", "/openai/responses", "/v1/responses", "/backend-api/codex/responses"]);

const INTERRUPTED = responsesStreamError(openAiErrorOf(502, "The upstream stream was interrupted.", null, "server_error"));
const SHUTTING_DOWN = responsesStreamError(openAiErrorOf(503, "The relay is restarting. Please try again."));
const PING = Buffer.from(": ping\n\n", "utf8");

const RESPONSES: ProviderRoute = { label: "openai_responses", read: readResponsesRequest, plan: planResponses };

/** Creates the Responses front door. */
export function createOpenAiResponsesProvider(): RelayProvider {
  return {
    name: "openai-responses",
    platform: Platform.OPENAI,
    match: (method, path) => (method === "POST" && RESPONSES_PATHS.has(path) ? RESPONSES : undefined),
    // Paths under /openai are the chat-completions front door's, in the same shape.
    owns: (path) => path.startsWith("/backend-api/"),
    clientKey: chatClientKeyOf,
    errorResponse: toOpenAiError,
    streamError: (kind) => (kind === "interrupted" ? INTERRUPTED : SHUTTING_DOWN),
    pingEvent: PING,
  };
}
