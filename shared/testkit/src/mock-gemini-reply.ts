/**
 * The scripts the mock Gemini upstream can play for one request, and how each is played on a
 * generation method (generateContent, streamGenerateContent, countTokens) of either API. Routing,
 * credentials, queueing and recording are left to mock-gemini.ts and the route modules; the bytes
 * come from mock-gemini-wire.ts and mock-gemini-errors.ts.
 */
import {
  errorDomain,
  errorInfo,
  type GoogleErrorSpec,
  googleErrorJson,
  type MockGoogleApi,
  type MockQuotaWindow,
  rateLimitError,
} from "./mock-gemini-errors.js";
import { answersFunctionCall, declaredFunction, forcedFunction, includesThoughts, isObject, type JsonObject, jsonSchemaOf, promptTokens } from "./mock-gemini-request.js";
import { sampleForSchema } from "./mock-gemini-schema.js";
import {
  DEFAULT_MOCK_GEMINI_TEXT,
  GOOGLE_JSON,
  jsonArrayPieces,
  type MockGeminiAnswer,
  type MockGeminiUsage,
  mockGeminiTokens,
  mockGoogleHeaders,
  mockResponseId,
  sseEvents,
  streamChunks,
  wholeResponse,
} from "./mock-gemini-wire.js";
import type { MockChunking, MockResponder } from "./mock-responder.js";

/** How an answer is paced and cut, for streaming methods. */
interface MockGeminiPacing {
  /** number of text chunks in a stream, default 3 */
  chunks?: number;
  /** how the stream's bytes are cut into writes; "byte" and "random" split UTF-8 characters */
  chunking?: MockChunking;
  /** pause between stream events */
  eventDelayMs?: number;
  /** wait this long before the response headers */
  delayMs?: number;
  headers?: Record<string, string>;
  /** a thought summary: thoughtsTokenCount counts it, and it is sent when the request includes thoughts */
  thoughts?: string;
  /** reported as modelVersion; defaults to the requested model */
  model?: string;
  /** overrides the computed counts */
  usage?: Partial<MockGeminiUsage>;
}

/** One function call of a scripted answer. */
export interface MockFunctionCall {
  name: string;
  args?: Record<string, unknown>;
}

/** A scripted answer to one request. */
export type MockGeminiReply =
  /**
   * A text answer; a request for JSON (`responseMimeType: application/json`) gets `json`, else a value
   * fitting its schema. Unless `text` or `json` is given, a request whose function calling mode is ANY
   * gets a call of its first allowed function instead, args fitting its parameters.
   */
  | ({ kind: "text"; text?: string; json?: unknown; finishReason?: string } & MockGeminiPacing)
  /**
   * A `functionCall` part for `name` (then one per `parallel` call, in the same answer), or `text` once
   * the last turn carries the `functionResponse` for `name`. Args default to a value fitting the
   * function's declared parameters.
   */
  | ({ kind: "function-call"; name: string; args?: Record<string, unknown>; parallel?: readonly MockFunctionCall[]; text?: string } & MockGeminiPacing)
  /**
   * A Google error with this HTTP status; its status name, message and details default from the status
   * and the API (429: QuotaFailure or ErrorInfo and RetryInfo for `quota`; 503: "The model is overloaded").
   * `reason` adds an ErrorInfo; on the token endpoint it is the OAuth `error` code instead.
   */
  | {
      kind: "error";
      status: number;
      rpcStatus?: string;
      message?: string;
      reason?: string;
      details?: unknown[];
      quota?: MockQuotaWindow;
      retryDelaySeconds?: number;
      headers?: Record<string, string>;
    }
  /** streaming: send N events (default 2) then go silent until the client or close() ends it; otherwise: never answer */
  | { kind: "stall"; afterEvents?: number }
  /** destroy the socket after N events (default 0 = before any header); non-streaming with N > 0: after half the body */
  | { kind: "disconnect"; afterEvents?: number }
  /** the method's normal answer, after `delayMs` */
  | { kind: "ok"; delayMs?: number };

/** One generation call, as the route module read it. */
export interface GenerateCall {
  api: MockGoogleApi;
  method: "generateContent" | "streamGenerateContent" | "countTokens";
  /** `alt=sse` was asked for */
  sse: boolean;
  /** the model id without `models/` */
  model: string;
  /** the GenerateContentRequest (the inner one for Code Assist); `{}` when the body was not usable */
  request: JsonObject;
}

const ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo";

/** Whether the reply is played without looking at the request (errors, stalls, disconnects). */
export function isFailure(reply: MockGeminiReply): reply is Extract<MockGeminiReply, { kind: "error" | "stall" | "disconnect" }> {
  return reply.kind === "error" || reply.kind === "stall" || reply.kind === "disconnect";
}

/** Errors of streaming methods come as a one-element JSON array, except the Gemini API's SSE ones. */
export function errorsInArray(call: Pick<GenerateCall, "api" | "method" | "sse">): boolean {
  return call.method === "streamGenerateContent" && (call.api === "code-assist" || !call.sse);
}

/** Sends a Google error body with its status. */
export function sendGoogleError(out: MockResponder, spec: GoogleErrorSpec, inArray = false, headers: Record<string, string> = {}): Promise<void> {
  return sendJson(out, spec.code, googleErrorJson(spec, inArray), headers);
}

/** Sends a JSON body with the API's headers and a content-length. */
export function sendJson(out: MockResponder, status: number, json: string, headers: Record<string, string> = {}): Promise<void> {
  const bytes = Buffer.from(json, "utf8");
  out.head(status, { ...mockGoogleHeaders(GOOGLE_JSON), ...headers, "content-length": String(bytes.length) });
  return out.end(bytes);
}

/**
 * Plays an error, stall or disconnect on a method whose answer is one JSON body (a stall never
 * answers; a disconnect drops the connection before any header).
 */
export function playPlainFailure(out: MockResponder, api: MockGoogleApi, reply: Extract<MockGeminiReply, { kind: "error" | "stall" | "disconnect" }>, model: string): Promise<void> {
  if (reply.kind === "error") return sendGoogleError(out, scriptedError(api, reply, model), false, reply.headers);
  if (reply.kind === "disconnect") out.destroy();
  return Promise.resolve();
}

/** The Google error a scripted "error" reply stands for. */
export function scriptedError(api: MockGoogleApi, reply: Extract<MockGeminiReply, { kind: "error" }>, model: string): GoogleErrorSpec {
  let spec: GoogleErrorSpec = { code: reply.status };
  if (reply.status === 429) spec = rateLimitError(api, reply.quota ?? "per-minute", model, reply.retryDelaySeconds ?? 20);
  if (reply.reason) spec.details = [errorInfo(reply.reason, errorDomain(api)), ...(spec.details ?? []).filter((detail) => (detail as JsonObject)["@type"] !== ERROR_INFO_TYPE)];
  if (reply.details) spec.details = reply.details;
  if (reply.message !== undefined) spec.message = reply.message;
  if (reply.rpcStatus !== undefined) spec.status = reply.rpcStatus;
  return spec;
}

/** The answer a text, function-call or ok reply gives to this call. */
export function buildAnswer(call: GenerateCall, reply: Exclude<MockGeminiReply, { kind: "error" | "stall" | "disconnect" }>): MockGeminiAnswer {
  const schema = jsonSchemaOf(call.request);
  let text: string | undefined;
  let functionCalls: MockGeminiAnswer["functionCalls"];
  // Function calling mode ANY makes the model call a function; a scripted call is kept as it is.
  const forced = reply.kind === "function-call" ? undefined : forcedFunction(call.request);
  if (reply.kind === "text" && reply.json !== undefined) text = JSON.stringify(reply.json);
  else if (reply.kind === "text" && reply.text !== undefined) text = reply.text;
  else if (forced !== undefined) functionCalls = [{ name: forced, args: sampleArgs(call.request, forced) }];
  // JSON without a schema: an object, as models answer a request for JSON.
  else if (schema !== undefined) text = JSON.stringify(isObject(schema) && Object.keys(schema).length === 0 ? {} : sampleForSchema(schema));
  else if (reply.kind === "function-call" && !answersFunctionCall(call.request, reply.name)) {
    functionCalls = [{ name: reply.name, args: reply.args }, ...(reply.parallel ?? [])].map(({ name, args }) => ({ name, args: args ?? sampleArgs(call.request, name) }));
  } else text = (reply.kind === "function-call" ? reply.text : undefined) ?? DEFAULT_MOCK_GEMINI_TEXT;
  const pacing: MockGeminiPacing = reply.kind === "ok" ? {} : reply;
  const usage: MockGeminiUsage = {
    promptTokenCount: promptTokens(call.request),
    candidatesTokenCount: Math.max(1, mockGeminiTokens(text ?? JSON.stringify(functionCalls))),
    cachedContentTokenCount: 0,
    thoughtsTokenCount: mockGeminiTokens(pacing.thoughts ?? ""),
    ...pacing.usage,
  };
  return {
    model: pacing.model ?? call.model,
    responseId: mockResponseId(),
    thoughts: pacing.thoughts,
    includeThoughts: includesThoughts(call.request),
    text,
    functionCalls,
    usage,
    finishReason: (reply.kind === "text" ? reply.finishReason : undefined) ?? "STOP",
  };
}

