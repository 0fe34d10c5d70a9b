/**
 * Checking a Messages API request (`POST /v1/messages`, `/v1/messages/count_tokens`) as the real API
 * does before it answers, so a test learns when a client or a translator sends what Anthropic would
 * refuse with 400 invalid_request_error. The messages name the field the way the API's do
 * (`messages.2.content.0: …`). The rules checked (https://docs.anthropic.com/en/api/messages):
 *
 * - `model`; `max_tokens` (messages only) a positive integer; `messages` a non-empty list; `temperature`
 *   and `top_p` between 0 and 1; stop sequences that are not empty or only whitespace;
 * - roles `user` and `assistant`. Claude Code also sends `role: "system"` messages, which the API takes:
 *   they are accepted and left out of the turn rules below. Consecutive turns of one role are accepted
 *   too (the API joins them into one turn), so the rules read joined turns;
 * - the first turn is the user's; every turn but a final assistant one has content; text blocks hold
 *   non-whitespace text; a final assistant turn does not end with whitespace;
 * - tool use (https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use): a
 *   `tool_result` answers a `tool_use` id of the assistant turn right before it, results come first in
 *   their turn, and every `tool_use` is answered in the next turn; tool names and ids match the API's
 *   patterns, custom tools have an object `input_schema`, `tool_choice` names a declared tool;
 * - images have a base64 source whose media type is one the API takes and whose bytes are that type,
 *   or a URL (or Files API) source;
 * - thinking (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking): `budget_tokens`
 *   ≥ 1024 and below `max_tokens`; no forced tool, temperature other than 1 or top_p below 0.95 with it;
 *   with `enabled` thinking, an assistant turn whose tool use is being answered starts with its thinking.
 *
 * Unknown top-level fields pass (Claude Code sends `context_management`, `output_config` and more), as do
 * block types not named above. Answering is left to mock-reply.ts.
 */

/** A parsed JSON object. */
export type JsonObject = Record<string, unknown>;

/** Whether a value is a JSON object (not null, not an array). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** One content block and where it stands in the request. */
interface PlacedBlock {
  block: JsonObject;
  /** e.g. `messages.2.content.0` */
  at: string;
}

/** Consecutive messages of one role, joined as the API joins them. */
export interface Turn {
  role: "user" | "assistant";
  /** index of the turn's first message in `messages` */
  index: number;
  blocks: PlacedBlock[];
}

const ROLES = new Set(["user", "assistant", "system"]);
const IMAGE_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"];
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;
const TOOL_ID = /^[a-zA-Z0-9_-]+$/;
const MIN_THINKING_BUDGET = 1024;
const THINKING_DOCS = "Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking";

/** The problem the API would answer 400 for, or undefined when it would accept the request. */
export function checkMessagesRequest(request: JsonObject, route: "messages" | "count_tokens"): string | undefined {
  if (typeof request.model !== "string" || request.model === "") return "model: Field required";
  if (route === "messages") {
    const maxTokens = request.max_tokens;
    if (maxTokens === undefined) return "max_tokens: Field required";
    if (typeof maxTokens !== "number" || !Number.isInteger(maxTokens)) return "max_tokens: Input should be a valid integer";
    if (maxTokens < 1) return "max_tokens: Input should be greater than or equal to 1";
  }
  const messages = request.messages;
  if (messages === undefined) return "messages: Field required";
  if (!Array.isArray(messages)) return "messages: Input should be a valid list";
  if (messages.length === 0) return "messages: at least one message is required";
  const read = readTurns(messages);
  if (typeof read === "string") return read;
  return checkSystem(request.system) ?? checkTurns(read) ?? checkTools(request) ?? checkSampling(request) ?? checkThinking(request, read, route) ?? checkMetadata(request.metadata);
}

/** The turns of a request's messages (system messages left out); `[]` when they are not readable. */
export function turnsOf(request: JsonObject): Turn[] {
  const read = Array.isArray(request.messages) ? readTurns(request.messages) : [];
  return typeof read === "string" ? [] : read;
}

/** Whether the request turns thinking on (`enabled` or `adaptive`). */
export function thinkingOn(request: JsonObject): boolean {
  const thinking = request.thinking;
  return isObject(thinking) && (thinking.type === "enabled" || thinking.type === "adaptive");
}

/** The custom tools the request declares, by name. */
export function declaredTools(request: JsonObject): Map<string, JsonObject> {
  const tools = new Map<string, JsonObject>();
  for (const tool of Array.isArray(request.tools) ? request.tools : []) {
    if (isObject(tool) && typeof tool.name === "string" && isObject(tool.input_schema)) tools.set(tool.name, tool);
  }
  return tools;
}

