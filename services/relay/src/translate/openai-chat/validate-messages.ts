/**
 * Checks the `messages` of a chat completions request and copies them into
 * the typed form of chat-request.ts, keeping only the fields a target reads.
 *
 * It owns the conversation rules both targets rely on, so their translators
 * never produce a request the upstream would refuse: every part is one a
 * target can carry; the first message after the system ones is the user's;
 * every assistant `tool_calls` entry is answered by a `tool` message right
 * after it (OpenAI refuses the same, "An assistant message with 'tool_calls'
 * must be followed by tool messages responding to each 'tool_call_id'"), and no
 * `tool` message answers a call that was not made; call arguments are JSON
 * objects, the only arguments Claude (`tool_use.input`) and Gemini
 * (`functionCall.args`) take. Message `name` has no counterpart upstream and
 * is not read. Roles and parts: https://platform.openai.com/docs/api-reference/chat/create#chat-create-messages.
 */
import { type ChatMessage, type ChatRefusal, refuse, type TextPart, type ToolCall, type UserPart } from "./chat-request.js";

type Read<T> = { ok: true; value: T } | ChatRefusal;

/** The checked messages, or the first problem found. */
export function validateMessages(value: unknown): Read<ChatMessage[]> {
  if (!Array.isArray(value) || value.length === 0) return refuse("messages", "messages must be a non-empty array.");
  const out: ChatMessage[] = [];
  /** Calls of the last assistant message still waiting for their `tool` message. */
  let pending = new Set<string>();
  let pendingFrom = -1;
  let sawConversation = false;
  for (let i = 0; i < value.length; i++) {
    const at = `messages[${i}]`;
    const raw: unknown = value[i];
    if (!isObject(raw)) return refuse(at, `${at} must be an object.`);
    const role = raw.role;
    if (role !== "tool" && pending.size > 0) return unanswered(pendingFrom, pending);
    if (role === "user" || role === "assistant" || role === "tool") {
      if (!sawConversation && role !== "user") return refuse(`${at}.role`, "The first message after the system and developer messages must be a user message.");
      sawConversation = true;
    }
    let read: Read<ChatMessage>;
    switch (role) {
      case "system":
      case "developer":
        read = textMessage(raw, at, (content) => ({ role, content }));
        break;
      case "user":
        read = userMessage(raw, at);
        break;
      case "assistant":
        read = assistantMessage(raw, at);
        if (read.ok && read.value.role === "assistant" && read.value.tool_calls) {
          pending = new Set(read.value.tool_calls.map((call) => call.id));
          pendingFrom = i;
        }
        break;
      case "tool": {
        const id = raw.tool_call_id;
        if (typeof id !== "string" || !pending.has(id)) {
          return refuse(`${at}.tool_call_id`, "A tool message must answer a tool call of the assistant message right before it.");
        }
        pending.delete(id);
        read = textMessage(raw, at, (content) => ({ role: "tool", content, tool_call_id: id }));
        break;
      }
      case "function":
        return refuse(`${at}.role`, "The 'function' role is deprecated and not supported; use 'tool' messages.");
      default:
        return refuse(`${at}.role`, `${at}.role must be one of system, developer, user, assistant, tool.`);
    }
    if (!read.ok) return read;
    out.push(read.value);
  }
  if (pending.size > 0) return unanswered(pendingFrom, pending);
  if (!sawConversation) return refuse("messages", "messages must include a user message.");
  return { ok: true, value: out };
}

function unanswered(index: number, ids: Set<string>): ChatRefusal {
  return refuse(`messages[${index}].tool_calls`, `Every tool call needs a tool message right after it; unanswered: ${[...ids].join(", ")}.`);
}

function textMessage<T extends ChatMessage>(raw: Record<string, unknown>, at: string, make: (content: string | TextPart[]) => T): Read<T> {
  const content = textContent(raw.content, `${at}.content`);
  return content.ok ? { ok: true, value: make(content.value) } : content;
}

function textContent(value: unknown, at: string): Read<string | TextPart[]> {
  if (typeof value === "string") return { ok: true, value };
  if (!Array.isArray(value)) return refuse(at, `${at} must be a string or an array of text parts.`);
  const parts: TextPart[] = [];
  for (let j = 0; j < value.length; j++) {
    const part: unknown = value[j];
    if (!isObject(part) || part.type !== "text" || typeof part.text !== "string") return refuse(`${at}[${j}]`, `${at}[${j}] must be a text part.`);
    parts.push({ type: "text", text: part.text });
  }
  return { ok: true, value: parts };
}

