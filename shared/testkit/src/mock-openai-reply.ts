/**
 * The scripts the mock OpenAI upstream can play for one request, and what a text or function-call
 * script answers to a given request: its output items and token counts. Playing them on the wire
 * is left to mock-openai-play.ts; the objects and events come from mock-openai-wire.ts.
 */
import { randomBytes } from "node:crypto";
import { mockOutputTokens } from "./mock-messages.js";
import type { JsonObject } from "./mock-openai-request.js";
import type { MockChunking } from "./mock-responder.js";

/** The text the mock answers with unless told otherwise; non-ASCII so byte-exactness is meaningful. */
export const DEFAULT_MOCK_OPENAI_TEXT = "Hello from the mock OpenAI — héllo 世界 🎉";

/** Token counts of one answer, as the Responses API's usage names them. */
export interface MockOpenAIUsage {
  input_tokens: number;
  /** part of input_tokens read from the prompt cache */
  cached_tokens: number;
  output_tokens: number;
  /** part of output_tokens spent reasoning */
  reasoning_tokens: number;
}

/** How an answer is paced and cut. */
export interface MockOpenAIPacing {
  /** wait this long before the response headers */
  delayMs?: number;
  /** number of text deltas in a stream, default 3 */
  deltas?: number;
  /** how the stream's bytes are cut into writes; "byte" and "random" split UTF-8 characters */
  chunking?: MockChunking;
  /** cut the stream's bytes at these offsets instead (one write per piece), e.g. inside a multi-byte character */
  splitAt?: readonly number[];
  /** pause between stream events */
  eventDelayMs?: number;
  headers?: Record<string, string>;
  /** reported as the answer's model; defaults to the requested one */
  model?: string;
  /** overrides the computed counts */
  usage?: Partial<MockOpenAIUsage>;
}

/** A scripted answer to one request. */
export type MockOpenAIReply =
  /** A text answer, after a reasoning item whose summary is `reasoning` when given. */
  | ({ kind: "text"; text?: string; reasoning?: string } & MockOpenAIPacing)
  /**
   * A function call: `name` defaults to the first function tool the request offers (Codex's
   * `exec_command` or `shell`), `arguments` to `"{}"`.
   */
  | ({ kind: "function_call"; name?: string; arguments?: string; callId?: string } & MockOpenAIPacing)
  /** An OpenAI error with this status; `body` replaces the whole body when given. */
  | { kind: "error"; status: number; message?: string; type?: string; param?: string | null; code?: string | null; body?: unknown; headers?: Record<string, string> }
  /** The Codex backend's 429 usage_limit_reached (on other routes: the API's 429 rate limit). */
  | { kind: "usage_limit"; resetsInSeconds?: number; planType?: string }
  /** The Codex backend's 402 deactivated_workspace (on other routes: 401 account_deactivated). */
  | { kind: "deactivated" }
  /** Stream `afterEvents` events (default 2), then `response.failed` (or an `error` event) and end. */
  | { kind: "failed"; afterEvents?: number; as?: "response.failed" | "error"; code?: string; message?: string }
  /** Streaming: send N events (default 2) then go silent until the client or close() ends it; otherwise never answer. */
  | { kind: "stall"; afterEvents?: number }
  /** Destroy the socket after N events (default 0 = before any header); non-streaming with N > 0: after half the body. */
  | { kind: "disconnect"; afterEvents?: number }
  /** The route's normal answer (models list, token grant), after `delayMs`. */
  | { kind: "ok"; delayMs?: number };

/** One output item of an answer, before it is written. */
export type MockOutputItem =
  | { type: "reasoning"; id: string; summary: string }
  | { type: "message"; id: string; text: string }
  | { type: "function_call"; id: string; callId: string; name: string; arguments: string };

/** What one answer says. */
export interface MockOpenAIAnswer {
  id: string;
  model: string;
  createdAt: number;
  items: MockOutputItem[];
  usage: MockOpenAIUsage;
  deltas: number;
}

/** A fresh id with the API's prefix (resp_, msg_, fc_, call_, rs_, chatcmpl-). */
export function mockOpenAIId(prefix: string): string {
  return `${prefix}${randomBytes(prefix === "call_" ? 12 : 24).toString("hex")}`;
}

/** The first function tool a Responses (`{type:"function",name}`) or chat (`{type:"function",function:{name}}`) request offers. */
export function firstFunctionTool(request: JsonObject): string | undefined {
  const tools = Array.isArray(request.tools) ? request.tools : [];
  for (const tool of tools) {
    if (typeof tool !== "object" || tool === null) continue;
    const entry = tool as Record<string, unknown>;
    if (entry.type !== "function") continue;
    if (typeof entry.name === "string") return entry.name;
    const fn = entry.function as Record<string, unknown> | undefined;
    if (typeof fn?.name === "string") return fn.name;
  }
  return undefined;
}

/** The answer a text or function_call reply gives to a request whose body is `body`. */
export function buildAnswer(reply: Extract<MockOpenAIReply, { kind: "text" | "function_call" }>, request: JsonObject, body: Buffer, model: string): MockOpenAIAnswer {
  const items: MockOutputItem[] = [];
  if (reply.kind === "text" && reply.reasoning !== undefined) items.push({ type: "reasoning", id: mockOpenAIId("rs_"), summary: reply.reasoning });
  if (reply.kind === "text") items.push({ type: "message", id: mockOpenAIId("msg_"), text: reply.text ?? DEFAULT_MOCK_OPENAI_TEXT });
  else {
    const name = reply.name ?? firstFunctionTool(request) ?? "shell";
    items.push({ type: "function_call", id: mockOpenAIId("fc_"), callId: reply.callId ?? mockOpenAIId("call_"), name, arguments: reply.arguments ?? "{}" });
  }
  const outputText = items.map((item) => (item.type === "message" ? item.text : item.type === "function_call" ? item.name + item.arguments : "")).join("");
  const reasoning = reply.kind === "text" && reply.reasoning !== undefined ? mockOutputTokens(reply.reasoning) : 0;
  const usage: MockOpenAIUsage = {
    input_tokens: Math.max(1, Math.ceil(body.byteLength / 4)),
    cached_tokens: 0,
    output_tokens: mockOutputTokens(outputText) + reasoning,
    reasoning_tokens: reasoning,
    ...reply.usage,
  };
  return { id: mockOpenAIId("resp_"), model: reply.model ?? model, createdAt: Math.floor(Date.now() / 1000), items, usage, deltas: Math.max(1, reply.deltas ?? 3) };
}

/** Splits text into at most `wanted` non-empty pieces on code point boundaries (one piece for empty text). */
export function splitText(text: string, wanted: number): string[] {
  const points = Array.from(text);
  const parts = Math.min(wanted, Math.max(1, points.length));
  const pieces: string[] = [];
  for (let i = 0; i < parts; i++) pieces.push(points.slice(Math.floor((i * points.length) / parts), Math.floor(((i + 1) * points.length) / parts)).join(""));
  return pieces;
}
