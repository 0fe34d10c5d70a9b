/**
 * The Code Assist envelope (`https://cloudcode-pa.googleapis.com/v1internal:<method>`), which
 * the Gemini CLI speaks in its Google-login mode, put on and taken off Gemini API bodies.
 *
 * Field names follow the CLI's own converter (google-gemini/gemini-cli,
 * packages/core/src/code_assist/converter.ts and server.ts):
 *
 * - request: `{"model","project","user_prompt_id","request":{…GenerateContentRequest,"session_id"}}`,
 *   with `model` bare ("gemini-2.5-pro", no "models/") and the session id inside `request`;
 * - response, whole or per SSE event: `{"response":{…GenerateContentResponse},"traceId",…}`.
 *   The CLI reads `traceId` only for telemetry and does without it, so a wrapped answer has none.
 *
 * The client's bytes are never parsed and re-serialized on the way through: members are
 * spliced in or cut out of the text (json-members.ts), so the inner request or response
 * stays byte for byte what its sender wrote, apart from the members named here.
 * countTokens has its own, smaller envelope (code-assist-count-tokens.ts).
 */
import { lastMember, scanJsonObject, withoutMembers } from "./json-members.js";

/** What a plain Gemini API request needs to travel to Code Assist. */
export interface CodeAssistRequestInput {
  /** The model, bare or as "models/…" (the prefix is dropped, as the CLI sends it bare). */
  model: string;
  /** The account's Code Assist project (`cloudaicompanionProject` from loadCodeAssist). */
  project: string;
  /** The client's GenerateContentRequest body. */
  body: Buffer;
  /** The CLI sends `<sessionId>########<turn>`. Left out when not given. */
  userPromptId?: string;
  /** Goes inside `request` as `session_id`, unless the body already has one. */
  sessionId?: string;
}

/** A v1internal generateContent request, read for a plain Gemini API account. */
export type CodeAssistRequestRead =
  | { ok: true; model: string; project: string; request: Buffer; userPromptId?: string; sessionId?: string }
  | { ok: false; message: string };

/**
 * The v1internal generateContent / streamGenerateContent body for a Gemini API body. `request`
 * is the client's body byte for byte, plus `"session_id"` spliced in before its closing brace
 * when `sessionId` is given. A body that is not a JSON object is put in unchanged (no session
 * id), so the upstream answers it with its own 400.
 */
export function wrapCodeAssistRequest(input: CodeAssistRequestInput): Buffer {
  let head = `{"model":${JSON.stringify(bareModel(input.model))},"project":${JSON.stringify(input.project)}`;
  if (input.userPromptId !== undefined) head += `,"user_prompt_id":${JSON.stringify(input.userPromptId)}`;
  head += ',"request":';
  let request = input.body;
  if (input.sessionId !== undefined) {
    const scan = scanJsonObject(request.toString("latin1"));
    if (scan !== undefined && lastMember(scan, "session_id") === undefined) {
      const last = scan.members[scan.members.length - 1];
      const at = last === undefined ? scan.start + 1 : last.valueEnd;
      const member = `${last === undefined ? "" : ","}"session_id":${JSON.stringify(input.sessionId)}`;
      request = Buffer.concat([request.subarray(0, at), Buffer.from(member), request.subarray(at)]);
    }
  }
  return Buffer.concat([Buffer.from(head), request, Buffer.from("}")]);
}

/**
 * Reads a v1internal generateContent body from a client, for an account that speaks the plain
 * Gemini API. `request` is the inner object's bytes minus `session_id`, which the Gemini API
 * would refuse as an unknown field; `model` is as the client sent it (bare, from the CLI).
 */
