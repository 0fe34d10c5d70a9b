/**
 * Chat messages → the `systemInstruction` and `contents` of a Gemini
 * GenerateContentRequest (https://ai.google.dev/api/generate-content).
 *
 * It owns the turn rules: system and developer messages go to
 * `systemInstruction`, one part each; user and assistant become `user` and
 * `model` turns that alternate, consecutive turns of one role being merged;
 * assistant tool calls become `functionCall` parts, and `tool` messages
 * `functionResponse` parts of the user turn right after, named after the call
 * they answer (validate-messages.ts ensured there is one) with the result as
 * an object: the tool's JSON object when it wrote one, else `{"output": text}`,
 * the key the API documents for a function's output
 * (https://ai.google.dev/api/caching#FunctionResponse). The first turn is the
 * user's, and empty text parts are left out.
 *
 * Gemini 3 models refuse a replayed function call without the thought
 * signature their answer carried (https://ai.google.dev/gemini-api/docs/thought-signatures).
 * Chat completions have no field to carry one back, so the first call of each
 * assistant message gets the placeholder those docs give for history from
 * elsewhere, `skip_thought_signature_validator`.
 */
import { type ChatMessage, type ChatRefusal, refuse, textOf, type UserPart } from "../openai-chat/chat-request.js";
import { fileMedia, guessMimeType, isWebUrl, parseDataUrl } from "../openai-chat/content-parts.js";

/** The parts a mapped request uses. */
export type GeminiPart =
  | { text: string }
  | { inlineData: { mimeType: string; data: string } }
  | { fileData: { mimeType: string; fileUri: string } }
  | { functionCall: { name: string; args: Record<string, unknown> }; thoughtSignature?: string }
  | { functionResponse: { name: string; response: Record<string, unknown> } };

/** One turn of `contents`. */
export interface GeminiContent {
  role: "user" | "model";
  parts: GeminiPart[];
}

/** The system instruction and the turns, or why the messages cannot be sent. */
export type GeminiConversation = { ok: true; systemInstruction?: { parts: Array<{ text: string }> }; contents: GeminiContent[] } | ChatRefusal;

/** The placeholder thought signature for replayed calls (see the module comment). */
export const PLACEHOLDER_SIGNATURE = "skip_thought_signature_validator";

/** Maps checked messages; `signCalls` adds the placeholder signature (for Gemini 3 and later). */
export function toGeminiConversation(messages: ChatMessage[], signCalls: boolean): GeminiConversation {
  const system: Array<{ text: string }> = [];
  const contents: GeminiContent[] = [];
  const callNames = new Map<string, string>();
  const add = (role: GeminiContent["role"], parts: GeminiPart[]): void => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as ChatMessage;
    switch (message.role) {
      case "system":
      case "developer": {
        const text = textOf(message.content);
        if (text.trim() !== "") system.push({ text });
        break;
      }
      case "user": {
        const parts = userParts(message.content, `messages[${i}].content`);
        if (!Array.isArray(parts)) return parts;
        add("user", parts);
        break;
      }
      case "assistant": {
        const parts: GeminiPart[] = textParts(textOf(message.content) || (message.refusal ?? ""));
        (message.tool_calls ?? []).forEach((call, k) => {
          callNames.set(call.id, call.function.name);
          const args = call.function.arguments.trim();
          const part: GeminiPart = { functionCall: { name: call.function.name, args: args === "" ? {} : (JSON.parse(args) as Record<string, unknown>) } };
          parts.push(signCalls && k === 0 ? { ...part, thoughtSignature: PLACEHOLDER_SIGNATURE } : part);
        });
        add("model", parts);
        break;
      }
      case "tool": {
        const name = callNames.get(message.tool_call_id) ?? "";
        add("user", [{ functionResponse: { name, response: responseObject(textOf(message.content)) } }]);
        break;
      }
    }
  }
  if (contents[0]?.role !== "user") return refuse("messages", "The conversation needs a user message with content before any assistant message.");
  return { ok: true, ...(system.length > 0 && { systemInstruction: { parts: system } }), contents };
}

function textParts(text: string): GeminiPart[] {
  return text.trim() === "" ? [] : [{ text }];
}

/** A tool's result as the object Gemini wants. */
function responseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Plain text: given as the output below.
  }
  return { output: text };
}

function userParts(content: string | UserPart[], at: string): GeminiPart[] | ChatRefusal {
  if (typeof content === "string") return textParts(content);
  const parts: GeminiPart[] = [];
  for (let j = 0; j < content.length; j++) {
    const part = content[j] as UserPart;
    if (part.type === "text") {
      parts.push(...textParts(part.text));
    } else if (part.type === "image_url") {
      const url = part.image_url.url;
      const inline = parseDataUrl(url);
      if (inline !== undefined) parts.push({ inlineData: inline });
      else if (isWebUrl(url)) parts.push({ fileData: { mimeType: guessMimeType(url), fileUri: url } });
      else return refuse(`${at}[${j}].image_url`, "An image must be a base64 data: URL or an http(s) URL.");
    } else {
      const media = fileMedia(part);
      if (media === undefined) return refuse(`${at}[${j}].file`, "A file must be given as base64 file_data.");
      parts.push({ inlineData: media });
    }
  }
  return parts;
}