/** The tool the request forces (`tool_choice` `tool`, or `any`: the first declared), or undefined. */
export function forcedTool(request: JsonObject): JsonObject | undefined {
  const choice = request.tool_choice;
  if (!isObject(choice)) return undefined;
  const tools = declaredTools(request);
  if (choice.type === "tool" && typeof choice.name === "string") return tools.get(choice.name);
  if (choice.type === "any") return tools.values().next().value;
  return undefined;
}

/** The `tool_use` blocks of the assistant turn that the last (user) turn answers with tool results. */
export function answeredToolUses(request: JsonObject): JsonObject[] {
  const turns = turnsOf(request);
  const last = turns.at(-1);
  const before = turns.at(-2);
  if (last?.role !== "user" || before?.role !== "assistant") return [];
  const answered = new Set(last.blocks.filter(({ block }) => block.type === "tool_result").map(({ block }) => block.tool_use_id));
  return before.blocks.map(({ block }) => block).filter((block) => block.type === "tool_use" && answered.has(block.id));
}

function readTurns(messages: unknown[]): Turn[] | string {
  const turns: Turn[] = [];
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    if (!isObject(message)) return `messages.${i}: Input should be a valid dictionary`;
    if (typeof message.role !== "string" || !ROLES.has(message.role)) return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    const content = message.content;
    if (content === undefined) return `messages.${i}.content: Field required`;
    if (typeof content !== "string" && !Array.isArray(content)) return `messages.${i}.content: Input should be a valid string or a list of content blocks`;
    const blocks: PlacedBlock[] = [];
    if (typeof content === "string") {
      if (content !== "") blocks.push({ block: { type: "text", text: content }, at: `messages.${i}.content` });
    } else {
      for (let j = 0; j < content.length; j++) {
        const block = content[j];
        const at = `messages.${i}.content.${j}`;
        if (!isObject(block)) return `${at}: Input should be a valid dictionary`;
        if (typeof block.type !== "string") return `${at}.type: Field required`;
        const problem = checkBlock(block, at);
        if (problem !== undefined) return problem;
        blocks.push({ block, at });
      }
    }
    if (message.role === "system") continue;
    const role = message.role as Turn["role"];
    const last = turns.at(-1);
    if (last?.role === role) last.blocks.push(...blocks);
    else turns.push({ role, index: i, blocks });
  }
  return turns;
}

function checkBlock(block: JsonObject, at: string): string | undefined {
  switch (block.type) {
    case "text":
      if (typeof block.text !== "string") return `${at}.text: Field required`;
      if (block.text === "") return "messages: text content blocks must be non-empty";
      if (block.text.trim() === "") return "messages: text content blocks must contain non-whitespace text";
      return undefined;
    case "image":
      return checkImageSource(block.source, `${at}.image.source`);
    case "tool_use":
      if (typeof block.id !== "string" || !TOOL_ID.test(block.id)) return `${at}.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'`;
      if (typeof block.name !== "string" || !TOOL_NAME.test(block.name)) return `${at}.tool_use.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`;
      return isObject(block.input) ? undefined : `${at}.tool_use.input: Input should be a valid dictionary`;
    case "tool_result":
      if (typeof block.tool_use_id !== "string" || !TOOL_ID.test(block.tool_use_id)) return `${at}.tool_result.tool_use_id: String should match pattern '^[a-zA-Z0-9_-]+$'`;
      if (block.content !== undefined && typeof block.content !== "string" && !Array.isArray(block.content)) return `${at}.tool_result.content: Input should be a valid string or a list`;
      return undefined;
    default:
      return undefined;
  }
}

function checkImageSource(source: unknown, at: string): string | undefined {
  if (!isObject(source)) return `${at}: Field required`;
  switch (source.type) {
    case "base64": {
      const type = source.media_type;
      if (typeof type !== "string" || !IMAGE_TYPES.includes(type)) return `${at}.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`;
      const data = source.data;
      if (typeof data !== "string" || data === "") return `${at}.base64.data: Field required`;
      if (data.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(data)) return `${at}.base64.data: Invalid base64 data`;
      const actual = imageTypeOf(Buffer.from(data, "base64"));
      if (actual === undefined) return `${at}.base64.data: Could not process image`;
      return actual === type ? undefined : `${at}.base64.data: Image does not match the provided media type ${type}`;
    }
    case "url":
      return typeof source.url === "string" && /^https?:\/\/\S+$/i.test(source.url) ? undefined : `${at}.url.url: Input should be a valid URL`;
    case "file":
      return typeof source.file_id === "string" && source.file_id !== "" ? undefined : `${at}.file.file_id: Field required`;
    default:
      return `${at}: Input tag '${String(source.type)}' found using 'type' does not match any of the expected tags: 'base64', 'url', 'file'`;
  }
}

