/**
 * Reads a chat completions body and decides, parameter by parameter, whether
 * the target (a Claude or a Gemini account) can honour it. Nothing is dropped
 * without a word: a parameter either reaches the target, is refused with a 400
 * naming it, or is one of the few that change nothing about the answer
 * (`metadata`, `service_tier` auto/default, `stream_options.include_obfuscation`,
 * message `name`, image `detail`, `strict`, whose guarantee both targets give
 * only as best effort). A parameter the relay does not know is refused, as
 * OpenAI refuses unknown arguments. `null` counts as absent, as in the API.
 * Parameters: https://platform.openai.com/docs/api-reference/chat/create.
 *
 * The rules that depend on how two parameters combine on one target (thinking
 * with temperature on Claude, say) belong to that target's translator.
 */
import { type ChatRefusal, type ChatRequest, type ChatTarget, refuse } from "./chat-request.js";
import { validateTools } from "./validate-tools.js";
import { isObject, validateMessages } from "./validate-messages.js";

/** The checked request, or why it cannot be served. */
export type ChatRequestRead = { ok: true; request: ChatRequest } | ChatRefusal;

type Rule = (value: unknown, out: ChatRequest, target: ChatTarget) => ChatRefusal | undefined;

const EFFORTS = new Set(["none", "minimal", "low", "medium", "high"]);

/** Every top-level parameter the relay knows; whatever is not here is refused. */
const RULES: Readonly<Record<string, Rule>> = {
  model: () => undefined, // read first, below
  messages: () => undefined, // read first, below
  tools: () => undefined, // read with tool_choice, below
  tool_choice: () => undefined,
  stream: (v, out) => (typeof v === "boolean" ? void (out.stream = v) : refuse("stream", "stream must be a boolean.")),
  stream_options: () => undefined, // needs `stream`, below
  max_tokens: (v, out) => positiveInt(v, "max_tokens", (n) => (out.maxTokens ??= n)),
  max_completion_tokens: (v, out) => positiveInt(v, "max_completion_tokens", (n) => (out.maxTokens = n)),
  temperature: (v, out, target) => {
    const top = target === "anthropic" ? 1 : 2;
    if (typeof v !== "number" || v < 0 || v > top) {
      return refuse("temperature", target === "anthropic" ? "temperature must be between 0 and 1 for Claude models." : "temperature must be between 0 and 2.");
    }
    out.temperature = v;
  },
  top_p: (v, out) => (typeof v === "number" && v >= 0 && v <= 1 ? void (out.top_p = v) : refuse("top_p", "top_p must be between 0 and 1.")),
  n: (v) => (v === 1 ? undefined : refuse("n", "Only one choice per request is supported (n must be 1).")),
  stop: (v, out, target) => {
    const list = typeof v === "string" ? [v] : v;
    if (!Array.isArray(list) || !list.every((s) => typeof s === "string" && s !== "")) return refuse("stop", "stop must be a string or an array of non-empty strings.");
    if (target === "gemini" && list.length > 5) return refuse("stop", "Gemini models take at most 5 stop sequences.");
    if (list.length > 0) out.stop = list as string[];
  },
  user: (v, out) => stringInto(v, "user", (s) => (out.user = s)),
  safety_identifier: (v, out) => stringInto(v, "safety_identifier", (s) => (out.safety_identifier = s)),
  prompt_cache_key: (v, out) => stringInto(v, "prompt_cache_key", (s) => (out.prompt_cache_key = s)),
  parallel_tool_calls: (v, out) => (typeof v === "boolean" ? void (out.parallel_tool_calls = v) : refuse("parallel_tool_calls", "parallel_tool_calls must be a boolean.")),
  response_format: (v, out) => responseFormat(v, out),
  reasoning_effort: (v, out) => {
    if (typeof v !== "string" || !EFFORTS.has(v)) return refuse("reasoning_effort", "reasoning_effort must be one of none, minimal, low, medium, high.");
    out.reasoning_effort = v as ChatRequest["reasoning_effort"];
  },
  seed: (v, out, target) => {
    if (!Number.isInteger(v)) return refuse("seed", "seed must be an integer.");
    if (target === "anthropic") return refuse("seed", "Claude models do not support seed.");
    out.seed = v as number;
  },
  presence_penalty: (v, out, target) => penalty(v, "presence_penalty", target, (n) => (out.presence_penalty = n)),
  frequency_penalty: (v, out, target) => penalty(v, "frequency_penalty", target, (n) => (out.frequency_penalty = n)),
  logit_bias: (v) => (isObject(v) && Object.keys(v).length === 0 ? undefined : refuse("logit_bias", "logit_bias is not supported by this model.")),
  logprobs: (v) => (v === false ? undefined : refuse("logprobs", "logprobs are not supported by this model.")),
  top_logprobs: (v) => (v === 0 ? undefined : refuse("top_logprobs", "logprobs are not supported by this model.")),
  metadata: (v) => (isObject(v) ? undefined : refuse("metadata", "metadata must be an object.")),
  store: (v) => (v === false ? undefined : refuse("store", "Stored completions are not supported here.")),
  service_tier: (v) => (v === "auto" || v === "default" ? undefined : refuse("service_tier", "Only the auto and default service tiers are supported.")),
  modalities: (v) => (Array.isArray(v) && v.every((m) => m === "text") ? undefined : refuse("modalities", "Only text output is supported.")),
  verbosity: (v) => (v === "medium" ? undefined : refuse("verbosity", "verbosity is not supported by this model.")),
  audio: () => refuse("audio", "Audio output is not supported."),
  prediction: () => refuse("prediction", "Predicted outputs are not supported."),
  web_search_options: () => refuse("web_search_options", "Web search is not supported here."),
  functions: () => refuse("functions", "functions is deprecated and not supported; use tools."),
  function_call: () => refuse("function_call", "function_call is deprecated and not supported; use tool_choice."),
};

