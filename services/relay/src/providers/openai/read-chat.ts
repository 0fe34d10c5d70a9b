/**
 * Reads a chat-completions request off the wire and translates it once, at
 * read time, so anything the target cannot honour is answered 400 before a
 * slot is taken: the client key (a Bearer token, as OpenAI clients send it;
 * `x-api-key` too), the body within the size limit, the model and where it
 * goes (model-directory.ts), the request checked for that target and mapped
 * to its upstream body (translate/openai-chat-to-*). The route's plan only
 * picks up the result for the account it is given. The session hint is the
 * client's `prompt_cache_key` or `user`, else the conversation's opening.
 */
import type { IncomingMessage } from "node:http";
import { Platform, UpstreamAccountType } from "@claude-relay/proto/lease";
import { clientKeyHash, discardBody, readBody, sha256Hex } from "../../http/read-body.js";
import { sessionIdentityOf } from "../../translate/openai-chat/content-parts.js";
import { validateChatRequest } from "../../translate/openai-chat/validate-chat-request.js";
import { type AnthropicAnswerOptions, toAnthropicRequest } from "../../translate/openai-chat-to-anthropic/to-anthropic-request.js";
import { type GeminiAnswerOptions, toGeminiRequest } from "../../translate/openai-chat-to-gemini/to-gemini-request.js";
import type { ReadRequestOptions, ReadRequestResult } from "../provider.js";
import { withIncludeUsage } from "./chat-usage-option.js";
import type { ModelDirectory } from "./model-directory.js";

/** The request as translated for its target, kept on the ApiRequest for the plan. */
export type TranslatedChat =
  | { target: "anthropic"; path: string; body: Buffer; answer: AnthropicAnswerOptions }
  | { target: "gemini"; call: "generate" | "stream"; model: string; path: string; body: Buffer; answer: GeminiAnswerOptions }
  /** Passed to an OpenAI API key as it came, but for the usage the relay asked for on the client's behalf (`hiddenUsage`). */
  | { target: "openai"; body: Buffer; hiddenUsage: boolean };

/** Chat completions reach an OpenAI API key, never the Codex backend, which serves only Responses. */
const OPENAI_CHAT_ACCOUNTS: readonly UpstreamAccountType[] = [UpstreamAccountType.OPENAI_API];

/** Reads, checks and translates one chat-completions request. */
export async function readChatRequest(req: IncomingMessage, options: ReadRequestOptions, directory: ModelDirectory): Promise<ReadRequestResult> {
  const key = chatClientKeyOf(req);
  const declared = Number(req.headers["content-length"]);
  if (key === undefined || declared > options.maxBodyBytes) {
    if (!(await discardBody(req))) return { ok: false, failure: null };
    if (key === undefined) return { ok: false, failure: { kind: "missing-key" } };
    return { ok: false, failure: { kind: "body-too-large", limitBytes: options.maxBodyBytes } };
  }
  const body = await readBody(req, options.maxBodyBytes);
  if (body === "gone") return { ok: false, failure: null };
  if (body === "too-large") return { ok: false, failure: { kind: "body-too-large", limitBytes: options.maxBodyBytes } };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return invalid("We could not parse the JSON body of your request.", null);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return invalid("The request body must be a JSON object.", null);
  const model = (parsed as { model?: unknown }).model;
  if (typeof model !== "string" || model === "") return invalid("you must provide a model parameter", "model");

  const keyHash = clientKeyHash(req, key);
  const route = await directory.resolve(keyHash, model);
  if (!route.ok) return { ok: false, failure: route.failure };
  if (route.platform === Platform.OPENAI) return readForOpenAi(req, body, parsed as Record<string, unknown>, keyHash, model, route.upstreamModel);
  const target = route.platform === Platform.GEMINI ? "gemini" : "anthropic";
  const checked = validateChatRequest(parsed, target);
  if (!checked.ok) return invalid(checked.message, checked.param);
  const request = { ...checked.request, model: route.upstreamModel };
  let translated: TranslatedChat;
  if (target === "anthropic") {
    const mapped = toAnthropicRequest(request);
    if (!mapped.ok) return invalid(mapped.message, mapped.param);
    translated = { target, path: mapped.path, body: mapped.body, answer: { ...mapped.answer, model } };
  } else {
    const mapped = toGeminiRequest(request);
    if (!mapped.ok) return invalid(mapped.message, mapped.param);
    translated = { target, call: mapped.call, model: mapped.model, path: mapped.path, body: mapped.body, answer: { ...mapped.answer, model } };
  }
  return {
    ok: true,
    request: {
      body,
      model: route.upstreamModel,
      stream: checked.request.stream,
      sessionHash: sha256Hex(sessionIdentityOf(checked.request)),
      keyHash,
      url: req.url ?? "/",
      platform: route.platform,
      prepared: translated,
    },
  };
}

/**
 * A request for an OpenAI account: checked and validated by OpenAI itself, so
 * it goes as it came; a stream whose client did not ask for usage asks for it
 * (chat-usage-option.ts). The session hint is `prompt_cache_key`, else `user`.
 * Only an admin's alias for another model makes the relay write the body
 * again, with the model the alias stands for.
 */
function readForOpenAi(req: IncomingMessage, received: Buffer, fields: Record<string, unknown>, keyHash: string, asked: string, model: string): ReadRequestResult {
  let body = received;
  if (model !== asked) {
    try {
      body = Buffer.from(JSON.stringify({ ...fields, model }), "utf8");
    } catch {
      return invalid("The request body is nested too deeply.", null);
    }
  }
  const stream = fields.stream === true;
  const withUsage = stream ? withIncludeUsage(body, fields) : undefined;
  const hint = typeof fields.prompt_cache_key === "string" && fields.prompt_cache_key !== "" ? fields.prompt_cache_key : typeof fields.user === "string" ? fields.user : "";
  return {
    ok: true,
    request: {
      body: received,
      model,
      stream,
      sessionHash: hint === "" ? "" : sha256Hex(hint),
      keyHash,
      url: req.url ?? "/",
      platform: Platform.OPENAI,
      accountTypes: OPENAI_CHAT_ACCOUNTS,
      prepared: { target: "openai", body: withUsage ?? body, hiddenUsage: withUsage !== undefined } satisfies TranslatedChat,
    },
  };
}

/** The client's key: a Bearer token, else `x-api-key`; undefined when it sent none. */
export function chatClientKeyOf(req: Pick<IncomingMessage, "headers">): string | undefined {
  const authorization = req.headers.authorization;
  if (typeof authorization === "string") {
    const match = /^bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match?.[1]) return match[1];
  }
  const apiKey = req.headers["x-api-key"];
  return typeof apiKey === "string" && apiKey.trim() !== "" ? apiKey.trim() : undefined;
}

function invalid(message: string, param: string | null): ReadRequestResult {
  return { ok: false, failure: { kind: "invalid-request", message, param } };
}
