/**
 * The bytes the mock OpenAI upstream answers with: the Responses API's response object and its
 * stream events (`event: <type>\ndata: <json>\n\n`, each with a sequence_number, in the order the
 * API sends them), and chat completions' `chat.completion` object and `chat.completion.chunk`
 * stream (`data: <json>\n\n` … `data: [DONE]\n\n`). Shapes follow the API reference
 * (https://platform.openai.com/docs/api-reference/responses-streaming). Deciding what to answer is
 * left to mock-openai-reply.ts.
 */
import type { JsonObject } from "./mock-openai-request.js";
import { type MockOpenAIAnswer, type MockOutputItem, splitText } from "./mock-openai-reply.js";

/** The Responses API's usage object. */
export function responsesUsage(answer: MockOpenAIAnswer): JsonObject {
  const { input_tokens, cached_tokens, output_tokens, reasoning_tokens } = answer.usage;
  return { input_tokens, input_tokens_details: { cached_tokens }, output_tokens, output_tokens_details: { reasoning_tokens }, total_tokens: input_tokens + output_tokens };
}

function itemObject(item: MockOutputItem, done: boolean): JsonObject {
  const status = done ? "completed" : "in_progress";
  switch (item.type) {
    case "reasoning":
      return { id: item.id, type: "reasoning", summary: done ? [{ type: "summary_text", text: item.summary }] : [] };
    case "message":
      return { id: item.id, type: "message", status, content: done ? [textPart(item.text)] : [], role: "assistant" };
    case "function_call":
      return { id: item.id, type: "function_call", status, arguments: done ? item.arguments : "", call_id: item.callId, name: item.name };
  }
}

function textPart(text: string): JsonObject {
  return { type: "output_text", annotations: [], logprobs: [], text };
}

/** The response object; `status` "in_progress" leaves output empty and usage null, as response.created does. */
export function responseObject(answer: MockOpenAIAnswer, request: JsonObject, status: "in_progress" | "completed" | "failed", error: JsonObject | null = null): JsonObject {
  const reasoning = (request.reasoning ?? {}) as JsonObject;
  return {
    id: answer.id,
    object: "response",
    created_at: answer.createdAt,
    status,
    background: request.background ?? false,
    error,
    incomplete_details: null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    model: answer.model,
    output: status === "completed" ? answer.items.map((item) => itemObject(item, true)) : [],
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    prompt_cache_key: request.prompt_cache_key ?? null,
    reasoning: { effort: reasoning.effort ?? null, summary: reasoning.summary ?? null },
    service_tier: "default",
    store: request.store ?? true,
    temperature: request.temperature ?? 1,
    text: request.text ?? { format: { type: "text" }, verbosity: "medium" },
    tool_choice: request.tool_choice ?? "auto",
    tools: request.tools ?? [],
    top_p: request.top_p ?? 1,
    truncation: request.truncation ?? "disabled",
    usage: status === "completed" ? responsesUsage(answer) : null,
    user: request.user ?? null,
    metadata: request.metadata ?? {},
  };
}

/** The stream's events up to (not including) response.completed, as objects without sequence numbers. */
function bodyEvents(answer: MockOpenAIAnswer): JsonObject[] {
  const events: JsonObject[] = [];
  for (const [output_index, item] of answer.items.entries()) {
    events.push({ type: "response.output_item.added", output_index, item: itemObject(item, false) });
    if (item.type === "message") {
      const at = { item_id: item.id, output_index, content_index: 0 };
      events.push({ type: "response.content_part.added", ...at, part: textPart("") });
      for (const delta of splitText(item.text, answer.deltas)) events.push({ type: "response.output_text.delta", ...at, delta, logprobs: [] });
      events.push({ type: "response.output_text.done", ...at, text: item.text, logprobs: [] });
      events.push({ type: "response.content_part.done", ...at, part: textPart(item.text) });
    } else if (item.type === "function_call") {
      const at = { item_id: item.id, output_index };
      for (const delta of splitText(item.arguments, answer.deltas)) events.push({ type: "response.function_call_arguments.delta", ...at, delta });
      events.push({ type: "response.function_call_arguments.done", ...at, name: item.name, arguments: item.arguments });
    }
    events.push({ type: "response.output_item.done", output_index, item: itemObject(item, true) });
  }
  return events;
}

/** Every event of a stream that completes, in order, numbered. */
export function responseEvents(answer: MockOpenAIAnswer, request: JsonObject): JsonObject[] {
  const opening = responseObject(answer, request, "in_progress");
  const events = [
    { type: "response.created", response: opening },
    { type: "response.in_progress", response: opening },
    ...bodyEvents(answer),
    { type: "response.completed", response: responseObject(answer, request, "completed") },
  ];
  return events.map((event, sequence_number) => ({ ...event, sequence_number }));
}

