/**
 * A checked chat completions request (validate-chat-request.ts) → a Gemini
 * GenerateContentRequest and the path to send it to
 * (https://ai.google.dev/api/generate-content), mapped once:
 *
 * - tools → one `tools` entry of `functionDeclarations`, parameters converted
 *   by gemini-schema.ts and left out for a function without any (Gemini
 *   refuses an OBJECT without properties); names must also start with a letter
 *   or `_`, as Gemini's do (https://ai.google.dev/api/caching#FunctionDeclaration);
 * - tool_choice → `toolConfig.functionCallingConfig`: none/auto/required →
 *   NONE/AUTO/ANY, a named function → ANY with `allowedFunctionNames`;
 * - max tokens, temperature, top_p, stop, seed and the penalties →
 *   `generationConfig` (maxOutputTokens, temperature, topP, stopSequences,
 *   seed, presencePenalty, frequencyPenalty);
 * - response_format → `responseMimeType: application/json`, with the schema as
 *   `responseSchema` for json_schema. Before Gemini 3, JSON output and function
 *   calling cannot be asked for together, so that combination is refused;
 * - reasoning_effort → `thinkingConfig.thinkingBudget` (REASONING_BUDGETS) with
 *   `includeThoughts`, so thinking reaches the client; `none` → budget 0.
 *
 * The path is the Gemini API's; for a Code Assist account the lead wraps the
 * body with gemini-to-code-assist.ts, and the answer translator reads either form.
 */
import { type ChatRefusal, type ChatRequest, REASONING_BUDGETS, refuse } from "../openai-chat/chat-request.js";
import { toGeminiConversation } from "./gemini-contents.js";
import { toGeminiSchema } from "./gemini-schema.js";

/** What the answer translator needs to know about the request. */
export interface GeminiAnswerOptions {
  /** The model the client asked for; the answer names the upstream's `modelVersion` when it says one. */
  model: string;
  includeUsage: boolean;
}

/** The Gemini API call, path (under the base URL) and body, and the answer translator's options. */
export type GeminiChatPlan =
  | { ok: true; model: string; call: "generate" | "stream"; path: string; body: Buffer; answer: GeminiAnswerOptions }
  | ChatRefusal;

const GEMINI_NAME = /^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/;

/** True for models before Gemini 3, which neither need thought signatures nor mix JSON output with tools. */
export function isBeforeGemini3(model: string): boolean {
  return /^gemini-(1|2)([.-]|$)/.test(model);
}

/** Maps `request`; see the module comment. */
export function toGeminiRequest(request: ChatRequest): GeminiChatPlan {
  const model = request.model.replace(/^models\//, "");
  const legacy = isBeforeGemini3(model);
  const conversation = toGeminiConversation(request.messages, !legacy);
  if (!conversation.ok) return conversation;

  const declarations: Array<Record<string, unknown>> = [];
  for (const [i, tool] of (request.tools ?? []).entries()) {
    const { name, description, parameters } = tool.function;
    if (!GEMINI_NAME.test(name)) return refuse(`tools[${i}].function.name`, "Gemini function names start with a letter or an underscore.");
    let converted: Record<string, unknown> | undefined;
    if (parameters !== undefined) {
      const read = toGeminiSchema(parameters);
      if (!read.ok) return refuse(`tools[${i}].function.parameters`, read.message);
      if (read.schema.type !== "OBJECT") return refuse(`tools[${i}].function.parameters`, "Tool parameters must be an object schema.");
      if (Object.keys((read.schema.properties as object | undefined) ?? {}).length > 0) converted = read.schema;
    }
    declarations.push({ name, ...(description && { description }), ...(converted && { parameters: converted }) });
  }

  const format = request.response_format;
  if (format !== undefined && declarations.length > 0 && legacy) {
    return refuse("response_format", "Gemini models before Gemini 3 cannot give JSON output and call tools in one request.");
  }
  let responseSchema: Record<string, unknown> | undefined;
  if (format?.type === "json_schema" && format.json_schema.schema !== undefined) {
    const read = toGeminiSchema(format.json_schema.schema);
    if (!read.ok) return refuse("response_format.json_schema.schema", read.message);
    responseSchema = read.schema;
  }

  const effort = request.reasoning_effort;
  const thinkingConfig = effort === undefined ? undefined : effort === "none" ? { thinkingBudget: 0 } : { thinkingBudget: REASONING_BUDGETS[effort], includeThoughts: true };
  const generationConfig = {
    ...(request.maxTokens !== undefined && { maxOutputTokens: request.maxTokens }),
    ...(request.temperature !== undefined && { temperature: request.temperature }),
    ...(request.top_p !== undefined && { topP: request.top_p }),
    ...(request.stop && { stopSequences: request.stop }),
    ...(request.seed !== undefined && { seed: request.seed }),
    ...(request.presence_penalty !== undefined && { presencePenalty: request.presence_penalty }),
    ...(request.frequency_penalty !== undefined && { frequencyPenalty: request.frequency_penalty }),
    ...(format !== undefined && { responseMimeType: "application/json" }),
    ...(responseSchema && { responseSchema }),
    ...(thinkingConfig && { thinkingConfig }),
  };

  const choice = request.tool_choice;
  let functionCallingConfig: Record<string, unknown> | undefined;
  if (declarations.length > 0 && choice !== undefined) {
    if (typeof choice === "object") functionCallingConfig = { mode: "ANY", allowedFunctionNames: [choice.function.name] };
    else functionCallingConfig = { mode: choice === "required" ? "ANY" : choice.toUpperCase() };
  }

  const body = {
    contents: conversation.contents,
    ...(conversation.systemInstruction && { systemInstruction: conversation.systemInstruction }),
    ...(declarations.length > 0 && { tools: [{ functionDeclarations: declarations }] }),
    ...(functionCallingConfig && { toolConfig: { functionCallingConfig } }),
    ...(Object.keys(generationConfig).length > 0 && { generationConfig }),
  };
  const call = request.stream ? "stream" : "generate";
  const method = call === "stream" ? "streamGenerateContent?alt=sse" : "generateContent";
  return {
    ok: true,
    model,
    call,
    path: `/v1beta/models/${encodeURIComponent(model)}:${method}`,
    body: Buffer.from(JSON.stringify(body), "utf8"),
    answer: { model, includeUsage: request.includeUsage },
  };
}
