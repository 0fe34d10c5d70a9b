/**
 * What one GenerateContentResponse says, read the same way for a whole answer
 * and for each chunk of a stream (https://ai.google.dev/api/generate-content#v1beta.GenerateContentResponse):
 * the parts of the first candidate (text, thought text — `thought: true` —
 * and function calls; other parts such as bare thought signatures give
 * nothing), its finish reason, a blocked prompt, the model and the usage. An
 * object in the Code Assist envelope (`{"response":{…}}`) is read inside it.
 * Nothing here throws.
 */
import type { ChatUsage, FinishReason } from "../openai-chat/chat-output.js";

/** What one part of a candidate gives the client: text, thought text or a whole function call. */
export type GeminiPiece = { kind: "text"; text: string } | { kind: "thought"; text: string } | { kind: "call"; id: string | undefined; name: string; args: string };

/** The readings of one response object. */
export interface GeminiReading {
  /** Set when the object is an error (`{"error":{…}}`) rather than a response. */
  error: unknown;
  model: string | undefined;
  pieces: GeminiPiece[];
  /** The candidate's finishReason, or "PROMPT_BLOCKED" when the prompt was blocked and no candidate came. */
  finishReason: string | undefined;
  /** undefined when the object carried no usageMetadata. */
  usage: ChatUsage | undefined;
}

/** Reads one parsed response object. */
export function readGeminiResponse(value: unknown): GeminiReading {
  const outer = record(value);
  if (outer.error !== undefined) return { error: outer, model: undefined, pieces: [], finishReason: undefined, usage: undefined };
  const response = outer.candidates === undefined && typeof outer.response === "object" ? record(outer.response) : outer;
  const candidates = Array.isArray(response.candidates) ? response.candidates : [];
  const candidate = record(candidates[0]);
  const pieces: GeminiPiece[] = [];
  const parts = record(candidate.content).parts;
  for (const item of Array.isArray(parts) ? parts : []) {
    const part = record(item);
    if (typeof part.text === "string" && part.text !== "") {
      pieces.push(part.thought === true ? { kind: "thought", text: part.text } : { kind: "text", text: part.text });
    } else if (typeof part.functionCall === "object" && part.functionCall !== null) {
      const call = record(part.functionCall);
      const id = typeof call.id === "string" && call.id !== "" ? call.id : undefined;
      pieces.push({ kind: "call", id, name: typeof call.name === "string" ? call.name : "", args: JSON.stringify(call.args ?? {}) });
    }
  }
  let finishReason = typeof candidate.finishReason === "string" && candidate.finishReason !== "" ? candidate.finishReason : undefined;
  if (candidates.length === 0 && typeof record(response.promptFeedback).blockReason === "string") finishReason = "PROMPT_BLOCKED";
  const metadata = response.usageMetadata;
  return {
    error: undefined,
    model: typeof response.modelVersion === "string" && response.modelVersion !== "" ? response.modelVersion : undefined,
    pieces,
    finishReason,
    usage: typeof metadata === "object" && metadata !== null ? usageOf(record(metadata)) : undefined,
  };
}

const FILTERED = new Set(["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "PROMPT_BLOCKED"]);

/**
 * The finish reason for Gemini's (https://ai.google.dev/api/generate-content#FinishReason):
 * MAX_TOKENS → length, the safety and recitation reasons and a blocked prompt →
 * content_filter, anything else (STOP, OTHER, MALFORMED_FUNCTION_CALL, …) →
 * tool_calls when calls were sent, else stop.
 */
export function finishReasonOf(reason: string, callsSent: boolean): FinishReason {
  if (reason === "MAX_TOKENS") return "length";
  if (FILTERED.has(reason)) return "content_filter";
  return callsSent ? "tool_calls" : "stop";
}

/**
 * usageMetadata in OpenAI's terms: the prompt is promptTokenCount (which
 * includes cached tokens, like OpenAI's) plus toolUsePromptTokenCount; the
 * completion is candidates plus thoughts, thoughts being the reasoning.
 */
function usageOf(metadata: Record<string, unknown>): ChatUsage {
  const prompt = count(metadata.promptTokenCount) + count(metadata.toolUsePromptTokenCount);
  const thoughts = count(metadata.thoughtsTokenCount);
  return { promptTokens: prompt, completionTokens: count(metadata.candidatesTokenCount) + thoughts, cachedTokens: count(metadata.cachedContentTokenCount), reasoningTokens: thoughts };
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
