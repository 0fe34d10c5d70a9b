/**
 * A checked chat completions request (validate-chat-request.ts) → the body of
 * `POST /v1/messages` (https://docs.anthropic.com/en/api/messages), mapped once.
 *
 * - `max_tokens` is required by the Messages API: the client's
 *   `max_completion_tokens`/`max_tokens`, else DEFAULT_MAX_TOKENS.
 * - `reasoning_effort` becomes `thinking: {type: "enabled", budget_tokens}`
 *   (REASONING_BUDGETS), and `max_tokens` is raised above the
 *   budget when it is not already, since it counts thinking too
 *   (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking).
 *   Thinking refuses a temperature other than 1, top_p below 0.95, a forced
 *   tool and a prefilled answer; those combinations are refused here. A
 *   request continuing a tool loop (it ends with tool results) is sent without
 *   thinking: the API then wants the signed thinking block of the turn that
 *   made the calls, which chat completions have no field to carry back.
 * - `response_format` json_object/json_schema is asked for as a forced tool,
 *   JSON_TOOL, whose input schema is the client's schema (an object, as
 *   Anthropic tool inputs are): the API parses a tool's input, so the answer
 *   is always well-formed JSON and steered by the schema, where an instruction
 *   in the system prompt only asks for it. The answer translator hands that
 *   tool's input to the client as the message content. With user tools the
 *   choice is `any`, so the model either calls one of them or answers through
 *   JSON_TOOL; with thinking, where the API refuses a forced tool, the choice
 *   stays `auto` and the system prompt asks for the answer through the tool.
 */
import type { ChatRefusal, ChatRequest, FunctionTool } from "../openai-chat/chat-request.js";
import { REASONING_BUDGETS, refuse } from "../openai-chat/chat-request.js";
import { type AnthropicTurn, toAnthropicConversation } from "./anthropic-messages.js";

/** The name of the tool a JSON answer is asked for through; a client tool of this name is refused. */
export const JSON_TOOL = "json_response";

/** `max_tokens` when the client gave none. */
export const DEFAULT_MAX_TOKENS = 4096;

/** What the answer translator needs to know about the request. */
export interface AnthropicAnswerOptions {
  /** The model the client asked for; the answer names the upstream's when it says one. */
  model: string;
  includeUsage: boolean;
  /** True when a JSON answer was asked for through JSON_TOOL. */
  jsonTool: boolean;
}

/** The upstream path and body, and the options of the answer translator. */
export type AnthropicChatPlan = { ok: true; path: "/v1/messages"; body: Buffer; answer: AnthropicAnswerOptions } | ChatRefusal;

type ToolChoiceOut = { type: "auto" | "any" | "none" } | { type: "tool"; name: string };