export function readCodeAssistRequest(body: Buffer): CodeAssistRequestRead {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return { ok: false, message: "The request body is not valid JSON." };
  }
  if (!isObject(parsed)) return { ok: false, message: "The request body must be a JSON object." };
  const { model, project, request } = parsed;
  const userPromptId = parsed["user_prompt_id"];
  if (typeof model !== "string" || model === "") return { ok: false, message: "model must be a non-empty string." };
  if (project !== undefined && typeof project !== "string") return { ok: false, message: "project must be a string." };
  if (userPromptId !== undefined && typeof userPromptId !== "string") return { ok: false, message: "user_prompt_id must be a string." };
  if (!isObject(request)) return { ok: false, message: "request must be a JSON object." };
  const sessionId = request["session_id"];
  if (sessionId !== undefined && typeof sessionId !== "string") return { ok: false, message: "request.session_id must be a string." };

  const scan = scanJsonObject(body.toString("latin1"));
  const member = scan === undefined ? undefined : lastMember(scan, "request");
  let inner: Buffer;
  if (member === undefined) {
    // Not reached for JSON that parsed above; kept so that a scanner gap cannot lose the request.
    const rest = { ...request };
    delete rest["session_id"];
    inner = Buffer.from(JSON.stringify(rest));
  } else {
    inner = withoutMembers(body.subarray(member.valueStart, member.valueEnd), "session_id");
  }
  const out: CodeAssistRequestRead = { ok: true, model, project: project ?? "", request: inner };
  if (userPromptId !== undefined) out.userPromptId = userPromptId;
  if (sessionId !== undefined) out.sessionId = sessionId;
  return out;
}

/**
 * A v1internal request with every top-level `project` set to `project` (added when absent),
 * for a Code Assist client served by an account of another project. Everything else keeps its
 * bytes. Undefined when the body is not a JSON object.
 */
export function replaceCodeAssistProject(body: Buffer, project: string): Buffer | undefined {
  const scan = scanJsonObject(body.toString("latin1"));
  if (scan === undefined) return undefined;
  const value = Buffer.from(JSON.stringify(project));
  const found = scan.members.filter((m) => m.key === "project");
  if (found.length === 0) {
    const member = Buffer.from(`"project":${value.toString()}${scan.members.length > 0 ? "," : ""}`);
    return Buffer.concat([body.subarray(0, scan.start + 1), member, body.subarray(scan.start + 1)]);
  }
  const pieces: Buffer[] = [];
  let from = 0;
  for (const m of found) {
    pieces.push(body.subarray(from, m.valueStart), value);
    from = m.valueEnd;
  }
  pieces.push(body.subarray(from));
  return Buffer.concat(pieces);
}

/**
 * The text of the inner `response` object of a Code Assist answer (one SSE event's data or a
 * whole JSON body), cut out of the envelope as it is. Text without a `response` object, such as
 * an `{"error":…}`, comes back unchanged.
 */
export function unwrapCodeAssistResponse(json: string): string {
  const scan = scanJsonObject(json);
  if (scan !== undefined) {
    const member = lastMember(scan, "response");
    return member !== undefined && json.charCodeAt(member.valueStart) === 0x7b /* { */ ? json.slice(member.valueStart, member.valueEnd) : json;
  }
  // Not reached for a JSON object; a parse is the fallback should the scan ever miss one.
  try {
    const parsed: unknown = JSON.parse(json);
    if (isObject(parsed) && isObject(parsed["response"])) return JSON.stringify(parsed["response"]);
  } catch {
    // Not JSON: passed on as it is.
  }
  return json;
}

/**
 * `{"response":<json>}`: a Gemini API answer (a whole body or one SSE event's data) in the
 * envelope a Code Assist client reads. An error object stays bare, since the CLI looks for
 * `error` at the top level of a failed answer (packages/core/src/utils/googleErrors.ts).
 */
export function wrapCodeAssistResponse(json: string): string {
  if (json.includes('"error"')) {
    const scan = scanJsonObject(json);
    if (scan !== undefined && lastMember(scan, "error") !== undefined) return json;
  }
  return `{"response":${json}}`;
}

/** The model name without a leading "models/". */
export function bareModel(model: string): string {
  return model.startsWith("models/") ? model.slice("models/".length) : model;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
