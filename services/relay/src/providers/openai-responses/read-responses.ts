/**
 * Reads a Responses request off the wire: the client key (a Bearer token, as
 * the OpenAI SDKs and Codex send it; `x-api-key` too), the body as raw bytes
 * within the size limit, and what Acquire needs — the model, the stream flag
 * and the session hint. The body is parsed once to pick those top-level
 * fields and is forwarded as the bytes that arrived.
 *
 * The session hint, first found wins:
 * - `previous_response_id`: the answer it continues lives on the account that
 *   gave it, so the hint is that id's continuation hash (the one Release bound
 *   to that account, see continuationHash);
 * - the session header Codex sends with every turn (`session-id` today,
 *   `session_id` in older versions) or a `conversation_id` header;
 * - the body's `prompt_cache_key`;
 * - else none.
 *
 * The Codex backend answers only streamed, unstored requests (`stream: true`,
 * `store: false`); any other request is limited to OpenAI API-key accounts, so
 * it never lands on an account that must refuse it.
 */
import type { IncomingMessage } from "node:http";
import { Platform, UpstreamAccountType } from "@claude-relay/proto/lease";
import { clientKeyHash, continuationHash, discardBody, readBody, sha256Hex } from "../../http/read-body.js";
import { chatClientKeyOf } from "../openai/read-chat.js";
import type { ReadRequestOptions, ReadRequestResult } from "../provider.js";
import type { ResponsesPrepared } from "./responses-plan.js";

const API_KEY_ACCOUNTS: readonly UpstreamAccountType[] = [UpstreamAccountType.OPENAI_API];

/** Reads and checks one Responses request. */
export async function readResponsesRequest(req: IncomingMessage, options: ReadRequestOptions): Promise<ReadRequestResult> {
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
  const fields = parsed as Record<string, unknown>;
  if (typeof fields.model !== "string" || fields.model === "") return invalid("Missing required parameter: 'model'.", "model");
  const stream = fields.stream === true;
  const codexServable = stream && fields.store === false;
  return {
    ok: true,
    request: {
      body,
      model: fields.model,
      stream,
      sessionHash: responsesSessionHash(fields, req.headers),
      keyHash: clientKeyHash(req, key),
      url: req.url ?? "/",
      platform: Platform.OPENAI,
      ...(!codexServable && { accountTypes: API_KEY_ACCOUNTS }),
      prepared: { hasInstructions: typeof fields.instructions === "string" && fields.instructions !== "" } satisfies ResponsesPrepared,
    },
  };
}

/** The session hash of a Responses request; see the module comment. */
export function responsesSessionHash(fields: Record<string, unknown>, headers: IncomingMessage["headers"]): string {
  const previous = fields.previous_response_id;
  if (typeof previous === "string" && previous !== "") return continuationHash(previous);
  for (const name of ["session-id", "session_id", "conversation_id", "conversation-id"]) {
    const value = headers[name];
    if (typeof value === "string" && value.trim() !== "") return sha256Hex(value.trim());
  }
  const cacheKey = fields.prompt_cache_key;
  if (typeof cacheKey === "string" && cacheKey !== "") return sha256Hex(cacheKey);
  return "";
}

function invalid(message: string, param: string | null): ReadRequestResult {
  return { ok: false, failure: { kind: "invalid-request", message, param } };
}
