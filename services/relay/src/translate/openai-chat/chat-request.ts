/**
 * The OpenAI chat completions request (`POST /v1/chat/completions`) as the
 * relay reads it, after validate-chat-request.ts accepted it: only the fields a
 * Claude or Gemini account can honour are typed here, and every one of them is
 * checked before a translator reads it, so the translators need no defensive
 * code. Field names and meanings follow the API reference,
 * https://platform.openai.com/docs/api-reference/chat/create.
 */

/** A text part; the only part system, developer and tool messages may have. */
export interface TextPart {
  type: "text";
  text: string;
}

/** An image by URL: `data:<mime>;base64,…` or http(s). `detail` has no counterpart upstream and is not read. */
export interface ImagePart {
  type: "image_url";
  image_url: { url: string; detail?: "auto" | "low" | "high" };
}

/** A file given inline (`file_data`: a `data:` URL or bare base64 of a PDF); `file_id` is refused. */
export interface FilePart {
  type: "file";
  file: { file_data: string; filename?: string };
}

/** A part of an earlier assistant answer that the model refused to give. */
export interface RefusalPart {
  type: "refusal";
  refusal: string;
}

/** A part of a user message. */
export type UserPart = TextPart | ImagePart | FilePart;

/** A call the assistant made in an earlier turn; `arguments` is a JSON object's text (checked). */
export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** Instructions: `system`, or `developer` as newer OpenAI models call it; both become the target's system text. */
export interface SystemMessage {
  role: "system" | "developer";
  content: string | TextPart[];
  name?: string;
}

/** A user turn. */
export interface UserMessage {
  role: "user";
  content: string | UserPart[];
  name?: string;
}

/** An earlier answer: text, a refusal, and the tool calls it made. */
export interface AssistantMessage {
  role: "assistant";
  content?: string | Array<TextPart | RefusalPart> | null;
  refusal?: string | null;
  tool_calls?: ToolCall[];
  name?: string;
}

/** A tool's result for one call of the assistant message before it. */
export interface ToolMessage {
  role: "tool";
  content: string | TextPart[];
  tool_call_id: string;
}

/** Any message of a checked request. */
export type ChatMessage = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

/** A function the model may call; `parameters` is a JSON Schema object. */
export interface FunctionTool {
  type: "function";
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

/** Whether and which tool the model must call. */
export type ToolChoice = "none" | "auto" | "required" | { type: "function"; function: { name: string } };

/** The form of the answer: free text, any JSON object, or JSON of a schema. */
export type ResponseFormat =
  | { type: "text" }
  | { type: "json_object" }
  | { type: "json_schema"; json_schema: { name: string; description?: string; schema?: Record<string, unknown> } };

/** How hard the model should think; `none` asks for no thinking at all. */
export type ReasoningEffort = "none" | "minimal" | "low" | "medium" | "high";

/**
 * Thinking budget in tokens per `reasoning_effort` (`none` asks for none): 1024
 * is Anthropic's smallest budget, 24576 the largest Gemini 2.5 Flash takes.
 */
export const REASONING_BUDGETS: Readonly<Record<Exclude<ReasoningEffort, "none">, number>> = { minimal: 1024, low: 2048, medium: 8192, high: 24576 };

/** A request both targets can serve; optional fields are absent when the client sent them as null. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream: boolean;
  /** `stream_options.include_usage`: a last chunk with empty `choices` carries the usage. */
  includeUsage: boolean;
  /** `max_completion_tokens`, else the older `max_tokens`. */
  maxTokens?: number;
  temperature?: number;
  top_p?: number;
  /** Normalised from a string or a list. */
  stop?: string[];
  user?: string;
  tools?: FunctionTool[];
  tool_choice?: ToolChoice;
  parallel_tool_calls?: boolean;
  response_format?: ResponseFormat;
  reasoning_effort?: ReasoningEffort;
  /** Only for a Gemini target; refused for Claude. */
  seed?: number;
  /** Only for a Gemini target; refused for Claude unless 0. */
  presence_penalty?: number;
  /** Only for a Gemini target; refused for Claude unless 0. */
  frequency_penalty?: number;
  /** A client's cache key (`prompt_cache_key`), used only as a session hint. */
  prompt_cache_key?: string;
  /** A stable id of the end user (`safety_identifier`), used like `user`. */
  safety_identifier?: string;
}

/** Which kind of account will serve the request; decides what may be refused. */
export type ChatTarget = "anthropic" | "gemini";

/** Why a request cannot be served, in the shape of an OpenAI 400 (`param` names the field, `null` for the body). */
export interface ChatRefusal {
  ok: false;
  status: 400;
  param: string | null;
  message: string;
}

/** A refusal naming `param`. */
export function refuse(param: string | null, message: string): ChatRefusal {
  return { ok: false, status: 400, param, message };
}

/** The text of a content that may only hold text parts (refusal parts count as text). */
export function textOf(content: string | Array<TextPart | RefusalPart> | null | undefined): string {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  return content.map((part) => (part.type === "text" ? part.text : part.refusal)).join("");
}