/** Parses `body` (JSON text or an already parsed value) and checks it for `target`; see the module comment. */
export function validateChatRequest(body: Buffer | string | unknown, target: ChatTarget): ChatRequestRead {
  let value: unknown = body;
  if (typeof body === "string" || Buffer.isBuffer(body)) {
    try {
      value = JSON.parse(body.toString());
    } catch {
      return refuse(null, "The request body is not valid JSON.");
    }
  }
  if (!isObject(value)) return refuse(null, "The request body must be a JSON object.");
  if (typeof value.model !== "string" || value.model === "") return refuse("model", "model is required.");
  const messages = validateMessages(value.messages);
  if (!messages.ok) return messages;
  const out: ChatRequest = { model: value.model, messages: messages.value, stream: false, includeUsage: false };
  for (const [name, field] of Object.entries(value)) {
    const rule = RULES[name];
    if (rule === undefined) return refuse(name, `Unrecognized request argument supplied: ${name}.`);
    if (field === null || field === undefined) continue;
    const problem = rule(field, out, target);
    if (problem !== undefined) return problem;
  }
  const options = value.stream_options;
  if (options !== undefined && options !== null) {
    if (!out.stream) return refuse("stream_options", "stream_options is only allowed when stream is true.");
    if (!isObject(options) || (options.include_usage !== undefined && typeof options.include_usage !== "boolean")) {
      return refuse("stream_options", "stream_options.include_usage must be a boolean.");
    }
    out.includeUsage = options.include_usage === true;
  }
  const tools = validateTools(value.tools, value.tool_choice, out.parallel_tool_calls, target);
  if (!tools.ok) return tools;
  if (tools.tools) out.tools = tools.tools;
  if (tools.toolChoice) out.tool_choice = tools.toolChoice;
  return { ok: true, request: out };
}

function positiveInt(v: unknown, name: string, set: (n: number) => void): ChatRefusal | undefined {
  if (!Number.isInteger(v) || (v as number) < 1) return refuse(name, `${name} must be a positive integer.`);
  set(v as number);
}

function stringInto(v: unknown, name: string, set: (s: string) => void): ChatRefusal | undefined {
  if (typeof v !== "string") return refuse(name, `${name} must be a string.`);
  if (v !== "") set(v);
}

function penalty(v: unknown, name: string, target: ChatTarget, set: (n: number) => void): ChatRefusal | undefined {
  if (typeof v !== "number" || v < -2 || v > 2) return refuse(name, `${name} must be between -2 and 2.`);
  if (v === 0) return undefined;
  if (target === "anthropic") return refuse(name, `Claude models do not support ${name}.`);
  set(v);
}

function responseFormat(v: unknown, out: ChatRequest): ChatRefusal | undefined {
  if (!isObject(v)) return refuse("response_format", "response_format must be an object.");
  if (v.type === "text") return undefined;
  if (v.type === "json_object") {
    out.response_format = { type: "json_object" };
    return undefined;
  }
  if (v.type !== "json_schema") return refuse("response_format.type", "response_format.type must be text, json_object or json_schema.");
  const spec = v.json_schema;
  if (!isObject(spec) || typeof spec.name !== "string" || !/^[a-zA-Z0-9_-]{1,64}$/.test(spec.name)) {
    return refuse("response_format.json_schema.name", "json_schema.name is required: letters, digits, _ and -, at most 64.");
  }
  if (spec.schema !== undefined && spec.schema !== null && !isObject(spec.schema)) return refuse("response_format.json_schema.schema", "json_schema.schema must be an object.");
  out.response_format = {
    type: "json_schema",
    json_schema: {
      name: spec.name,
      ...(typeof spec.description === "string" && { description: spec.description }),
      ...(isObject(spec.schema) && { schema: spec.schema }),
    },
  };
  return undefined;
}
