/**
 * The scripts the mock Anthropic upstream can play for one request, and how each is
 * played on the wire. An answering script (message, tool-use) first checks the request
 * as the real API would (mock-anthropic-request.ts) and answers 400 invalid_request_error
 * when it would refuse it; failure scripts play whatever the body. What an answer says is
 * decided in mock-anthropic-answer.ts. Routing, queueing and recording are left to mock-anthropic.ts.
 */
import { type AnthropicErrorType, errorBody, sseErrorEvent, statusForErrorType } from "@claude-relay/anthropic";
import { answerContent, type MockToolCall } from "./mock-anthropic-answer.js";
import { checkMessagesRequest, type JsonObject } from "./mock-anthropic-request.js";
import {
  DEFAULT_MOCK_MODEL,
  DEFAULT_MOCK_TEXT,
  defaultErrorMessage,
  errorTypeForStatus,
  messageJson,
  type MockMessage,
  messageStreamEvents,
  mockInputTokens,
  mockMessageId,
  mockOutputTokens,
  mockRequestId,
  mockResponseHeaders,
  modelsListJson,
  outputTextOf,
} from "./mock-messages.js";
import type { MockChunking, MockResponder } from "./mock-responder.js";

export type { MockToolCall } from "./mock-anthropic-answer.js";

/** The routes the mock serves. */
export type MockRoute = "messages" | "count_tokens" | "models" | "hello";

/** How an answer is told and paced. */
export interface MockAnswerOptions {
  model?: string;
  usage?: Partial<{ input_tokens: number; output_tokens: number; cache_creation_input_tokens: number; cache_read_input_tokens: number }>;
  headers?: Record<string, string>;
  /** a thinking block before the rest, given when the request turns thinking on */
  thinking?: string;
  /** streaming only: how the bytes are written */
  chunking?: MockChunking;
  /** streaming only: pause between events */
  eventDelayMs?: number;
  /** streaming only: number of text deltas (and most pieces of thinking and of a tool's input JSON), default 3 */
  events?: number;
  /** streaming only: pad one delta to this many bytes, for large-event tests */
  padEventBytes?: number;
  /** wait this long before the response headers */
  delayMs?: number;
}

/** A scripted answer to one request. */
export type MockReply =
  /**
   * A text answer; on count_tokens and models their normal answer. A request that forces a tool
   * (`tool_choice` `tool` or `any`) gets a call of that tool instead, its input fitting the tool's schema.
   */
  | ({ kind: "message"; text?: string } & MockAnswerOptions)
  /**
   * Calls `name` (then the `parallel` tools, in one turn), after `text` if given; `input` defaults to
   * a value fitting the tool's input_schema. Once the last turn carries the result of a call of `name`,
   * answers `answer` (default DEFAULT_MOCK_TEXT) instead, so one script serves both steps of a tool loop.
   */
  | ({ kind: "tool-use"; name: string; input?: Record<string, unknown>; text?: string; parallel?: readonly MockToolCall[]; answer?: string } & MockAnswerOptions)
  /** e.g. 429 with anthropic-ratelimit-unified-reset / retry-after, 529 overloaded_error, 401, 500; type defaults from status */
  | { kind: "error"; status: number; type?: string; message?: string; headers?: Record<string, string> }
  /** streaming: send N events (default 2) then go silent until the client or close() ends it; non-streaming: never answer */
  | { kind: "stall"; afterEvents?: number }
  /** destroy the socket after N events (default 0 = before any header); non-streaming with N > 0: after half the body */
  | { kind: "disconnect"; afterEvents?: number }
  /** streaming: a 200 stream that sends N events (default 3) then an `error` event and ends; non-streaming: that error's status and body */
  | { kind: "stream-error"; afterEvents?: number; type?: AnthropicErrorType; message?: string };

