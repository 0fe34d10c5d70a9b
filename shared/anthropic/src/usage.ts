/**
 * Token usage as the Messages API reports it, read from a stream's events or from a
 * non-streaming body.
 *
 * A stream reports usage twice: `message_start` carries the model and the input side
 * (with `output_tokens` usually 1), and `message_delta` carries cumulative counts that
 * replace the earlier ones (https://docs.anthropic.com/en/docs/build-with-claude/streaming).
 * Only those two events and `error` are parsed; every other event passes untouched,
 * because the tracker sits on the hot path beside every text delta. Nothing here
 * throws on malformed input: a missing or mistyped field leaves its count as it was.
 * Pricing and accounting are left to the control plane.
 */
import type { SseEvent } from "./sse-parser.js";

/** Model and token counts of one response. */
export interface UsageTotals {
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
  /** Of the cache-creation tokens, those written to the 1-hour cache (`usage.cache_creation.ephemeral_1h_input_tokens`). */
  cacheCreation1hInputTokens?: number;
}

/** Follows one stream's events and keeps the usage seen so far. */
export interface UsageTracker {
  /** Feeds one parsed event; never throws. */
  onEvent(event: SseEvent): void;
  /** A snapshot of the totals so far. */
  readonly usage: UsageTotals;
  /** True once `message_stop` arrived, i.e. the stream ended the way a complete answer does. */
  readonly sawMessageStop: boolean;
  /** The last `error` event of the stream, if any (e.g. an `overloaded_error` mid-stream). */
  readonly errorEvent?: { type: string; message: string };
}

/** Creates a tracker for one stream. */
export function createUsageTracker(): UsageTracker {
  const totals = emptyTotals();
  let sawMessageStop = false;
  let errorEvent: { type: string; message: string } | undefined;

  return {
    onEvent(event) {
      switch (event.event) {
        case "message_start": {
          const message = field(parseJson(event.data), "message");
          const model = field(message, "model");
          if (typeof model === "string") totals.model = model;
          applyUsage(totals, field(message, "usage"));
          return;
        }
        case "message_delta":
          applyUsage(totals, field(parseJson(event.data), "usage"));
          return;
        case "message_stop":
          sawMessageStop = true;
          return;
        case "error": {
          const error = field(parseJson(event.data), "error");
          const type = field(error, "type");
          const message = field(error, "message");
          errorEvent = {
            type: typeof type === "string" ? type : "unknown_error",
            message: typeof message === "string" ? message : "",
          };
          return;
        }
        default:
          return;
      }
    },
    get usage() {
      return { ...totals };
    },
    get sawMessageStop() {
      return sawMessageStop;
    },
    get errorEvent() {
      return errorEvent;
    },
  };
}

/** Reads the usage of a non-streaming Messages response body (already parsed JSON); never throws. */
export function usageFromMessage(body: unknown): UsageTotals {
  const totals = emptyTotals();
  const model = field(body, "model");
  if (typeof model === "string") totals.model = model;
  applyUsage(totals, field(body, "usage"));
  return totals;
}

function emptyTotals(): UsageTotals {
  return { model: "", inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
}

/** Copies every well-formed count of a wire `usage` object over the totals. */
function applyUsage(totals: UsageTotals, usage: unknown): void {
  const input = count(field(usage, "input_tokens"));
  if (input !== undefined) totals.inputTokens = input;
  const output = count(field(usage, "output_tokens"));
  if (output !== undefined) totals.outputTokens = output;
  const creation = count(field(usage, "cache_creation_input_tokens"));
  if (creation !== undefined) totals.cacheCreationInputTokens = creation;
  const read = count(field(usage, "cache_read_input_tokens"));
  if (read !== undefined) totals.cacheReadInputTokens = read;
  const oneHour = count(field(field(usage, "cache_creation"), "ephemeral_1h_input_tokens"));
  if (oneHour !== undefined) totals.cacheCreation1hInputTokens = oneHour;
}

function count(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
}

function field(value: unknown, name: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
