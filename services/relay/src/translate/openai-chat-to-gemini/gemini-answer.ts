/**
 * The answer translator for a chat completions client served by a Gemini
 * account. A stream (`alt=sse`) is mapped chunk by chunk: the first chunk
 * opens the answer with the role delta, text parts give `content` deltas,
 * thought parts `reasoning_content` deltas, each function call one tool call
 * delta with its whole `arguments` (Gemini sends a call whole) and an id, the
 * upstream's or a new `call_…`; the first finishReason gives the finish delta.
 * Usage is cumulative in every chunk, so the last one seen goes in the usage
 * chunk written when the stream ends, before `[DONE]`. A stream that ends
 * without a finishReason, or with an error object, ends with an OpenAI error
 * event instead (the openai SDK raises it). A whole JSON answer is mapped once.
 * Usage for the relay's Release is read off the upstream bytes by the Gemini
 * usage tap (gemini-usage-tap.ts), not here.
 */
import type { ResponseTranslator } from "../../providers/provider.js";
import { type AnswerIds, type AnswerMessage, answerIdentity, type ChatUsage, type ChunkWriter, completionText, createChunkWriter, randomId } from "../openai-chat/chat-output.js";
import { createChatTranslator, type StreamMapper } from "../openai-chat/chat-translator.js";
import { openAiErrorFromGoogleObject, openAiErrorOf, openAiStreamError } from "../openai-chat/openai-errors.js";
import { finishReasonOf, readGeminiResponse } from "./gemini-reading.js";
import type { GeminiAnswerOptions } from "./to-gemini-request.js";

const NO_USAGE: ChatUsage = { promptTokens: 0, completionTokens: 0, cachedTokens: 0, reasoningTokens: 0 };

/** The translator of one Gemini answer; `options` come from toGeminiRequest. */
export function createGeminiChatTranslator(options: GeminiAnswerOptions, ids: AnswerIds = {}): ResponseTranslator {
  const identity = answerIdentity(ids);
  const callId = ids.callId ?? (() => randomId("call_"));
  return createChatTranslator({
    stream: () => createGeminiStreamMapper(options, identity, callId),
    json: (body) => completionFromGemini(body, options, identity, callId),
  });
}

/** A mapper for one `alt=sse` stream. */
export function createGeminiStreamMapper(options: GeminiAnswerOptions, identity: { id: string; created: number }, callId: () => string): StreamMapper {
  let writer: ChunkWriter | undefined;
  let calls = 0;
  let usage = NO_USAGE;
  let finished = false;
  let over = false;
  return {
    event(event) {
      if (over) return "";
      let value: unknown;
      try {
        value = JSON.parse(event.data);
      } catch {
        return "";
      }
      const reading = readGeminiResponse(value);
      if (reading.error !== undefined) {
        over = true;
        return openAiStreamError(openAiErrorFromGoogleObject(reading.error));
      }
      let out = "";
      if (writer === undefined) {
        writer = createChunkWriter({ ...identity, model: reading.model ?? options.model }, options.includeUsage);
        out += writer.role();
      }
      if (reading.usage !== undefined) usage = reading.usage;
      if (finished) return out;
      for (const piece of reading.pieces) {
        if (piece.kind === "text") out += writer.content(piece.text);
        else if (piece.kind === "thought") out += writer.reasoning(piece.text);
        else out += writer.toolCall(calls++, { id: piece.id ?? callId(), name: piece.name }, piece.args);
      }
      if (reading.finishReason !== undefined) {
        finished = true;
        out += writer.finish(finishReasonOf(reading.finishReason, calls > 0));
      }
      return out;
    },
    end() {
      if (over) return "";
      over = true;
      if (!finished || writer === undefined) return openAiStreamError(openAiErrorOf(502, "The upstream stream ended before the answer was complete."));
      return writer.usage(usage) + writer.done();
    },
  };
}

/** A whole GenerateContentResponse (parsed) as `chat.completion` text. */
export function completionFromGemini(body: unknown, options: GeminiAnswerOptions, identity: { id: string; created: number }, callId: () => string): string {
  const reading = readGeminiResponse(body);
  const answer: AnswerMessage = { content: "", reasoning: "", toolCalls: [] };
  for (const piece of reading.pieces) {
    if (piece.kind === "text") answer.content += piece.text;
    else if (piece.kind === "thought") answer.reasoning += piece.text;
    else answer.toolCalls.push({ id: piece.id ?? callId(), name: piece.name, arguments: piece.args });
  }
  const finish = finishReasonOf(reading.finishReason ?? "STOP", answer.toolCalls.length > 0);
  return completionText({ ...identity, model: reading.model ?? options.model }, answer, finish, reading.usage ?? NO_USAGE);
}
