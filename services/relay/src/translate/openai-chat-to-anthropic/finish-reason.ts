/**
 * The two readings every Anthropic answer needs, streamed or whole: why it
 * stopped, as an OpenAI finish reason, and its token counts. Stop reasons:
 * https://docs.anthropic.com/en/api/handling-stop-reasons; usage fields:
 * https://docs.anthropic.com/en/api/messages (a stream's `message_delta`
 * counts are cumulative and replace earlier ones).
 */
import type { FinishReason } from "../openai-chat/chat-output.js";

/** The counts of one answer as the Messages API names them. */
export interface AnthropicUsage {
  input: number;
  cacheCreation: number;
  cacheRead: number;
  output: number;
}

/**
 * The finish reason for a stop reason. `tool_use` is `tool_calls` only when a
 * call reached the client: a JSON answer asked for through a tool ends with
 * `tool_use` too, and is a plain `stop` to the client.
 */
export function finishReasonOf(stopReason: string | null, toolCallsSent: boolean): FinishReason {
  switch (stopReason) {
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return toolCallsSent ? "tool_calls" : "stop";
    case "refusal":
      return "content_filter";
    default:
      // end_turn, stop_sequence, pause_turn, and any reason added later.
      return "stop";
  }
}

/** Copies the well-formed counts of a wire `usage` object onto `into`. */
export function usageOf(wire: unknown, into: AnthropicUsage): void {
  if (typeof wire !== "object" || wire === null) return;
  const usage = wire as Record<string, unknown>;
  const set = (name: string, key: keyof AnthropicUsage): void => {
    const value = usage[name];
    if (typeof value === "number" && Number.isFinite(value) && value >= 0) into[key] = Math.floor(value);
  };
  set("input_tokens", "input");
  set("cache_creation_input_tokens", "cacheCreation");
  set("cache_read_input_tokens", "cacheRead");
  set("output_tokens", "output");
}
