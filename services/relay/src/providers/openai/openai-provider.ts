/**
 * The OpenAI-compatible front door (`openai-chat`): `POST /openai/v1/chat/completions`,
 * also at `/v1/chat/completions` and `/api/v1/chat/completions`, served by
 * Claude and Gemini accounts through translators (translate/openai-chat-to-*)
 * and OpenAI API-key accounts as they are (chat-plan.ts),
 * and `GET /openai/v1/models` (also `/v1/models` is the Messages API's, so
 * only under `/openai` and `/api/openai`), listing the models the key may use.
 * The model names the platform: `claude-*` and `gemini-*` by their prefix,
 * any other name through the admin's aliases, OpenAI's own names (`gpt-*`,
 * the o-series) to OpenAI unless an alias claims them (model-directory.ts).
 */
import { Platform } from "@claude-relay/proto/lease";
import { writeErrorResponse } from "../../errors.js";
import { clientKeyHash, discardBody } from "../../http/read-body.js";
import { openAiErrorOf, openAiStreamError } from "../../translate/openai-chat/openai-errors.js";
import type { ProviderRoute, RelayProvider } from "../provider.js";
import { planChat } from "./chat-plan.js";
import type { ModelDirectory } from "./model-directory.js";
import { toOpenAiError } from "./openai-failures.js";
import { chatClientKeyOf, readChatRequest } from "./read-chat.js";

const CHAT_PATHS: ReadonlySet<string> = new Set(["/openai/v1/chat/completions", "/v1/chat/completions", "/api/v1/chat/completions"]);
const MODEL_PATHS: ReadonlySet<string> = new Set(["/openai/v1/models", "/api/openai/v1/models"]);

const INTERRUPTED = openAiStreamError(openAiErrorOf(502, "The upstream stream was interrupted."));
const SHUTTING_DOWN = openAiStreamError(openAiErrorOf(503, "The relay is restarting. Please try again."));
// A comment line: every SSE parser skips it, the OpenAI SDKs included.
const PING = Buffer.from(": ping\n\n", "utf8");

/** The `owned_by` of a listed model. */
function ownerOf(platform: Platform): string {
  if (platform === Platform.GEMINI) return "google";
  if (platform === Platform.OPENAI) return "openai";
  return "anthropic";
}

/** Creates the front door over the relay's model directory. */
export function createOpenAiProvider(directory: ModelDirectory): RelayProvider {
  const chat: ProviderRoute = {
    label: "openai_chat_completions",
    read: (req, options) => readChatRequest(req, options, directory),
    plan: planChat,
  };
  const models: ProviderRoute = {
    label: "openai_models",
    read: () => Promise.reject(new Error("answered locally")),
    plan: () => ({ ok: false, detail: "answered locally" }),
    async answerLocally(req, res, requestId) {
      if (!(await discardBody(req))) return 499;
      const key = chatClientKeyOf(req);
      if (key === undefined) return writeErrorResponse(res, toOpenAiError({ kind: "missing-key" }, requestId));
      const listing = await directory.list(clientKeyHash(req, key));
      if (!listing.ok) return writeErrorResponse(res, toOpenAiError(listing.failure, requestId));
      const data = listing.models.map((m) => ({ id: m.id, object: "model", created: 0, owned_by: ownerOf(m.platform) }));
      const body = JSON.stringify({ object: "list", data });
      res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), "x-request-id": requestId });
      res.end(body);
      return 200;
    },
  };
  return {
    name: "openai-chat",
    // Every chat request names its own platform (from its model); this is only a default.
    platform: Platform.CLAUDE,
    match(method, path) {
      if (method === "POST" && CHAT_PATHS.has(path)) return chat;
      if (method === "GET" && MODEL_PATHS.has(path)) return models;
      return undefined;
    },
    owns: (path) => path.startsWith("/openai/") || path.startsWith("/api/openai/"),
    clientKey: chatClientKeyOf,
    errorResponse: toOpenAiError,
    streamError: (kind) => (kind === "interrupted" ? INTERRUPTED : SHUTTING_DOWN),
    pingEvent: PING,
  };
}
