/**
 * The events of a Messages API stream → chat completion chunks, one event at
 * a time (event names and payloads: https://docs.anthropic.com/en/docs/build-with-claude/streaming):
 *
 * - `message_start` opens the answer (the role delta) and gives the model and
 *   the input side of the usage;
 * - `content_block_start/delta` of a text block give `content` deltas, of a
 *   thinking block `reasoning_content` deltas, of a `tool_use` block a tool
 *   call: its first delta has the call's `index` (counted over tool calls
 *   only), `id` and `name`, each `input_json_delta` adds a piece of
 *   `arguments`; the JSON_TOOL of a JSON answer is given as `content` instead;
 *   signatures, redacted thinking and server tools give nothing;
 * - `message_delta` gives the finish reason (finish-reason.ts) and the output
 *   usage; `message_stop` the usage chunk, if asked for, and `[DONE]`;
 * - `error` ends the stream with an OpenAI error event.
 *
 * A stream that ends without `message_stop` (the upstream closed early) ends
 * with an error event too, not a `[DONE]`: the openai SDK raises it, where a
 * `finish_reason: null` would pass as a complete answer.
 */
import type { SseEvent } from "@claude-relay/anthropic";
import { type ChatUsage, type ChunkWriter, createChunkWriter } from "../openai-chat/chat-output.js";
import type { StreamMapper } from "../openai-chat/chat-translator.js";
import { openAiErrorFromAnthropicEvent, openAiErrorOf, openAiStreamError } from "../openai-chat/openai-errors.js";
import { finishReasonOf, usageOf, type AnthropicUsage } from "./finish-reason.js";
import { type AnthropicAnswerOptions, JSON_TOOL } from "./to-anthropic-request.js";

type Block = { kind: "text" | "thinking" | "json" | "other" } | { kind: "tool"; index: number };

/** A mapper for one stream; `identity` is the answer's id and creation time. */
export function createAnthropicStreamMapper(options: AnthropicAnswerOptions, identity: { id: string; created: number }): StreamMapper {
  let writer: ChunkWriter | undefined;
  const write = (model = options.model): ChunkWriter => (writer ??= createChunkWriter({ ...identity, model }, options.includeUsage));
  const blocks = new Map<number, Block>();
  let toolCalls = 0;
  const usage: AnthropicUsage = { input: 0, cacheCreation: 0, cacheRead: 0, output: 0 };
  let finished = false;
  let over = false;

  function start(data: Record<string, unknown>): string {
    const block = record(data.content_block);
    const index = typeof data.index === "number" ? data.index : -1;
    switch (block.type) {
      case "text":
        blocks.set(index, { kind: "text" });
        return typeof block.text === "string" && block.text !== "" ? write().content(block.text) : "";
      case "thinking":
        blocks.set(index, { kind: "thinking" });
        return typeof block.thinking === "string" && block.thinking !== "" ? write().reasoning(block.thinking) : "";
      case "tool_use": {
        const name = typeof block.name === "string" ? block.name : "";
        if (options.jsonTool && name === JSON_TOOL) {
          blocks.set(index, { kind: "json" });
          return "";
        }
        const call = toolCalls++;
        blocks.set(index, { kind: "tool", index: call });
        return write().toolCall(call, { id: typeof block.id === "string" ? block.id : "", name }, "");
      }
      default:
        blocks.set(index, { kind: "other" });
        return "";
    }
  }

  function delta(data: Record<string, unknown>): string {
    const block = blocks.get(typeof data.index === "number" ? data.index : -1);
    const d = record(data.delta);
    if (block === undefined) return "";
    if (d.type === "text_delta" && block.kind === "text" && typeof d.text === "string" && d.text !== "") return write().content(d.text);
    if (d.type === "thinking_delta" && block.kind === "thinking" && typeof d.thinking === "string" && d.thinking !== "") return write().reasoning(d.thinking);
    if (d.type !== "input_json_delta" || typeof d.partial_json !== "string" || d.partial_json === "") return "";
    if (block.kind === "json") return write().content(d.partial_json);
    return block.kind === "tool" ? write().toolCall(block.index, undefined, d.partial_json) : "";
  }

  return {
    event(event: SseEvent): string {
      if (over) return "";
      const data = parse(event.data);
      switch (event.event) {
        case "message_start": {
          const message = record(data.message);
          usageOf(message.usage, usage);
          return write(typeof message.model === "string" && message.model !== "" ? message.model : options.model).role();
        }
        case "content_block_start":
          return start(data);
        case "content_block_delta":
          return delta(data);
        case "message_delta": {
          usageOf(data.usage, usage);
          const reason = record(data.delta).stop_reason;
          if (typeof reason !== "string" || finished) return "";
          finished = true;
          return write().finish(finishReasonOf(reason, toolCalls > 0));
        }
        case "message_stop": {
          over = true;
          const out = finished ? "" : write().finish(finishReasonOf(null, toolCalls > 0));
          return out + write().usage(chatUsage(usage)) + write().done();
        }
        case "error":
          over = true;
          return openAiStreamError(openAiErrorFromAnthropicEvent(event.data));
        default:
          return "";
      }
    },
    end(): string {
      if (over) return "";
      over = true;
      return openAiStreamError(openAiErrorOf(502, "The upstream stream ended before the answer was complete."));
    },
  };
}

/** Anthropic's counts in OpenAI's terms: the prompt includes cache writes and reads; thinking is not counted apart. */
export function chatUsage(usage: AnthropicUsage): ChatUsage {
  return { promptTokens: usage.input + usage.cacheCreation + usage.cacheRead, completionTokens: usage.output, cachedTokens: usage.cacheRead };
}

function parse(text: string): Record<string, unknown> {
  try {
    return record(JSON.parse(text));
  } catch {
    return {};
  }
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
