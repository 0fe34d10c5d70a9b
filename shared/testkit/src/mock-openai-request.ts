/**
 * Checking a Responses or chat completions request body as the OpenAI API does before it answers:
 * a JSON object, only the top-level parameters the endpoint has (`Unknown parameter: 'foo'.`),
 * a model, and input items or messages the endpoint accepts, with every tool result answering a
 * call the conversation made. Which models exist, credentials, and what a previous response held
 * are left to the routes; the texts and codes are the API's (invalid_value, invalid_type,
 * missing_required_parameter, unknown_parameter, empty_array, previous_response_not_found).
 */
import { INVALID_JSON_MESSAGE, invalidRequest, type OpenAIErrorSpec, openAIErrorBody } from "./mock-openai-errors.js";

export type JsonObject = Record<string, unknown>;

/** Top-level parameters of POST /v1/responses (API reference, "Create a model response"). */
export const RESPONSES_PARAMETERS: ReadonlySet<string> = new Set([
  "background", "conversation", "include", "input", "instructions", "max_output_tokens", "max_tool_calls", "metadata", "model",
  "parallel_tool_calls", "previous_response_id", "prompt", "prompt_cache_key", "prompt_cache_retention", "reasoning", "safety_identifier",
  "service_tier", "store", "stream", "stream_options", "temperature", "text", "tool_choice", "tools", "top_logprobs", "top_p", "truncation",
  "user", "context_management", "client_metadata",
]);

/** Top-level parameters of POST /v1/chat/completions. */
export const CHAT_PARAMETERS: ReadonlySet<string> = new Set([
  "messages", "model", "audio", "frequency_penalty", "function_call", "functions", "logit_bias", "logprobs", "max_completion_tokens",
  "max_tokens", "metadata", "modalities", "n", "parallel_tool_calls", "prediction", "presence_penalty", "prompt_cache_key",
  "prompt_cache_retention", "reasoning_effort", "response_format", "safety_identifier", "seed", "service_tier", "stop", "store", "stream",
  "stream_options", "temperature", "tool_choice", "tools", "top_logprobs", "top_p", "user", "verbosity", "web_search_options",
]);

const MESSAGE_ROLES = ["assistant", "system", "developer", "user"] as const;
const CHAT_ROLES = ["system", "assistant", "user", "function", "tool", "developer"] as const;
const CONTENT_TYPES = ["input_text", "input_image", "input_file", "input_audio", "output_text", "refusal"] as const;
const ITEM_TYPES = [
  "message", "function_call", "function_call_output", "reasoning", "item_reference", "custom_tool_call", "custom_tool_call_output",
  "local_shell_call", "local_shell_call_output", "web_search_call", "file_search_call", "computer_call", "computer_call_output",
  "image_generation_call", "code_interpreter_call", "mcp_call", "mcp_list_tools", "mcp_approval_request", "mcp_approval_response", "compaction",
] as const;

/** The body as a JSON object, or undefined when it is not valid JSON or not an object. */
export function parseJsonObject(body: Buffer): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(body.toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  return typeof value === "object" ? "an object" : typeof value === "number" ? "a number" : `a ${typeof value}`;
}

/** `'a', 'b', and 'c'`, as the API lists supported values. */
function supported(values: readonly string[]): string {
  const quoted = values.map((value) => `'${value}'`);
  return quoted.length < 2 ? quoted.join("") : `${quoted.slice(0, -1).join(", ")}, and ${quoted.at(-1)}`;
}

function invalidValue(value: unknown, values: readonly string[], param: string): OpenAIErrorSpec {
  return invalidRequest(`Invalid value: '${String(value)}'. Supported values are: ${supported(values)}.`, param, "invalid_value");
}

function missing(param: string): OpenAIErrorSpec {
  return invalidRequest(`Missing required parameter: '${param}'.`, param, "missing_required_parameter");
}

function unknownParameter(request: JsonObject, known: ReadonlySet<string>): OpenAIErrorSpec | undefined {
  const unknown = Object.keys(request).find((key) => !known.has(key));
  return unknown === undefined ? undefined : invalidRequest(`Unknown parameter: '${unknown}'.`, unknown, "unknown_parameter");
}

/**
 * Checks a Responses request. `previousCallIds(id)` gives the call ids a stored previous response
 * made, or undefined when this credential holds no response with that id.
 */
export function checkResponsesRequest(request: JsonObject, previousCallIds: (id: string) => readonly string[] | undefined): OpenAIErrorSpec | undefined {
  const unknown = unknownParameter(request, RESPONSES_PARAMETERS);
  if (unknown) return unknown;
  if (request.model === undefined) return missing("model");
  if (typeof request.model !== "string") return invalidRequest(`Invalid type for 'model': expected a string, but got ${typeName(request.model)} instead.`, "model", "invalid_type");
  let earlier: readonly string[] = [];
  if (request.previous_response_id !== undefined && request.previous_response_id !== null) {
    const id = String(request.previous_response_id);
    const calls = previousCallIds(id);
    if (calls === undefined) return invalidRequest(`Previous response with id '${id}' not found.`, "previous_response_id", "previous_response_not_found");
    earlier = calls;
  }
  const input = request.input;
  if (input === undefined || typeof input === "string") return undefined;
  if (!Array.isArray(input)) return invalidRequest(`Invalid type for 'input': expected one of a string or array of input items, but got ${typeName(input)} instead.`, "input", "invalid_type");
  const calls = new Set(earlier);
  for (const [i, item] of input.entries()) {
    const problem = checkItem(item, `input[${i}]`, calls);
    if (problem) return problem;
  }
  return undefined;
}

