/**
 * Reads a Messages API request off the wire: the client key (hashed, never kept), the
 * body as raw bytes within the size limit, and the few fields the control plane
 * needs — `model`, `stream` and the session identity. The body is parsed once, to
 * read those fields, and forwarded as the bytes that arrived; nothing walks it
 * further or serializes it again.
 *
 * Every refusal drains what is left of the body before it is answered, so the
 * client has finished writing and reads the answer instead of a reset.
 */
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { clientKeyHash, discardBody, readBody, sha256Hex } from "../../http/read-body.js";
import type { ReadRequestOptions, ReadRequestResult } from "../provider.js";

/** The Messages API routes the relay forwards (all under `/v1`, `/api/v1` or `/claude/v1`). */
export type ClaudeEndpoint = "messages" | "count_tokens" | "models";

const NO_BODY = Buffer.alloc(0);

/**
 * Reads and checks a request to `endpoint`; see the module comment. `messages`
 * and `count_tokens` need a JSON object with `model` and `messages`; a
 * `models` listing has no body to read.
 */
export async function readMessagesRequest(req: IncomingMessage, endpoint: ClaudeEndpoint, options: ReadRequestOptions): Promise<ReadRequestResult> {
  const key = clientKeyOf(req.headers);
  const declared = Number(req.headers["content-length"]);
  if (key === undefined || endpoint === "models" || declared > options.maxBodyBytes) {
    if (!(await discardBody(req))) return { ok: false, failure: null };
    if (key === undefined) return { ok: false, failure: { kind: "missing-key" } };
    if (endpoint === "models") return { ok: true, request: { body: NO_BODY, model: "", stream: false, sessionHash: "", keyHash: clientKeyHash(req, key), url: req.url ?? "/" } };
    return { ok: false, failure: { kind: "body-too-large", limitBytes: options.maxBodyBytes } };
  }
  const body = await readBody(req, options.maxBodyBytes);
  if (body === "gone") return { ok: false, failure: null };
  if (body === "too-large") return { ok: false, failure: { kind: "body-too-large", limitBytes: options.maxBodyBytes } };

  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return invalid("The request body is not valid JSON.");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return invalid("The request body must be a JSON object.");
  const fields = parsed as Record<string, unknown>;
  if (typeof fields.model !== "string" || fields.model === "") return invalid("model: Field required");
  if (!Array.isArray(fields.messages)) return invalid("messages: Field required");

  const messages = endpoint === "messages";
  return {
    ok: true,
    request: {
      body,
      model: fields.model,
      stream: messages && fields.stream === true,
      // Counting tokens needs no prompt cache, so it neither uses nor moves a sticky binding.
      sessionHash: messages ? sessionHashOf(fields, req.headers) : "",
      keyHash: clientKeyHash(req, key),
      url: req.url ?? "/",
    },
  };
}

/** The client's key from `x-api-key` or `Authorization: Bearer`; undefined when it sent none. */
export function clientKeyOf(headers: IncomingHttpHeaders): string | undefined {
  const apiKey = headers["x-api-key"];
  if (typeof apiKey === "string" && apiKey.trim() !== "") return apiKey.trim();
  const authorization = headers.authorization;
  if (typeof authorization === "string") {
    const match = /^bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match?.[1]) return match[1];
  }
  return undefined;
}

/**
 * The session identity, hashed: Claude Code's `metadata.user_id` (a JSON string
 * with a `session_id`, or the older `user_…_session_<uuid>`), else the
 * `x-claude-code-session-id` header, else the system prompt with the first user
 * message, which stays the same for every turn of one conversation.
 */
export function sessionHashOf(body: Record<string, unknown>, headers: IncomingHttpHeaders): string {
  const id = sessionIdFromUserId(field(body.metadata, "user_id")) ?? headerSessionId(headers);
  if (id !== undefined) return sha256Hex(id);
  const system = textOf(body.system);
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const firstUser = messages.find((m) => field(m, "role") === "user");
  const opening = textOf(field(firstUser, "content"));
  if (system === "" && opening === "") return "";
  return sha256Hex(`${system}\u0000${opening}`);
}

function sessionIdFromUserId(userId: unknown): string | undefined {
  if (typeof userId !== "string" || userId === "") return undefined;
  if (userId.startsWith("{")) {
    try {
      const sessionId = field(JSON.parse(userId), "session_id");
      if (typeof sessionId === "string" && sessionId !== "") return sessionId;
    } catch {
      // Not JSON after all; fall through to the older format.
    }
  }
  const marker = userId.lastIndexOf("_session_");
  if (marker >= 0 && marker + 9 < userId.length) return userId.slice(marker + 9);
  return undefined;
}

function headerSessionId(headers: IncomingHttpHeaders): string | undefined {
  const value = headers["x-claude-code-session-id"];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The text of a string or of the `text` blocks of a content array. */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  let text = "";
  for (const block of content) {
    const value = field(block, "text");
    if (typeof value === "string") text += text === "" ? value : `\n${value}`;
  }
  return text;
}

function field(value: unknown, name: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

function invalid(message: string): ReadRequestResult {
  return { ok: false, failure: { kind: "invalid-request", message } };
}