/** The first `after` events of a stream, then the one that fails it: response.failed or an `error` event. */
export function failedEvents(answer: MockOpenAIAnswer, request: JsonObject, after: number, as: "response.failed" | "error", code: string, message: string): JsonObject[] {
  const events = responseEvents(answer, request).slice(0, -1).slice(0, after);
  const last: JsonObject =
    as === "error"
      ? { type: "error", code, message, param: null }
      : { type: "response.failed", response: responseObject(answer, request, "failed", { code, message }) };
  return [...events, { ...last, sequence_number: events.length }];
}

/** SSE framing of the Responses API. */
export function responsesSse(events: JsonObject[]): Buffer[] {
  return events.map((event) => Buffer.from(`event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`, "utf8"));
}

/** The chat completions usage object. */
export function chatUsage(answer: MockOpenAIAnswer): JsonObject {
  const { input_tokens, cached_tokens, output_tokens, reasoning_tokens } = answer.usage;
  return {
    prompt_tokens: input_tokens,
    completion_tokens: output_tokens,
    total_tokens: input_tokens + output_tokens,
    prompt_tokens_details: { cached_tokens, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

interface ChatParts {
  text: string | null;
  calls: Array<Extract<MockOutputItem, { type: "function_call" }>>;
}

function chatParts(answer: MockOpenAIAnswer): ChatParts {
  const message = answer.items.find((item) => item.type === "message");
  return { text: message?.type === "message" ? message.text : null, calls: answer.items.filter((item) => item.type === "function_call") };
}

function toolCall(call: ChatParts["calls"][number], index?: number): JsonObject {
  return { ...(index === undefined ? {} : { index }), id: call.callId, type: "function", function: { name: call.name, arguments: call.arguments } };
}

/** A `chat.completion` object. */
export function chatCompletion(answer: MockOpenAIAnswer): JsonObject {
  const { text, calls } = chatParts(answer);
  const message: JsonObject = { role: "assistant", content: text, refusal: null, annotations: [] };
  if (calls.length > 0) message.tool_calls = calls.map((call) => toolCall(call));
  const id = answer.id.replace(/^resp_/, "chatcmpl-");
  const choice = { index: 0, message, logprobs: null, finish_reason: calls.length > 0 ? "tool_calls" : "stop" };
  return { id, object: "chat.completion", created: answer.createdAt, model: answer.model, choices: [choice], usage: chatUsage(answer), service_tier: "default", system_fingerprint: null };
}

/** The `chat.completion.chunk` stream; with `includeUsage` every chunk has `usage: null` and a last one with no choices carries it. */
export function chatChunks(answer: MockOpenAIAnswer, includeUsage: boolean): Buffer[] {
  const { text, calls } = chatParts(answer);
  const id = answer.id.replace(/^resp_/, "chatcmpl-");
  const chunk = (delta: JsonObject, finish: string | null = null): JsonObject => ({
    id,
    object: "chat.completion.chunk",
    created: answer.createdAt,
    model: answer.model,
    service_tier: "default",
    system_fingerprint: null,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const chunks: JsonObject[] = [];
  if (calls.length === 0) {
    chunks.push(chunk({ role: "assistant", content: "", refusal: null }));
    for (const piece of splitText(text ?? "", answer.deltas)) chunks.push(chunk({ content: piece }));
  } else {
    chunks.push(chunk({ role: "assistant", content: null, tool_calls: calls.map((call, index) => ({ ...toolCall(call, index), function: { name: call.name, arguments: "" } })) }));
    for (const [index, call] of calls.entries()) for (const piece of splitText(call.arguments, answer.deltas)) chunks.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
  }
  chunks.push(chunk({}, calls.length > 0 ? "tool_calls" : "stop"));
  if (includeUsage) chunks.push({ ...chunk({}), choices: [], usage: chatUsage(answer) });
  return [...chunks.map((object) => Buffer.from(`data: ${JSON.stringify(object)}\n\n`, "utf8")), Buffer.from("data: [DONE]\n\n", "utf8")];
}

/** GET /v1/models. */
export function modelsList(models: readonly string[]): JsonObject {
  return { object: "list", data: models.map((id) => ({ id, object: "model", created: 1_700_000_000, owned_by: id.startsWith("gpt-") || id.startsWith("o") ? "system" : "openai" })) };
}
