/**
 * How a translated chat-completions request goes to a leased account: to a
 * Claude account's Messages API, to a Gemini account's generateContent, or,
 * for a Google sign-in account, inside the Code Assist envelope. The answer
 * comes back through the target's chat translator, which also reads the Code
 * Assist envelope. Only the headers the upstream needs are sent: the client
 * spoke OpenAI's API, so none of its headers mean anything upstream. To an
 * OpenAI API key the request goes as it came, with the client's headers.
 */
import type { IncomingMessage } from "node:http";
import { type UpstreamAccount, UpstreamAccountType } from "@claude-relay/proto/lease";
import { createAnthropicChatTranslator } from "../../translate/openai-chat-to-anthropic/anthropic-answer.js";
import { createGeminiChatTranslator } from "../../translate/openai-chat-to-gemini/gemini-answer.js";
import { toCodeAssistRequest } from "../../translate/gemini-to-code-assist/gemini-to-code-assist.js";
import { buildUpstreamRequest } from "../../upstream/forward.js";
import { CLAUDE_PROTOCOL } from "../claude/claude-protocol.js";
import { signClaudeRequest } from "../claude/claude-credentials.js";
import { GEMINI_PROTOCOL } from "../gemini/gemini-protocol.js";
import { signGeminiRequest } from "../gemini/gemini-plan.js";
import type { ApiRequest, PlanResult } from "../provider.js";
import { createHiddenUsageFilter } from "./chat-usage-option.js";
import { openAiUpstreamPath, signOpenAiRequest } from "./openai-credentials.js";
import { OPENAI_PROTOCOL } from "./openai-protocol.js";
import type { TranslatedChat } from "./read-chat.js";

/** The Messages API version the translated requests are written for. */
const ANTHROPIC_VERSION = "2023-06-01";

/** The plan for a chat request on `account`. */
export function planChat(account: UpstreamAccount, request: ApiRequest, req: IncomingMessage): PlanResult {
  const chat = request.prepared as TranslatedChat | undefined;
  if (chat === undefined) return { ok: false, detail: "chat request was not translated" };
  if (chat.target === "openai") return planOpenAiChat(account, chat, req);
  const headers = baseHeaders(req);
  if (chat.target === "anthropic") {
    if (account.type !== UpstreamAccountType.CLAUDE_CONSOLE && account.type !== UpstreamAccountType.CLAUDE_OAUTH) return { ok: false, detail: "account is not a Claude account" };
    const built = buildUpstreamRequest(account, chat.path, { ...headers, "anthropic-version": ANTHROPIC_VERSION }, chat.body.length, signClaudeRequest);
    if (!built.ok) return built;
    return { ok: true, plan: { method: "POST", request: built.request, body: chat.body, protocol: CLAUDE_PROTOCOL, translator: createAnthropicChatTranslator(chat.answer) } };
  }
  let path = chat.path;
  let body = chat.body;
  if (account.type === UpstreamAccountType.GEMINI_OAUTH) {
    const project = account.details.case === "codeAssist" ? account.details.value.projectId : "";
    if (project === "") return { ok: false, detail: "account has no Code Assist project" };
    ({ path, body } = toCodeAssistRequest(chat.call, chat.model, project, chat.body));
  } else if (account.type !== UpstreamAccountType.GEMINI_API) {
    return { ok: false, detail: "account is not a Gemini account" };
  }
  const built = buildUpstreamRequest(account, path, headers, body.length, signGeminiRequest);
  if (!built.ok) return built;
  return { ok: true, plan: { method: "POST", request: built.request, body, protocol: GEMINI_PROTOCOL, translator: createGeminiChatTranslator(chat.answer) } };
}

/**
 * A chat request on an OpenAI API key: `POST {base_url}/chat/completions`
 * with the client's headers (less its credentials), the body as read, the
 * answer's bytes as they come but for the usage the relay asked for itself.
 */
function planOpenAiChat(account: UpstreamAccount, chat: Extract<TranslatedChat, { target: "openai" }>, req: IncomingMessage): PlanResult {
  if (account.type !== UpstreamAccountType.OPENAI_API) return { ok: false, detail: "account is not an OpenAI API-key account" };
  const built = buildUpstreamRequest(account, openAiUpstreamPath(account, "/chat/completions"), req.headers, chat.body.length, signOpenAiRequest);
  if (!built.ok) return built;
  // The filter reads event boundaries, so the answer must come uncompressed.
  if (chat.hiddenUsage) built.request.headers["accept-encoding"] = "identity";
  return { ok: true, plan: { method: "POST", request: built.request, body: chat.body, protocol: OPENAI_PROTOCOL, ...(chat.hiddenUsage && { translator: createHiddenUsageFilter() }) } };
}

/** JSON in, an answer the translator can read (uncompressed) out, and the client's user agent. */
function baseHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = { "content-type": "application/json", "accept-encoding": "identity" };
  const agent = req.headers["user-agent"];
  if (typeof agent === "string") headers["user-agent"] = agent;
  return headers;
}