function userMessage(raw: Record<string, unknown>, at: string): Read<ChatMessage> {
  const content = raw.content;
  if (typeof content === "string") return { ok: true, value: { role: "user", content } };
  if (!Array.isArray(content)) return refuse(`${at}.content`, `${at}.content must be a string or an array of parts.`);
  const parts: UserPart[] = [];
  for (let j = 0; j < content.length; j++) {
    const p = `${at}.content[${j}]`;
    const part: unknown = content[j];
    if (!isObject(part)) return refuse(p, `${p} must be an object.`);
    if (part.type === "text" && typeof part.text === "string") {
      parts.push({ type: "text", text: part.text });
    } else if (part.type === "image_url" && isObject(part.image_url) && typeof part.image_url.url === "string") {
      parts.push({ type: "image_url", image_url: { url: part.image_url.url } });
    } else if (part.type === "file" && isObject(part.file)) {
      if (typeof part.file.file_data !== "string") return refuse(`${p}.file`, "Only files given inline as file_data are supported; uploaded files (file_id) are not available here.");
      const filename = typeof part.file.filename === "string" ? { filename: part.file.filename } : {};
      parts.push({ type: "file", file: { file_data: part.file.file_data, ...filename } });
    } else if (part.type === "input_audio") {
      return refuse(`${p}.type`, "Audio input is not supported by this model.");
    } else {
      return refuse(p, `${p} must be a text, image_url or file part.`);
    }
  }
  return { ok: true, value: { role: "user", content: parts } };
}

function assistantMessage(raw: Record<string, unknown>, at: string): Read<ChatMessage> {
  if (raw.audio !== undefined && raw.audio !== null) return refuse(`${at}.audio`, "Audio answers are not supported by this model.");
  if (raw.function_call !== undefined && raw.function_call !== null) return refuse(`${at}.function_call`, "function_call is deprecated and not supported; use tool_calls.");
  const message: Extract<ChatMessage, { role: "assistant" }> = { role: "assistant" };
  const content = raw.content;
  if (Array.isArray(content)) {
    const parts: Array<TextPart | { type: "refusal"; refusal: string }> = [];
    for (let j = 0; j < content.length; j++) {
      const part: unknown = content[j];
      if (isObject(part) && part.type === "text" && typeof part.text === "string") parts.push({ type: "text", text: part.text });
      else if (isObject(part) && part.type === "refusal" && typeof part.refusal === "string") parts.push({ type: "refusal", refusal: part.refusal });
      else return refuse(`${at}.content[${j}]`, `${at}.content[${j}] must be a text or refusal part.`);
    }
    message.content = parts;
  } else if (typeof content === "string") {
    message.content = content;
  } else if (content !== undefined && content !== null) {
    return refuse(`${at}.content`, `${at}.content must be a string, an array of parts or null.`);
  }
  if (typeof raw.refusal === "string") message.refusal = raw.refusal;
  if (raw.tool_calls !== undefined && raw.tool_calls !== null) {
    const calls = toolCalls(raw.tool_calls, `${at}.tool_calls`);
    if (!calls.ok) return calls;
    if (calls.value.length > 0) message.tool_calls = calls.value;
  }
  if (message.content === undefined && message.tool_calls === undefined && message.refusal === undefined) {
    return refuse(`${at}.content`, "An assistant message needs content or tool_calls.");
  }
  return { ok: true, value: message };
}

function toolCalls(value: unknown, at: string): Read<ToolCall[]> {
  if (!Array.isArray(value)) return refuse(at, `${at} must be an array.`);
  const calls: ToolCall[] = [];
  const ids = new Set<string>();
  for (let k = 0; k < value.length; k++) {
    const p = `${at}[${k}]`;
    const call: unknown = value[k];
    if (!isObject(call) || (call.type !== undefined && call.type !== "function") || !isObject(call.function)) return refuse(p, `${p} must be a function call.`);
    const { id } = call;
    const { name, arguments: args } = call.function;
    if (typeof id !== "string" || id === "" || ids.has(id)) return refuse(`${p}.id`, `${p}.id must be a non-empty id, unique in its message.`);
    if (typeof name !== "string" || name === "") return refuse(`${p}.function.name`, `${p}.function.name is required.`);
    if (typeof args !== "string" || !isJsonObjectText(args)) return refuse(`${p}.function.arguments`, `${p}.function.arguments must be the text of a JSON object.`);
    ids.add(id);
    calls.push({ id, type: "function", function: { name, arguments: args } });
  }
  return { ok: true, value: calls };
}

/** True for the text of a JSON object, and for "" (a call without arguments). */
function isJsonObjectText(text: string): boolean {
  if (text.trim() === "") return true;
  try {
    return isObject(JSON.parse(text));
  } catch {
    return false;
  }
}

/** True for a plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
