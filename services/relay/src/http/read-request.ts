/**
 * Reads an API request off the wire: the client key (hashed, never kept), the
 * body as raw bytes within the size limit, and the few fields the control plane
 * needs — `model`, `stream` and the session identity. The body is parsed once, to
 * read those fields, and forwarded as the bytes that arrived; nothing walks it
 * further or serializes it again.
 *
 * Every refusal drains what is left of the body before it is answered, so the
 * client has finished writing and reads the answer instead of a reset.
 */
import { createHash } from "node:crypto";
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import type { RelayFailure } from "../errors.js";

/** The API routes the relay forwards (all under `/v1`, `/api/v1` or `/claude/v1`). */
export type ApiEndpoint = "messages" | "count_tokens" | "models";

/** An API request, ready for Acquire and the upstream call. */
export interface ApiRequest {
  /** The body exactly as received; empty for a GET. */
  body: Buffer;
  /** The model the body names; empty for `models`. */
  model: string;
  stream: boolean;
  /** SHA-256 hex of the session identity; empty when the request carries none (always, for count_tokens and models). */
  sessionHash: string;
  /** SHA-256 hex of the client's key. */
  keyHash: string;
}

/** What reading gave: the request, a failure to answer with, or nothing because the client went away. */
export type ReadRequestResult =
  | { ok: true; request: ApiRequest }
  | { ok: false; failure: RelayFailure }
  | { ok: false; failure: null };

/** Options of readApiRequest. */
export interface ReadRequestOptions {
  maxBodyBytes: number;
}

const NO_BODY = Buffer.alloc(0);

/**
 * Reads and checks a request to `endpoint`; see the module comment. `messages`
 * and `count_tokens` need a JSON object with `model` and `messages`; a
 * `models` listing has no body to read.
 */
export async function readApiRequest(req: IncomingMessage, endpoint: ApiEndpoint, options: ReadRequestOptions): Promise<ReadRequestResult> {
  const key = clientKeyOf(req.headers);
  const declared = Number(req.headers["content-length"]);
  if (key === undefined || endpoint === "models" || declared > options.maxBodyBytes) {
    if (!(await discardBody(req))) return { ok: false, failure: null };
    if (key === undefined) return { ok: false, failure: { kind: "missing-key" } };
    if (endpoint === "models") return { ok: true, request: { body: NO_BODY, model: "", stream: false, sessionHash: "", keyHash: sha256Hex(key) } };
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
      keyHash: sha256Hex(key),
    },
  };
}

/** Reads and drops whatever is left of a request body; false when the client went away first. */
export async function discardBody(req: IncomingMessage): Promise<boolean> {
  if (req.complete) return true;
  return (await readBody(req, -1)) !== "gone";
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

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * Reads the body up to `limit` bytes (-1: discard everything). Past the limit it
 * keeps reading and discarding to the end, so the answer can be read by the client.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | "too-large" | "gone"> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = limit < 0;
    const onData = (chunk: Buffer): void => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      if (over) resolve("too-large");
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onGone = (): void => {
      cleanup();
      resolve("gone");
    };
    const onClose = (): void => {
      if (!req.complete) onGone();
    };
    function cleanup(): void {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onGone);
      req.off("aborted", onGone);
      req.off("close", onClose);
    }
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onGone);
    req.on("aborted", onGone);
    req.on("close", onClose);
  });
}
