/**
 * Writes what an OpenAI client reads back: a whole `chat.completion` object,
 * or the `chat.completion.chunk` events of a stream, each a `data: {…}` event,
 * the stream closed by `data: [DONE]`. Every object of one answer carries the
 * same `id` (`chatcmpl-…`), `created` (seconds) and `model`.
 *
 * Shapes follow the API reference (https://platform.openai.com/docs/api-reference/chat/object
 * and /chat-streaming): a stream opens with a delta holding the role, a tool
 * call's first delta carries its `index`, `id`, `type` and `name`, later ones
 * only `index` and a piece of `arguments`; the finish reason comes in a delta
 * of its own. With `stream_options.include_usage` every chunk has `usage:
 * null` and one last chunk with empty `choices` carries the usage. Thinking is
 * given as `reasoning_content`, the field OpenAI-compatible servers use for it
 * (OpenAI's own API does not return reasoning text). What the targets' events
 * mean is left to the translators; this module only shapes the output.
 */
import { randomBytes } from "node:crypto";

/** Why an answer ended, as OpenAI names it. */
export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter";

/** Token counts in OpenAI's terms: prompt includes cached tokens, completion includes reasoning. */
export interface ChatUsage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  /** Absent when the upstream does not say how much of the completion was thinking. */
  reasoningTokens?: number;
}

/** What every object of one answer repeats. */
export interface AnswerIdentity {
  id: string;
  created: number;
  model: string;
}

/** A tool call of a whole answer; `arguments` is JSON text. */
export interface AnswerToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** A whole answer, for a `chat.completion`. */
export interface AnswerMessage {
  content: string;
  reasoning: string;
  toolCalls: AnswerToolCall[];
}

/** Fixes what is otherwise random or the clock's, for tests. */
export interface AnswerIds {
  id?: string;
  /** Seconds since the epoch. */
  created?: number;
  /** Ids of tool calls the upstream gave none for. */
  callId?: () => string;
}

/** The id and creation time of a new answer. */
export function answerIdentity(ids: AnswerIds = {}): { id: string; created: number } {
  return { id: ids.id ?? randomId("chatcmpl-"), created: ids.created ?? Math.floor(Date.now() / 1000) };
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A random id of letters and digits behind `prefix`, e.g. `chatcmpl-…` or `call_…`. */
export function randomId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let out = prefix;
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length];
  return out;
}

/** The `usage` object. */
export function usageObject(usage: ChatUsage): Record<string, unknown> {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens },
    ...(usage.reasoningTokens !== undefined && { completion_tokens_details: { reasoning_tokens: usage.reasoningTokens } }),
  };
}

/** A whole `chat.completion` as JSON text. */
export function completionText(identity: AnswerIdentity, message: AnswerMessage, finish: FinishReason | null, usage: ChatUsage): string {
  const calls = message.toolCalls.map((call) => ({ id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } }));
  return JSON.stringify({
    id: identity.id,
    object: "chat.completion",
    created: identity.created,
    model: identity.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: message.content === "" && calls.length > 0 ? null : message.content,
          ...(message.reasoning !== "" && { reasoning_content: message.reasoning }),
          ...(calls.length > 0 && { tool_calls: calls }),
          refusal: null,
        },
        logprobs: null,
        finish_reason: finish,
      },
    ],
    usage: usageObject(usage),
  });
}

/** The events of one streamed answer, each returned as `data: …\n\n` text. */
export interface ChunkWriter {
  /** The opening delta: the role and empty content. */
  role(): string;
  content(text: string): string;
  reasoning(text: string): string;
  /** A tool call delta; `start` only on its first one. */
  toolCall(index: number, start: { id: string; name: string } | undefined, args: string): string;
  finish(reason: FinishReason | null): string;
  /** The usage chunk (empty `choices`); "" when the client did not ask for usage. */
  usage(usage: ChatUsage): string;
  /** The closing `[DONE]`. */
  done(): string;
}

/** A writer for one streamed answer; `includeUsage` as in `stream_options.include_usage`. */
export function createChunkWriter(identity: AnswerIdentity, includeUsage: boolean): ChunkWriter {
  const head = { id: identity.id, object: "chat.completion.chunk", created: identity.created, model: identity.model };
  const chunk = (delta: Record<string, unknown>, finish: FinishReason | null = null): string =>
    event({ ...head, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(includeUsage && { usage: null }) });
  return {
    role: () => chunk({ role: "assistant", content: "", refusal: null }),
    content: (text) => chunk({ content: text }),
    reasoning: (text) => chunk({ reasoning_content: text }),
    toolCall(index, start, args) {
      const fn = start === undefined ? { arguments: args } : { name: start.name, arguments: args };
      return chunk({ tool_calls: [{ index, ...(start && { id: start.id, type: "function" }), function: fn }] });
    },
    finish: (reason) => chunk({}, reason),
    usage: (usage) => (includeUsage ? event({ ...head, choices: [], usage: usageObject(usage) }) : ""),
    done: () => "data: [DONE]\n\n",
  };
}

function event(value: unknown): string {
  return `data: ${JSON.stringify(value)}\n\n`;
}
