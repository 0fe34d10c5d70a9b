/**
 * Token usage as Gemini reports it in `usageMetadata`, read from the objects of a response:
 * the chunks of a stream (SSE events or JSON-array elements) or a whole JSON body.
 *
 * It owns one invariant: the mapping from Gemini's counts onto ours, where input never
 * includes cache reads and output is everything billed as output
 * (https://ai.google.dev/api/generate-content#UsageMetadata):
 *
 * - inputTokens = promptTokenCount + toolUsePromptTokenCount − cachedContentTokenCount (never below 0)
 * - cacheReadInputTokens = cachedContentTokenCount
 * - outputTokens = candidatesTokenCount + thoughtsTokenCount; reasoningTokens = thoughtsTokenCount
 *
 * A stream repeats `usageMetadata` with cumulative counts, so the last one seen replaces any
 * earlier one whole. Objects come either bare (the Gemini API's GenerateContentResponse) or in
 * the Code Assist envelope `{"response":{…},"traceId":…}` (v1internal, see code-assist.ts).
 * Nothing here throws: a missing or mistyped count is 0. Pricing is the control plane's.
 */
import { googleErrorFromObject, type GoogleErrorInfo } from "./error-details.js";

/** Model and token counts of one response, in the relay's terms. */
export interface GeminiUsageTotals {
  /** `modelVersion` of the response, e.g. "gemini-2.5-pro"; "" when none was seen. */
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  /** The thinking part of `outputTokens`. */
  reasoningTokens: number;
}

/** Follows one response's objects and keeps the usage seen so far. */
export interface GeminiUsageTracker {
  /** Feeds one parsed JSON object of the response (an array is read element by element); never throws. */
  onObject(value: unknown): void;
  /** A snapshot of the totals so far. */
  readonly usage: GeminiUsageTotals;
  /** True once a candidate carried a `finishReason`, i.e. the answer ended the way a complete one does. */
  readonly complete: boolean;
  /** The last error object seen (a stream cut by the upstream ends with one). */
  readonly error: GoogleErrorInfo | undefined;
}

/** Creates a tracker for one response. */
export function createGeminiUsageTracker(): GeminiUsageTracker {
  let totals = emptyTotals();
  let complete = false;
  let error: GoogleErrorInfo | undefined;

  function onObject(value: unknown): void {
    if (Array.isArray(value)) {
      for (const element of value) onObject(element);
      return;
    }
    if (typeof value !== "object" || value === null) return;
    const found = googleErrorFromObject(value);
    if (found !== undefined) {
      error = found;
      return;
    }
    const envelope = field(value, "response");
    const response = typeof envelope === "object" && envelope !== null ? envelope : value;
    const model = field(response, "modelVersion");
    if (typeof model === "string" && model !== "") totals.model = model;
    const metadata = field(response, "usageMetadata");
    if (typeof metadata === "object" && metadata !== null) totals = fromMetadata(metadata, totals.model);
    const candidates = field(response, "candidates");
    if (Array.isArray(candidates) && candidates.some((c) => isNonEmptyString(field(c, "finishReason")))) complete = true;
  }

  return {
    onObject,
    get usage() {
      return { ...totals };
    },
    get complete() {
      return complete;
    },
    get error() {
      return error;
    },
  };
}

/**
 * Reads the usage of a whole JSON body (already parsed): a GenerateContentResponse, the JSON
 * array a `streamGenerateContent` without `alt=sse` answers (the last element with usage wins),
 * or either of them in the Code Assist envelope. Never throws.
 */
export function usageFromGeminiBody(parsed: unknown): GeminiUsageTotals {
  const tracker = createGeminiUsageTracker();
  tracker.onObject(parsed);
  return tracker.usage;
}

function fromMetadata(metadata: object, model: string): GeminiUsageTotals {
  const prompt = count(field(metadata, "promptTokenCount"));
  const toolPrompt = count(field(metadata, "toolUsePromptTokenCount"));
  const cached = count(field(metadata, "cachedContentTokenCount"));
  const candidates = count(field(metadata, "candidatesTokenCount"));
  const thoughts = count(field(metadata, "thoughtsTokenCount"));
  return {
    model,
    inputTokens: Math.max(0, prompt + toolPrompt - cached),
    outputTokens: candidates + thoughts,
    cacheReadInputTokens: cached,
    reasoningTokens: thoughts,
  };
}

function emptyTotals(): GeminiUsageTotals {
  return { model: "", inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, reasoningTokens: 0 };
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

function isNonEmptyString(value: unknown): boolean {
  return typeof value === "string" && value !== "";
}

function field(value: unknown, name: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}
