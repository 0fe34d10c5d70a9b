/**
 * Chat messages → the `system` text and the `messages` turns of an Anthropic
 * Messages request (https://docs.anthropic.com/en/api/messages).
 *
 * It owns the turn rules the Messages API enforces, so a request it builds is
 * never refused for its shape: system and developer messages go to `system`
 * (in order, wherever they stood); roles alternate, consecutive turns of one
 * role being merged; `tool` messages become `tool_result` blocks at the head of
 * the user turn right after the assistant turn holding their `tool_use`
 * (validate-messages.ts already ensured every call is answered right after it,
 * https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use);
 * the first turn is the user's; empty or whitespace-only text is left out (the
 * API refuses empty text blocks) and a final assistant turn, a prefill, loses
 * its trailing whitespace, which the API also refuses. Tool ids are kept,
 * with any character outside Anthropic's `^[a-zA-Z0-9_-]+$` replaced, the
 * same way on the call and on its result.
 */
import { type ChatMessage, type ChatRefusal, refuse, textOf, type UserPart } from "../openai-chat/chat-request.js";
import { fileMedia, isWebUrl, parseDataUrl, sniffImageType } from "../openai-chat/content-parts.js";

/** The content blocks a mapped request uses. */
export type AnthropicBlock =
  | { type: "text"; text: string }
  | { type: "image"; source: { type: "base64"; media_type: string; data: string } | { type: "url"; url: string } }
  | { type: "document"; source: { type: "base64"; media_type: "application/pdf"; data: string }; title?: string }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> }
  | { type: "tool_result"; tool_use_id: string; content?: string };

/** One turn of `messages`. */
export interface AnthropicTurn {
  role: "user" | "assistant";
  content: AnthropicBlock[];
}

/** The system texts (one per system or developer message) and the alternating turns. */
export type AnthropicConversation = { ok: true; system: string[]; turns: AnthropicTurn[] } | ChatRefusal;

/** The image types the Messages API takes (https://docs.anthropic.com/en/docs/build-with-claude/vision). */
const IMAGE_TYPES = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);

/** Maps checked messages (validate-messages.ts) to a conversation; see the module comment. */
export function toAnthropicConversation(messages: ChatMessage[]): AnthropicConversation {
  const system: string[] = [];
  const turns: AnthropicTurn[] = [];
  const add = (role: AnthropicTurn["role"], blocks: AnthropicBlock[]): void => {
    if (blocks.length === 0) return;
    const last = turns.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as ChatMessage;
    switch (message.role) {
      case "system":
      case "developer": {
        const text = textOf(message.content);
        if (text.trim() !== "") system.push(text);
        break;
      }
      case "user": {
        const blocks = userBlocks(message.content, `messages[${i}].content`);
        if (!Array.isArray(blocks)) return blocks;
        add("user", blocks);
        break;
      }
      case "assistant": {
        const blocks: AnthropicBlock[] = textBlocks(textOf(message.content) || (message.refusal ?? ""));
        for (const call of message.tool_calls ?? []) {
          const args = call.function.arguments.trim();
          blocks.push({ type: "tool_use", id: toolId(call.id), name: call.function.name, input: args === "" ? {} : (JSON.parse(args) as Record<string, unknown>) });
        }
        add("assistant", blocks);
        break;
      }
      case "tool": {
        const text = textOf(message.content);
        add("user", [{ type: "tool_result", tool_use_id: toolId(message.tool_call_id), ...(text !== "" && { content: text }) }]);
        break;
      }
    }
  }
  trimPrefill(turns);
  if (turns[0]?.role !== "user") return refuse("messages", "The conversation needs a user message with content before any assistant message.");
  return { ok: true, system, turns };
}

/** A tool id in the characters the Messages API accepts. */
export function toolId(id: string): string {
  return id.replace(/[^a-zA-Z0-9_-]/g, "_");
}

function textBlocks(text: string): AnthropicBlock[] {
  return text.trim() === "" ? [] : [{ type: "text", text }];
}

function userBlocks(content: string | UserPart[], at: string): AnthropicBlock[] | ChatRefusal {
  if (typeof content === "string") return textBlocks(content);
  const blocks: AnthropicBlock[] = [];
  for (let j = 0; j < content.length; j++) {
    const part = content[j] as UserPart;
    const p = `${at}[${j}]`;
    if (part.type === "text") {
      blocks.push(...textBlocks(part.text));
    } else if (part.type === "image_url") {
      const url = part.image_url.url;
      const inline = parseDataUrl(url);
      if (inline !== undefined) {
        const mediaType = sniffImageType(inline.data) ?? inline.mimeType;
        if (!IMAGE_TYPES.has(mediaType)) return refuse(`${p}.image_url`, `Claude takes JPEG, PNG, GIF or WebP images, not ${mediaType}.`);
        blocks.push({ type: "image", source: { type: "base64", media_type: mediaType, data: inline.data } });
      } else if (isWebUrl(url)) {
        blocks.push({ type: "image", source: { type: "url", url } });
      } else {
        return refuse(`${p}.image_url`, "An image must be a base64 data: URL or an http(s) URL.");
      }
    } else {
      const media = fileMedia(part);
      if (media?.mimeType !== "application/pdf") return refuse(`${p}.file`, "Claude takes PDF files only, as base64 file_data.");
      blocks.push({ type: "document", source: { type: "base64", media_type: "application/pdf", data: media.data }, ...(part.file.filename && { title: part.file.filename }) });
    }
  }
  return blocks;
}

/** A final assistant turn may not end with whitespace; drop what trimming empties. */
function trimPrefill(turns: AnthropicTurn[]): void {
  const last = turns.at(-1);
  if (last?.role !== "assistant") return;
  const block = last.content.at(-1);
  if (block?.type !== "text") return;
  block.text = block.text.trimEnd();
}
