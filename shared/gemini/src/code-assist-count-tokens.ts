/**
 * countTokens across the Code Assist boundary (`v1internal:countTokens`), whose envelope
 * differs from generateContent's.
 *
 * Per the Gemini CLI (packages/core/src/code_assist/converter.ts, `toCountTokenRequest` and
 * `fromCountTokenResponse`), the request is `{"request":{"model":"models/<model>","contents":[…]}}`
 * (no project, no prompt id, and the model keeps its "models/" prefix) and the answer is a bare
 * `{"totalTokens":N}`, with no `response` envelope. The Gemini API's countTokens answers
 * `{"totalTokens":N,…}` too (https://ai.google.dev/api/tokens), so answers cross in either
 * direction unchanged and only requests are converted here. Bytes are spliced, never re-serialized.
 */
import { bareModel } from "./code-assist.js";
import { lastMember, scanJsonObject, withoutMembers } from "./json-members.js";

/** A v1internal countTokens request, read for a plain Gemini API account. */
export type CodeAssistCountTokensRead = { ok: true; model: string; request: Buffer } | { ok: false; message: string };

/**
 * The v1internal countTokens body for a Gemini API countTokens body. A body of the form
 * `{"generateContentRequest":{…}}` is unwrapped to that inner request, the other form
 * `{"contents":[…]}` is used as it is; in both, `model` is set to "models/<model>" as the first
 * member. A body that is not a JSON object is put in unchanged.
 */
export function wrapCodeAssistCountTokens(input: { model: string; body: Buffer }): Buffer {
  let request = input.body;
  const scan = scanJsonObject(request.toString("latin1"));
  if (scan !== undefined) {
    const nested = lastMember(scan, "generateContentRequest");
    if (nested !== undefined && lastMember(scan, "contents") === undefined && request[nested.valueStart] === 0x7b /* { */) {
      request = request.subarray(nested.valueStart, nested.valueEnd);
    }
    request = withoutMembers(request, "model");
    const inner = scanJsonObject(request.toString("latin1"));
    if (inner !== undefined) {
      const at = inner.start + 1;
      const member = `"model":${JSON.stringify(`models/${bareModel(input.model)}`)}${inner.members.length > 0 ? "," : ""}`;
      request = Buffer.concat([request.subarray(0, at), Buffer.from(member), request.subarray(at)]);
    }
  }
  return Buffer.concat([Buffer.from('{"request":'), request, Buffer.from("}")]);
}

/**
 * Reads a v1internal countTokens body from a client, for an account that speaks the plain
 * Gemini API: `model` comes back bare (for the URL, `models/{model}:countTokens`) and `request`
 * is the inner object's bytes without `model`, which the Gemini API takes from the URL.
 */
export function readCodeAssistCountTokens(body: Buffer): CodeAssistCountTokensRead {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return { ok: false, message: "The request body is not valid JSON." };
  }
  const request = isObject(parsed) ? parsed["request"] : undefined;
  if (!isObject(request)) return { ok: false, message: "request must be a JSON object." };
  const model = request["model"];
  if (typeof model !== "string" || bareModel(model) === "") return { ok: false, message: "request.model must be a non-empty string." };

  const scan = scanJsonObject(body.toString("latin1"));
  const member = scan === undefined ? undefined : lastMember(scan, "request");
  let inner: Buffer;
  if (member === undefined) {
    // Not reached for JSON that parsed above; kept so that a scanner gap cannot lose the request.
    const rest = { ...request };
    delete rest["model"];
    inner = Buffer.from(JSON.stringify(rest));
  } else {
    inner = withoutMembers(body.subarray(member.valueStart, member.valueEnd), "model");
  }
  return { ok: true, model: bareModel(model), request: inner };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
