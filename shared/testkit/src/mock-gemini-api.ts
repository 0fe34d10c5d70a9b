/**
 * The Gemini API (`{base}/v1beta/models…`, generativelanguage.googleapis.com) as `@google/genai` and
 * the Gemini CLI in API-key mode call it: the key in `x-goog-api-key` or `?key=` (none: 403
 * PERMISSION_DENIED, an unknown one: 400 API_KEY_INVALID), models.list and models.get, and
 * generateContent, streamGenerateContent (SSE with alt=sse, a JSON array without) and countTokens,
 * each refused as the API refuses it: 400 INVALID_ARGUMENT for a body that is not a JSON object, an
 * unknown field or no contents, 404 NOT_FOUND for an unknown model. What an accepted call answers is
 * left to mock-gemini-reply.ts.
 */
import { apiKeyInvalidError, apiKeyMissingError, type GoogleErrorSpec, invalidJsonError, modelNotFoundError, unknownFieldError } from "./mock-gemini-errors.js";
import { errorsInArray, type GenerateCall, isFailure, type MockGeminiReply, playGenerate, playPlainFailure, sendGoogleError, sendJson } from "./mock-gemini-reply.js";
import { checkGenerateRequest, field, isObject, type JsonObject, parseJsonObject, REQUEST_FIELDS, unknownField } from "./mock-gemini-request.js";
import { modelResource } from "./mock-gemini-wire.js";
import type { MockResponder } from "./mock-responder.js";

/** The Gemini API methods the mock serves. */
export type GeminiApiMethod = "listModels" | "getModel" | "generateContent" | "streamGenerateContent" | "countTokens";

/** One Gemini API call as the mock read it. */
export interface GeminiApiCall {
  method: GeminiApiMethod;
  /** the model named in the path, without `models/` */
  model: string;
  query: URLSearchParams;
  apiKey: string | undefined;
  body: Buffer;
}

/** What the route module needs from the mock. */
export interface GeminiApiDeps {
  apiKeys: ReadonlySet<string>;
  models: readonly string[];
}

/** Reads a `/v1beta/models…` path (any prefix before the version is kept by clients and ignored here). */
export function geminiApiRoute(httpMethod: string, pathname: string): { method: GeminiApiMethod; model: string } | undefined {
  const match = /\/v1(?:beta|alpha)?\/models(?:\/([^/:]+))?(?::([A-Za-z]+))?$/.exec(pathname);
  if (!match) return undefined;
  const [, model = "", verb] = match;
  if (httpMethod === "GET" && verb === undefined) return model === "" ? { method: "listModels", model } : { method: "getModel", model: decodeURIComponent(model) };
  if (httpMethod === "POST" && model !== "" && (verb === "generateContent" || verb === "streamGenerateContent" || verb === "countTokens")) {
    return { method: verb, model: decodeURIComponent(model) };
  }
  return undefined;
}

/** Creates the handler of Gemini API calls. */
export function createGeminiApiRoutes(deps: GeminiApiDeps) {
  /** The countTokens request as the generate request it counts, or the error it is refused with. */
  function countedRequest(body: JsonObject): { request: JsonObject } | { refusal: GoogleErrorSpec } {
    const unknown = unknownField(body, REQUEST_FIELDS.countTokens);
    if (unknown !== undefined) return { refusal: unknownFieldError(unknown) };
    const wrapped = field(body, "generateContentRequest");
    if (wrapped !== undefined && body.contents !== undefined) {
      return { refusal: { code: 400, message: "contents and generate_content_request cannot be set at the same time." } };
    }
    const request = isObject(wrapped) ? wrapped : { contents: body.contents };
    const refusal = checkGenerateRequest(request, REQUEST_FIELDS.gemini);
    return refusal ? { refusal } : { request };
  }

  return {
    /** Answers one call; `nextReply` is only consulted once the key is accepted. */
    async handle(out: MockResponder, call: GeminiApiCall, nextReply: () => MockGeminiReply): Promise<void> {
      const sse = call.query.get("alt") === "sse";
      const inArray = errorsInArray({ api: "gemini", method: call.method as GenerateCall["method"], sse });
      if (call.apiKey === undefined || call.apiKey === "") return sendGoogleError(out, apiKeyMissingError(), inArray);
      if (!deps.apiKeys.has(call.apiKey)) return sendGoogleError(out, apiKeyInvalidError(), inArray);
      const reply = nextReply();
      if (call.method === "listModels" || call.method === "getModel") {
        if (isFailure(reply)) return playPlainFailure(out, "gemini", reply, call.model);
        if (reply.kind === "ok" && reply.delayMs) await out.sleep(reply.delayMs);
        if (call.method === "getModel") {
          const id = call.model.replace(/^models\//, "");
          if (!deps.models.includes(id)) return sendGoogleError(out, { code: 404, message: `models/${id} is not found for API version v1beta` });
          return sendJson(out, 200, JSON.stringify(modelResource(id), null, 2));
        }
        return sendJson(out, 200, JSON.stringify(modelsPage(deps.models, call.query), null, 2));
      }
      const generate: GenerateCall = { api: "gemini", method: call.method, sse, model: call.model, request: {} };
      if (isFailure(reply)) return playGenerate(out, generate, reply);
      const body = parseJsonObject(call.body);
      if (!body) return sendGoogleError(out, invalidJsonError(), inArray);
      if (!deps.models.includes(call.model)) return sendGoogleError(out, modelNotFoundError("gemini", call.model, call.method), inArray);
      const refusal = call.method === "countTokens" ? undefined : checkGenerateRequest(body, REQUEST_FIELDS.gemini);
      const counted = call.method === "countTokens" ? countedRequest(body) : refusal ? { refusal } : { request: body };
      if ("refusal" in counted) return sendGoogleError(out, counted.refusal, inArray);
      return playGenerate(out, { ...generate, request: counted.request }, reply);
    },
  };
}

/** One page of models.list: `pageSize` (default 50, at most 1000) and the opaque `pageToken` it returned. */
function modelsPage(models: readonly string[], query: URLSearchParams): JsonObject {
  const size = Math.min(1000, Math.max(1, Number(query.get("pageSize")) || 50));
  const start = Number(Buffer.from(query.get("pageToken") ?? "", "base64url").toString("utf8")) || 0;
  const page = models.slice(start, start + size).map(modelResource);
  const next = start + size < models.length ? Buffer.from(String(start + size)).toString("base64url") : undefined;
  return next ? { models: page, nextPageToken: next } : { models: page };
}