function checkItem(item: unknown, at: string, calls: Set<string>): OpenAIErrorSpec | undefined {
  if (!isObject(item)) return invalidRequest(`Invalid type for '${at}': expected an input item, but got ${typeName(item)} instead.`, at, "invalid_type");
  const type = item.type ?? (item.role !== undefined ? "message" : undefined);
  if (type === undefined) return missing(`${at}.type`);
  if (!(ITEM_TYPES as readonly unknown[]).includes(type)) return invalidValue(type, ITEM_TYPES, `${at}.type`);
  switch (type) {
    case "message": {
      if (item.role === undefined) return missing(`${at}.role`);
      if (!(MESSAGE_ROLES as readonly unknown[]).includes(item.role)) return invalidValue(item.role, MESSAGE_ROLES, `${at}.role`);
      if (item.content === undefined) return missing(`${at}.content`);
      if (typeof item.content === "string") return undefined;
      if (!Array.isArray(item.content)) return invalidRequest(`Invalid type for '${at}.content': expected one of a string or array of input content, but got ${typeName(item.content)} instead.`, `${at}.content`, "invalid_type");
      for (const [j, part] of item.content.entries()) {
        const partType = isObject(part) ? part.type : undefined;
        if (!(CONTENT_TYPES as readonly unknown[]).includes(partType)) return invalidValue(partType, CONTENT_TYPES, `${at}.content[${j}].type`);
      }
      return undefined;
    }
    case "function_call":
      for (const field of ["call_id", "name", "arguments"]) if (typeof item[field] !== "string") return missing(`${at}.${field}`);
      calls.add(item.call_id as string);
      return undefined;
    case "function_call_output":
      if (typeof item.call_id !== "string") return missing(`${at}.call_id`);
      if (item.output === undefined) return missing(`${at}.output`);
      if (!calls.has(item.call_id)) return invalidRequest(`No tool call found for function call output with call_id ${item.call_id}.`, "input", null);
      return undefined;
    default:
      return undefined;
  }
}

/** Checks a chat completions request; which models exist is left to the route. */
export function checkChatRequest(request: JsonObject): OpenAIErrorSpec | undefined {
  const unknown = unknownParameter(request, CHAT_PARAMETERS);
  if (unknown) return unknown;
  if (typeof request.model !== "string") return invalidRequest("you must provide a model parameter", null, null);
  const messages = request.messages;
  if (messages === undefined) return missing("messages");
  if (!Array.isArray(messages)) return invalidRequest(`Invalid type for 'messages': expected an array of objects, but got ${typeName(messages)} instead.`, "messages", "invalid_type");
  if (messages.length === 0) return invalidRequest("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", "messages", "empty_array");
  const calls = new Set<string>();
  for (const [i, message] of messages.entries()) {
    if (!isObject(message)) return invalidRequest(`Invalid type for 'messages[${i}]': expected an object, but got ${typeName(message)} instead.`, `messages[${i}]`, "invalid_type");
    if (message.role === undefined) return missing(`messages[${i}].role`);
    if (!(CHAT_ROLES as readonly unknown[]).includes(message.role)) return invalidValue(message.role, CHAT_ROLES, `messages[${i}].role`);
    for (const call of Array.isArray(message.tool_calls) ? message.tool_calls : []) if (isObject(call) && typeof call.id === "string") calls.add(call.id);
    if (message.role === "tool" && !calls.has(String(message.tool_call_id))) {
      return invalidRequest("Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", `messages.[${i}].role`, null);
    }
  }
  if (request.stream_options !== undefined && request.stream_options !== null && request.stream !== true) {
    return invalidRequest("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options", null);
  }
  return undefined;
}

/** A request a generation route may answer, or the refusal to send instead (status and body). */
export type CheckedRequest = { ok: true; request: JsonObject } | { ok: false; status: number; body: unknown };

/**
 * Reads and checks a generation request's body for one route: the Codex backend's own checks first
 * (instructions, store:false, stream:true, in that order, as FastAPI `detail` bodies), then the
 * API's rules, then whether the model is served, refused in each route's own words.
 */
export function checkGenerateRequest(route: "responses" | "codexResponses" | "chatCompletions", body: Buffer, models: readonly string[], previousCallIds: (id: string) => readonly string[] | undefined): CheckedRequest {
  const refuse = (spec: OpenAIErrorSpec): CheckedRequest => ({ ok: false, status: spec.status, body: openAIErrorBody(spec) });
  const request = parseJsonObject(body);
  if (!request) return refuse(invalidRequest(INVALID_JSON_MESSAGE));
  if (route === "codexResponses") {
    const detail = request.instructions === undefined ? "Instructions are required" : request.store !== false ? "Store must be set to false" : request.stream !== true ? "Stream must be set to true" : undefined;
    if (detail) return { ok: false, status: 400, body: { detail } };
  }
  const problem = route === "chatCompletions" ? checkChatRequest(request) : checkResponsesRequest(request, previousCallIds);
  if (problem) return refuse(problem);
  const model = request.model as string;
  if (models.includes(model)) return { ok: true, request };
  if (route === "codexResponses") return { ok: false, status: 400, body: { detail: `The '${model}' model is not supported when using Codex with a ChatGPT account.` } };
  if (route === "responses") return refuse(invalidRequest(`The requested model '${model}' does not exist.`, "model", "model_not_found"));
  return refuse({ status: 404, message: `The model \`${model}\` does not exist or you do not have access to it.`, code: "model_not_found" });
}