/** Args fitting the parameters the request declares for `name` (either schema dialect); `{}` when it declares none. */
function sampleArgs(request: JsonObject, name: string): Record<string, unknown> {
  const declaration = declaredFunction(request, name);
  const schema = declaration === undefined ? undefined : (declaration.parametersJsonSchema ?? declaration.parameters);
  const sample = sampleForSchema(schema);
  return isObject(sample) ? sample : {};
}

/** Code Assist wraps every response object in `{"response": …, "traceId": …}`. */
function envelope(call: GenerateCall, traceId: string): (response: Record<string, unknown>) => Record<string, unknown> {
  return call.api === "code-assist" ? (response) => ({ response, traceId }) : (response) => response;
}

/** The events (SSE) or array pieces (no alt=sse) of a stream, already wrapped for the API. */
function streamUnits(call: GenerateCall, answer: MockGeminiAnswer, chunks: number, traceId: string): Buffer[] {
  const objects = streamChunks(answer, chunks).map(envelope(call, traceId));
  return call.sse ? sseEvents(objects) : jsonArrayPieces(objects);
}

/** Plays one scripted reply on a generation method. */
export async function playGenerate(out: MockResponder, call: GenerateCall, reply: MockGeminiReply): Promise<void> {
  const traceId = mockResponseId().slice(0, 16);
  const streaming = call.method === "streamGenerateContent";
  const streamHeaders = mockGoogleHeaders(call.sse ? "text/event-stream" : GOOGLE_JSON);
  switch (reply.kind) {
    case "error":
      return sendGoogleError(out, scriptedError(call.api, reply, call.model), errorsInArray(call), reply.headers);
    case "stall":
      if (!streaming) return;
      out.head(200, streamHeaders, true);
      return out.writeEvents(streamUnits(call, buildAnswer(call, { kind: "ok" }), 3, traceId).slice(0, reply.afterEvents ?? 2), "event", 0);
    case "disconnect": {
      const after = reply.afterEvents ?? 0;
      if (after <= 0) return out.destroy();
      if (streaming) {
        out.head(200, streamHeaders, true);
        await out.writeEvents(streamUnits(call, buildAnswer(call, { kind: "ok" }), 3, traceId).slice(0, after), "event", 0);
      } else {
        const json = Buffer.from(JSON.stringify(envelope(call, traceId)(wholeResponse(buildAnswer(call, { kind: "ok" }))), null, 2), "utf8");
        out.head(200, { ...mockGoogleHeaders(GOOGLE_JSON), "content-length": String(json.length) });
        await out.write(json.subarray(0, Math.floor(json.length / 2)));
      }
      return out.destroy();
    }
    default:
      break;
  }
  const pacing: MockGeminiPacing = reply.kind === "ok" ? { delayMs: reply.delayMs } : reply;
  if (pacing.delayMs) await out.sleep(pacing.delayMs);
  if (call.method === "countTokens") {
    const total = promptTokens(call.request);
    const body = call.api === "code-assist" ? { totalTokens: total } : { totalTokens: total, promptTokensDetails: [{ modality: "TEXT", tokenCount: total }] };
    return sendJson(out, 200, JSON.stringify(body, null, 2), pacing.headers);
  }
  const answer = buildAnswer(call, reply);
  if (!streaming) return sendJson(out, 200, JSON.stringify(envelope(call, traceId)(wholeResponse(answer)), null, 2), pacing.headers);
  out.head(200, { ...streamHeaders, ...pacing.headers }, true);
  await out.writeEvents(streamUnits(call, answer, pacing.chunks ?? 3, traceId), pacing.chunking ?? "event", pacing.eventDelayMs ?? 0);
  return out.end();
}