/** The media type an image's first bytes say, or undefined for bytes of none the API takes. */
export function imageTypeOf(bytes: Buffer): string | undefined {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "image/png";
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg";
  const head = bytes.subarray(0, 12).toString("latin1");
  if (head.startsWith("GIF87a") || head.startsWith("GIF89a")) return "image/gif";
  if (head.startsWith("RIFF") && head.slice(8, 12) === "WEBP") return "image/webp";
  return undefined;
}

function checkSystem(system: unknown): string | undefined {
  if (system === undefined || typeof system === "string") return undefined;
  if (!Array.isArray(system)) return "system: Input should be a valid string or a list of text blocks";
  for (let j = 0; j < system.length; j++) {
    const block = system[j];
    if (!isObject(block) || block.type !== "text" || typeof block.text !== "string") return `system.${j}: Input should be a text block`;
    if (block.text.trim() === "") return "system: text content blocks must contain non-whitespace text";
  }
  return undefined;
}

function checkTurns(turns: Turn[]): string | undefined {
  if (turns[0]?.role !== "user") return 'messages: first message must use the "user" role';
  for (let k = 0; k < turns.length; k++) {
    const turn = turns[k] as Turn;
    const final = k === turns.length - 1;
    if (turn.blocks.length === 0 && !(final && turn.role === "assistant")) {
      return `messages.${turn.index}: all messages must have non-empty content except for the optional final assistant message`;
    }
    if (turn.role === "user") {
      const problem = checkToolResults(turn, turns[k - 1]);
      if (problem !== undefined) return problem;
      continue;
    }
    const next = turns[k + 1];
    const uses = turn.blocks.filter(({ block }) => block.type === "tool_use").map(({ block }) => block.id as string);
    if (next !== undefined) {
      const answered = new Set(next.blocks.filter(({ block }) => block.type === "tool_result").map(({ block }) => block.tool_use_id));
      const missing = uses.filter((id) => !answered.has(id));
      if (missing.length > 0) {
        return `messages.${turn.index}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(", ")}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
      }
    }
    const last = turn.blocks.at(-1)?.block;
    if (final && last?.type === "text" && typeof last.text === "string" && /\s$/.test(last.text)) return "messages: final assistant content cannot end with trailing whitespace";
  }
  return undefined;
}

function checkToolResults(turn: Turn, previous: Turn | undefined): string | undefined {
  const offered = new Set(previous?.blocks.filter(({ block }) => block.type === "tool_use").map(({ block }) => block.id) ?? []);
  let seenOther = false;
  for (const { block, at } of turn.blocks) {
    if (block.type !== "tool_result") {
      seenOther = true;
      continue;
    }
    if (!offered.has(block.tool_use_id)) {
      return `${at}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(block.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
    }
    if (seenOther) {
      const count = offered.size;
      return `messages.${turn.index}: Did not find ${count} tool_result block(s) at the beginning of this message. Messages following tool_use blocks must begin with a matching number of tool_result blocks.`;
    }
  }
  return undefined;
}

function checkTools(request: JsonObject): string | undefined {
  const tools = request.tools;
  if (tools !== undefined && !Array.isArray(tools)) return "tools: Input should be a valid list";
  const names = new Set<string>();
  for (let i = 0; i < (tools ?? []).length; i++) {
    const tool = (tools as unknown[])[i];
    if (!isObject(tool)) return `tools.${i}: Input should be a valid dictionary`;
    if (typeof tool.name !== "string" || !TOOL_NAME.test(tool.name)) return `tools.${i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`;
    if (names.has(tool.name)) return `tools: Tool names must be unique. Duplicate: ${tool.name}`;
    names.add(tool.name);
    // Server tools (web_search_…, bash_…) carry a versioned type and no schema.
    if (tool.type !== undefined && tool.type !== "custom") continue;
    if (!isObject(tool.input_schema)) return `tools.${i}.custom.input_schema: Field required`;
    if (tool.input_schema.type !== "object") return `tools.${i}.custom.input_schema.type: Input should be 'object'`;
  }
  const choice = request.tool_choice;
  if (choice === undefined) return undefined;
  if (!isObject(choice) || !["auto", "any", "tool", "none"].includes(choice.type as string)) {
    return "tool_choice: Input tag found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'";
  }
  if ((choice.type === "any" || choice.type === "tool") && names.size === 0) return `tool_choice: \`tool_choice\` of type '${choice.type}' requires \`tools\``;
  if (choice.type === "tool" && (typeof choice.name !== "string" || !names.has(choice.name))) return `tool_choice.name: Tool '${String(choice.name)}' was not found in \`tools\``;
  return undefined;
}

function checkSampling(request: JsonObject): string | undefined {
  const stops = request.stop_sequences;
  if (stops !== undefined) {
    if (!Array.isArray(stops) || stops.some((stop) => typeof stop !== "string")) return "stop_sequences: Input should be a valid list of strings";
    if (stops.some((stop) => stop === "")) return "stop_sequences: each stop sequence must be non-empty";
    if (stops.some((stop) => (stop as string).trim() === "")) return "stop_sequences: each stop sequence must contain non-whitespace";
  }
  for (const name of ["temperature", "top_p"] as const) {
    const value = request[name];
    if (value === undefined) continue;
    if (typeof value !== "number") return `${name}: Input should be a valid number`;
    if (value < 0) return `${name}: Input should be greater than or equal to 0`;
    if (value > 1) return `${name}: Input should be less than or equal to 1`;
  }
  return undefined;
}

function checkThinking(request: JsonObject, turns: Turn[], route: "messages" | "count_tokens"): string | undefined {
  const thinking = request.thinking;
  if (thinking === undefined) return undefined;
  if (!isObject(thinking) || !["enabled", "disabled", "adaptive"].includes(thinking.type as string)) {
    return "thinking: Input tag found using 'type' does not match any of the expected tags: 'enabled', 'disabled', 'adaptive'";
  }
  if (thinking.type === "enabled") {
    const budget = thinking.budget_tokens;
    if (budget === undefined) return "thinking.enabled.budget_tokens: Field required";
    if (typeof budget !== "number" || !Number.isInteger(budget)) return "thinking.enabled.budget_tokens: Input should be a valid integer";
    if (budget < MIN_THINKING_BUDGET) return `thinking.enabled.budget_tokens: Input should be greater than or equal to ${MIN_THINKING_BUDGET}`;
    if (route === "messages" && budget >= (request.max_tokens as number)) return `\`max_tokens\` must be greater than \`thinking.budget_tokens\`. ${THINKING_DOCS}#max-tokens-and-context-window-size`;
  }
  if (!thinkingOn(request)) return undefined;
  const choice = request.tool_choice;
  if (isObject(choice) && (choice.type === "any" || choice.type === "tool")) return "Thinking may not be enabled when `tool_choice` forces tool use.";
  if (request.temperature !== undefined && request.temperature !== 1) return `\`temperature\` may only be set to 1 when thinking is enabled. ${THINKING_DOCS}#feature-compatibility`;
  if (typeof request.top_p === "number" && request.top_p < 0.95) return `\`top_p\` must be greater than or equal to 0.95 or unset when thinking is enabled. ${THINKING_DOCS}#feature-compatibility`;
  if (thinking.type === "enabled") return checkThinkingFirst(turns);
  return undefined;
}

/** With thinking enabled, an assistant turn whose tool use the last turn answers must open with its thinking. */
function checkThinkingFirst(turns: Turn[]): string | undefined {
  const last = turns.at(-1);
  const before = turns.at(-2);
  if (last?.role !== "user" || before?.role !== "assistant" || !last.blocks.some(({ block }) => block.type === "tool_result")) return undefined;
  const first = before.blocks[0];
  if (first === undefined || first.block.type === "thinking" || first.block.type === "redacted_thinking") return undefined;
  return (
    `${first.at}.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${String(first.block.type)}\`. When \`thinking\` is enabled, a final \`assistant\` message ` +
    "must start with a thinking block (preceding the lastmost set of `tool_use` and `tool_result` blocks). To avoid this requirement, disable `thinking`."
  );
}

function checkMetadata(metadata: unknown): string | undefined {
  if (metadata === undefined) return undefined;
  if (!isObject(metadata)) return "metadata: Input should be a valid dictionary";
  if (metadata.user_id !== undefined && metadata.user_id !== null && typeof metadata.user_id !== "string") return "metadata.user_id: Input should be a valid string";
  return undefined;
}