/** Maps `request`; see the module comment. */
export function toAnthropicRequest(request: ChatRequest): AnthropicChatPlan {
  const conversation = toAnthropicConversation(request.messages);
  if (!conversation.ok) return conversation;
  // The Messages API refuses a stop sequence of only whitespace ("\n", say), which OpenAI takes; dropping it would change the answer.
  if (request.stop?.some((stop) => stop.trim() === "")) return refuse("stop", "Claude models take no stop sequence made only of whitespace.");
  const { turns } = conversation;
  const system = [...conversation.system];
  const effort = request.reasoning_effort;
  const budget = effort === undefined || effort === "none" ? undefined : REASONING_BUDGETS[effort];
  const json = request.response_format !== undefined;
  const choice = request.tool_choice;
  if (budget !== undefined) {
    if (request.temperature !== undefined && request.temperature !== 1) return refuse("temperature", "With reasoning_effort, Claude models take no temperature other than 1.");
    if (request.top_p !== undefined && request.top_p < 0.95) return refuse("top_p", "With reasoning_effort, Claude models take top_p of 0.95 or more only.");
    if (choice !== undefined && choice !== "auto" && (json || choice !== "none")) return refuse("tool_choice", "With reasoning_effort, Claude models cannot be made to call a tool.");
    if (turns.at(-1)?.role === "assistant") return refuse("messages", "With reasoning_effort, Claude models cannot continue a prefilled assistant message.");
  }
  const thinking = budget !== undefined && !continuesToolLoop(turns) ? budget : undefined;

  const tools: Array<{ name: string; description?: string; input_schema: Record<string, unknown> }> = [];
  for (let i = 0; i < (request.tools ?? []).length; i++) {
    const tool = (request.tools as FunctionTool[])[i] as FunctionTool;
    if (json && tool.function.name === JSON_TOOL) return refuse(`tools[${i}].function.name`, `${JSON_TOOL} is reserved for response_format.`);
    const schema = objectSchema(tool.function.parameters);
    if (schema === undefined) return refuse(`tools[${i}].function.parameters`, "Tool parameters must be an object schema.");
    tools.push({ name: tool.function.name, ...(tool.function.description && { description: tool.function.description }), input_schema: schema });
  }
  const userTools = tools.length > 0;
  if (request.response_format !== undefined) {
    const format = request.response_format;
    const spec = format.type === "json_schema" ? format.json_schema : undefined;
    const schema = objectSchema(spec?.schema);
    if (schema === undefined) return refuse("response_format.json_schema.schema", "Claude models answer JSON objects only; the schema must describe an object.");
    const about = spec?.description ? ` ${spec.description}` : "";
    tools.push({ name: JSON_TOOL, description: `Give the final answer as this tool's input.${about}`, input_schema: schema });
    if (thinking !== undefined) system.push(`Give your final answer by calling the ${JSON_TOOL} tool, with the answer as its input.`);
  }

  let toolChoice: ToolChoiceOut | undefined;
  if (json && thinking === undefined) {
    if (typeof choice === "object") toolChoice = { type: "tool", name: choice.function.name };
    else if (choice === "required" || (userTools && choice !== "none")) toolChoice = { type: "any" };
    else toolChoice = { type: "tool", name: JSON_TOOL };
  } else if (typeof choice === "object") {
    toolChoice = { type: "tool", name: choice.function.name };
  } else if (choice !== undefined && tools.length > 0) {
    toolChoice = { type: choice === "required" ? "any" : choice };
  }
  if (request.parallel_tool_calls === false && tools.length > 0) {
    if (toolChoice === undefined) toolChoice = { type: "auto" };
    if (toolChoice.type !== "none") Object.assign(toolChoice, { disable_parallel_tool_use: true });
  }

  let maxTokens = request.maxTokens ?? DEFAULT_MAX_TOKENS;
  if (thinking !== undefined && maxTokens <= thinking) maxTokens = thinking + (request.maxTokens ?? DEFAULT_MAX_TOKENS);
  const userId = request.user ?? request.safety_identifier;
  const body = {
    model: request.model,
    max_tokens: maxTokens,
    ...(system.length > 0 && { system: system.join("\n\n") }),
    messages: turns,
    ...(tools.length > 0 && { tools }),
    ...(toolChoice && { tool_choice: toolChoice }),
    ...(thinking !== undefined && { thinking: { type: "enabled", budget_tokens: thinking } }),
    ...(request.temperature !== undefined && { temperature: request.temperature }),
    // top_p of 1 changes nothing, and some models refuse temperature and top_p together.
    ...(request.top_p !== undefined && request.top_p !== 1 && { top_p: request.top_p }),
    ...(request.stop && { stop_sequences: request.stop }),
    ...(userId !== undefined && { metadata: { user_id: userId } }),
    stream: request.stream,
  };
  return {
    ok: true,
    path: "/v1/messages",
    body: Buffer.from(JSON.stringify(body), "utf8"),
    answer: { model: request.model, includeUsage: request.includeUsage, jsonTool: json },
  };
}

/** True when the conversation ends with the results of the assistant's last tool calls. */
function continuesToolLoop(turns: AnthropicTurn[]): boolean {
  const last = turns.at(-1);
  return last?.role === "user" && last.content[0]?.type === "tool_result";
}

/** A tool input schema: the client's, which must describe an object (`type` added when absent); `{type:"object"}` when none. */
function objectSchema(schema: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (schema === undefined) return { type: "object", properties: {} };
  if (schema.type === undefined) return { type: "object", ...schema };
  return schema.type === "object" ? schema : undefined;
}
