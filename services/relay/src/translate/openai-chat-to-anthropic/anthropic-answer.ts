/**
 * The answer translator for a chat completions client served by a Claude
 * account: a streamed Messages answer is mapped event by event
 * (anthropic-stream.ts), a whole `message` once at its end, and an error
 * answer becomes an OpenAI error body with the upstream's status
 * (chat-translator.ts). Usage for the relay's Release is not read here: the
 * Claude usage tap reads the upstream's bytes as they pass (claude-usage-tap.ts).
 */
import type { ResponseTranslator } from "../../providers/provider.js";
import { type AnswerIds, type AnswerMessage, answerIdentity, completionText } from "../openai-chat/chat-output.js";
import { createChatTranslator } from "../openai-chat/chat-translator.js";
import { chatUsage, createAnthropicStreamMapper } from "./anthropic-stream.js";
import { type AnthropicUsage, finishReasonOf, usageOf } from "./finish-reason.js";
import { type AnthropicAnswerOptions, JSON_TOOL } from "./to-anthropic-request.js";

/** The translator of one Messages answer; `options` come from toAnthropicRequest. */
export function createAnthropicChatTranslator(options: AnthropicAnswerOptions, ids: AnswerIds = {}): ResponseTranslator {
  const identity = answerIdentity(ids);
  return createChatTranslator({
    stream: () => createAnthropicStreamMapper(options, identity),
    json: (body) => completionFromMessage(body, options, identity),
  });
}

/** A whole Messages API `message` (parsed) as `chat.completion` text. */
export function completionFromMessage(body: unknown, options: AnthropicAnswerOptions, identity: { id: string; created: number }): string {
  const message = record(body);
  const answer: AnswerMessage = { content: "", reasoning: "", toolCalls: [] };
  const blocks = Array.isArray(message.content) ? message.content : [];
  for (const item of blocks) {
    const block = record(item);
    if (block.type === "text" && typeof block.text === "string") answer.content += block.text;
    else if (block.type === "thinking" && typeof block.thinking === "string") answer.reasoning += block.thinking;
    else if (block.type === "tool_use" && typeof block.name === "string") {
      const input = JSON.stringify(block.input ?? {});
      if (options.jsonTool && block.name === JSON_TOOL) answer.content += input;
      else answer.toolCalls.push({ id: typeof block.id === "string" ? block.id : "", name: block.name, arguments: input });
    }
  }
  const usage: AnthropicUsage = { input: 0, cacheCreation: 0, cacheRead: 0, output: 0 };
  usageOf(message.usage, usage);
  const model = typeof message.model === "string" && message.model !== "" ? message.model : options.model;
  const stopReason = typeof message.stop_reason === "string" ? message.stop_reason : null;
  return completionText({ ...identity, model }, answer, finishReasonOf(stopReason, answer.toolCalls.length > 0), chatUsage(usage));
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