/** Plays one scripted reply on an API route. */
export async function playReply(out: MockResponder, route: Exclude<MockRoute, "hello">, body: Buffer, script: MockReply, validate = true): Promise<void> {
  const requestId = mockRequestId();
  const request = route === "models" ? {} : parseObject(body);
  if (request === undefined && (script.kind === "message" || script.kind === "tool-use")) {
    return sendError(out, 400, "invalid_request_error", "The request body is not a valid JSON object.", requestId);
  }
  const streaming = route === "messages" && request?.stream === true;
  const model = typeof request?.model === "string" ? request.model : DEFAULT_MOCK_MODEL;
  const sseHeaders = { ...mockResponseHeaders(requestId, "text/event-stream; charset=utf-8"), "cache-control": "no-cache" };

  switch (script.kind) {
    case "message":
    case "tool-use": {
      if (validate && route !== "models") {
        const problem = checkMessagesRequest(request as JsonObject, route);
        if (problem !== undefined) return sendError(out, 400, "invalid_request_error", problem, requestId);
      }
      if (script.delayMs) await out.sleep(script.delayMs);
      if (route !== "messages") {
        const json = route === "models" ? modelsListJson() : JSON.stringify({ input_tokens: mockInputTokens(body) });
        return sendJson(out, 200, json, { ...mockResponseHeaders(requestId, "application/json"), ...script.headers });
      }
      const { content, stopReason } = answerContent(request as JsonObject, script);
      const usage = {
        input_tokens: mockInputTokens(body),
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: mockOutputTokens(outputTextOf(content)),
        ...script.usage,
      };
      const message = { id: mockMessageId(), model: script.model ?? model, content, stopReason, usage };
      if (!streaming) return sendJson(out, 200, messageJson(message), { ...mockResponseHeaders(requestId, "application/json"), ...script.headers });
      out.head(200, { ...sseHeaders, ...script.headers }, true);
      await out.writeEvents(messageStreamEvents(message, script.events ?? 3, script.padEventBytes ?? 0), script.chunking ?? "event", script.eventDelayMs ?? 0);
      return out.end();
    }
    case "error": {
      const type = script.type ?? errorTypeForStatus(script.status);
      // The mock may send types the relay does not list (e.g. a new one) to test pass-through.
      const json = errorBody(type as AnthropicErrorType, script.message ?? defaultErrorMessage(type), requestId);
      return sendJson(out, script.status, json, { "content-type": "application/json", "request-id": requestId, ...script.headers });
    }
    case "stream-error": {
      const type = script.type ?? "overloaded_error";
      const message = script.message ?? defaultErrorMessage(type);
      if (!streaming) return sendError(out, statusForErrorType(type), type, message, requestId);
      out.head(200, sseHeaders, true);
      await out.writeEvents(streamPrefix(model, body, script.afterEvents ?? 3), "event", 0);
      return out.end(Buffer.from(sseErrorEvent(type, message), "utf8"));
    }
    case "stall":
      if (!streaming) return;
      out.head(200, sseHeaders, true);
      return out.writeEvents(streamPrefix(model, body, script.afterEvents ?? 2), "event", 0);
    case "disconnect": {
      const after = script.afterEvents ?? 0;
      if (after <= 0) return out.destroy();
      if (streaming) {
        out.head(200, sseHeaders, true);
        await out.writeEvents(streamPrefix(model, body, after), "event", 0);
      } else {
        const json = Buffer.from(route === "models" ? modelsListJson() : messageJson(defaultMessage(model, body)), "utf8");
        out.head(200, { ...mockResponseHeaders(requestId, "application/json"), "content-length": String(json.length) });
        await out.write(json.subarray(0, Math.floor(json.length / 2)));
      }
      return out.destroy();
    }
  }
}

function parseObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString("utf8"));
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function defaultMessage(model: string, body: Buffer): MockMessage {
  const usage = { input_tokens: mockInputTokens(body), cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: mockOutputTokens(DEFAULT_MOCK_TEXT) };
  return { id: mockMessageId(), model, content: [{ type: "text", text: DEFAULT_MOCK_TEXT }], stopReason: "end_turn", usage };
}

/** The first `count` events of the default stream. */
function streamPrefix(model: string, body: Buffer, count: number): Buffer[] {
  return messageStreamEvents(defaultMessage(model, body)).slice(0, Math.max(0, count));
}

function sendJson(out: MockResponder, status: number, json: string, headers: Record<string, string>): Promise<void> {
  const bytes = Buffer.from(json, "utf8");
  out.head(status, { ...headers, "content-length": String(bytes.length) });
  return out.end(bytes);
}

/** Sends an Anthropic error body with its status. */
export function sendError(out: MockResponder, status: number, type: AnthropicErrorType, message: string, requestId = mockRequestId()): Promise<void> {
  return sendJson(out, status, errorBody(type, message, requestId), { "content-type": "application/json", "request-id": requestId });
}

