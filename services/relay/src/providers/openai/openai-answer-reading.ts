/**
 * What the relay reads off an OpenAI answer as it passes, object by object:
 * a Responses stream's events (`response.created` … `response.completed`), a
 * Responses JSON body (`object: "response"`), a chat-completions stream's
 * chunks and `[DONE]`, a chat-completions JSON body. Pure: each parsed JSON
 * object goes in, the readings are kept:
 *
 * - usage in the contract's terms: input without the cached part
 *   (`input_tokens − input_tokens_details.cached_tokens`, or `prompt_tokens −
 *   prompt_tokens_details.cached_tokens`), the cached part as cache reads,
 *   output as billed (reasoning included) and, of it, the reasoning tokens;
 * - the model the upstream answered with;
 * - the response id, which a later request may name as `previous_response_id`
 *   (Responses only: a chat completion cannot be continued);
 * - whether the answer ended the way a complete one does, and the error event
 *   a stream carried (`error`, `response.failed`).
 */
import type { TapUsage } from "../provider.js";

/** The readings so far. */
export interface OpenAiReading {
  usage: TapUsage;
  /** The Responses id, once an event or body named it. */
  responseId: string | undefined;
  /** A terminal event (`response.completed`/`incomplete`/`failed`), `[DONE]`, or a whole JSON body was read. */
  complete: boolean;
  errorEvent: { type: string; message: string } | undefined;
}

/** A fresh reading. */
export function createOpenAiReading(): OpenAiReading {
  return {
    usage: { model: "", inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 },
    responseId: undefined,
    complete: false,
    errorEvent: undefined,
  };
}

/** Reads one stream event's data (JSON text, or `[DONE]`). */
export function readOpenAiEventData(reading: OpenAiReading, data: string): void {
  if (data.trim() === "[DONE]") {
    reading.complete = true;
    return;
  }
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return;
  }
  readOpenAiObject(reading, value, "stream");
}

/** Reads one parsed object: a stream event or chunk, or (`as: "body"`) a whole JSON answer. */
export function readOpenAiObject(reading: OpenAiReading, value: unknown, as: "stream" | "body"): void {
  if (!isObject(value)) return;
  const type = value.type;
  if (typeof type === "string" && (type.startsWith("response.") || type === "error")) return readResponsesEvent(reading, type, value);
  if (value.object === "response") {
    readResponse(reading, value);
    if (as === "body") reading.complete = true;
    return;
  }
  if (value.object === "chat.completion.chunk" || value.object === "chat.completion") {
    if (typeof value.model === "string" && value.model !== "") reading.usage.model = value.model;
    if (isObject(value.usage)) reading.usage = { ...chatUsage(value.usage), model: reading.usage.model };
    if (as === "body") reading.complete = true;
  }
}

function readResponsesEvent(reading: OpenAiReading, type: string, event: Record<string, unknown>): void {
  if (type === "error") {
    const error = isObject(event.error) ? event.error : event;
    reading.errorEvent = { type: text(error.code) || text(error.type) || "error", message: text(error.message) };
    return;
  }
  const response = event.response;
  if (isObject(response)) readResponse(reading, response);
  if (type === "response.completed" || type === "response.incomplete") reading.complete = true;
  if (type === "response.failed") {
    reading.complete = true;
    const error = isObject(response) && isObject(response.error) ? response.error : {};
    reading.errorEvent = { type: text(error.code) || "response.failed", message: text(error.message) };
  }
}

/** A Responses object, in an event or as a whole body: its id, model and (once final) usage. */
function readResponse(reading: OpenAiReading, response: Record<string, unknown>): void {
  if (typeof response.id === "string" && response.id !== "") reading.responseId = response.id;
  if (typeof response.model === "string" && response.model !== "") reading.usage.model = response.model;
  if (isObject(response.usage)) reading.usage = { ...responsesUsage(response.usage), model: reading.usage.model };
}

function responsesUsage(usage: Record<string, unknown>): TapUsage {
  const input = count(usage.input_tokens);
  const cached = Math.min(input, count(field(usage.input_tokens_details, "cached_tokens")));
  const reasoning = count(field(usage.output_tokens_details, "reasoning_tokens"));
  return {
    model: "",
    inputTokens: input - cached,
    outputTokens: count(usage.output_tokens),
    cacheCreationInputTokens: 0,
    cacheReadInputTokens: cached,
    ...(reasoning > 0 && { reasoningTokens: reasoning }),
  };
}

function chatUsage(usage: Record<string, unknown>): TapUsage {
  const input = count(usage.prompt_tokens);
  const cached = Math.min(input, count(field(usage.prompt_tokens_details, "cached_tokens")));
  const reasoning = count(field(usage.completion_tokens_details, "reasoning_tokens"));
  return {
    model: "",
    inputTokens: input - cached,
    outputTokens: count(usage.completion_tokens),
    cacheCreationInputTokens: 0,
    cacheReadInputTokens: cached,
    ...(reasoning > 0 && { reasoningTokens: reasoning }),
  };
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

function field(value: unknown, name: string): unknown {
  return isObject(value) ? value[name] : undefined;
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
