/**
 * Reads a Gemini or Code Assist request off the wire: the client key (from
 * `x-goog-api-key`, `?key=` or a Bearer token — the Gemini CLI's Google-login
 * mode sends our key as its access token), the body as raw bytes within the
 * size limit, and what Acquire needs: the model (from the path on the Gemini
 * API, from the body on Code Assist), the stream flag (from the method), and
 * the session hint. The body is parsed once for those; it is forwarded as the
 * bytes that arrived, unless the account speaks the other protocol. The
 * matched path rides along (`prepared`), so the plan need not match it again.
 *
 * The session hint is the session id the client sends where it sends one (the
 * Code Assist `request.session_id`, else the part of `user_prompt_id` before
 * its `########`), else a hash of the conversation's first turn: the system
 * instruction and the first user content, which stay the same for every turn.
 */
import type { IncomingMessage } from "node:http";
import { clientKeyHash, discardBody, readBody, sha256Hex } from "../../http/read-body.js";
import type { ReadRequestOptions, ReadRequestResult } from "../provider.js";
import type { GeminiPath } from "./gemini-routes.js";

const NO_BODY = Buffer.alloc(0);

/** Reads and checks a request to a matched Gemini path; see the module comment. */
export async function readGeminiRequest(req: IncomingMessage, path: GeminiPath, options: ReadRequestOptions): Promise<ReadRequestResult> {
  const url = req.url ?? "/";
  const key = geminiClientKeyOf(req, url);
  const declared = Number(req.headers["content-length"]);
  const bodiless = path.api === "gemini" && path.endpoint === "models";
  if (key === undefined || bodiless || declared > options.maxBodyBytes) {
    if (!(await discardBody(req))) return { ok: false, failure: null };
    if (key === undefined) return { ok: false, failure: { kind: "missing-key" } };
    if (bodiless) return { ok: true, request: { body: NO_BODY, model: path.model, stream: false, sessionHash: "", keyHash: clientKeyHash(req, key), url } };
    return { ok: false, failure: { kind: "body-too-large", limitBytes: options.maxBodyBytes } };
  }
  const body = await readBody(req, options.maxBodyBytes);
  if (body === "gone") return { ok: false, failure: null };
  if (body === "too-large") return { ok: false, failure: { kind: "body-too-large", limitBytes: options.maxBodyBytes } };

  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return invalid("Invalid JSON payload received.");
  }
  if (!isObject(parsed)) return invalid("Invalid JSON payload received. The request body must be a JSON object.");
  const keyHash = clientKeyHash(req, key);
  const stream = path.endpoint === "stream";
  if (path.api === "gemini") {
    const sessionHash = path.endpoint === "count_tokens" ? "" : openingHash(parsed);
    return { ok: true, request: { body, model: path.model, stream, sessionHash, keyHash, url, prepared: path } };
  }
  const request = parsed.request;
  if (!isObject(request)) return invalid("request: Field required");
  const model = bareModel(path.endpoint === "count_tokens" ? request.model : parsed.model);
  if (model === "") return invalid(path.endpoint === "count_tokens" ? "request.model: Field required" : "model: Field required");
  const sessionHash = path.endpoint === "count_tokens" ? "" : codeAssistSessionHash(parsed, request);
  return { ok: true, request: { body, model, stream, sessionHash, keyHash, url, prepared: path } };
}

/** The client's key from `x-goog-api-key`, `?key=` or `Authorization: Bearer`; undefined when it sent none. */
export function geminiClientKeyOf(req: Pick<IncomingMessage, "headers">, url: string): string | undefined {
  const header = req.headers["x-goog-api-key"];
  if (typeof header === "string" && header.trim() !== "") return header.trim();
  const query = url.indexOf("?");
  if (query >= 0) {
    const fromQuery = new URLSearchParams(url.slice(query + 1)).get("key");
    if (fromQuery) return fromQuery;
  }
  const authorization = req.headers.authorization;
  if (typeof authorization === "string") {
    const match = /^bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match?.[1]) return match[1];
  }
  return undefined;
}

/** The session hint of a Code Assist request; see the module comment. */
function codeAssistSessionHash(envelope: Record<string, unknown>, request: Record<string, unknown>): string {
  const sessionId = request.session_id;
  if (typeof sessionId === "string" && sessionId !== "") return sha256Hex(sessionId);
  const promptId = envelope.user_prompt_id;
  if (typeof promptId === "string") {
    const cut = promptId.indexOf("########");
    if (cut > 0) return sha256Hex(promptId.slice(0, cut));
  }
  return openingHash(request);
}

/** A hash of the system instruction and the first user content; "" when both are empty. */
function openingHash(request: Record<string, unknown>): string {
  const system = textOf(field(request.systemInstruction ?? request.system_instruction, "parts"));
  const contents = Array.isArray(request.contents) ? request.contents : [];
  const firstUser = contents.find((c) => field(c, "role") === "user" || field(c, "role") === undefined);
  const opening = textOf(field(firstUser, "parts"));
  if (system === "" && opening === "") return "";
  return sha256Hex(`${system}\u0000${opening}`);
}

/** The text of the `text` parts of a parts array. */
function textOf(parts: unknown): string {
  if (!Array.isArray(parts)) return "";
  let text = "";
  for (const part of parts) {
    const value = field(part, "text");
    if (typeof value === "string") text += text === "" ? value : `\n${value}`;
  }
  return text;
}

function bareModel(model: unknown): string {
  if (typeof model !== "string") return "";
  return model.startsWith("models/") ? model.slice(7) : model;
}

function field(value: unknown, name: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function invalid(message: string): ReadRequestResult {
  return { ok: false, failure: { kind: "invalid-request", message } };
}
