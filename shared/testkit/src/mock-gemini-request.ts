/**
 * Reading and checking a GenerateContentRequest as the real services do before they answer: a JSON
 * object, only the fields the request message has (proto JSON parsing refuses unknown names, in
 * camelCase or snake_case), and non-empty `contents` whose turns, function declarations and
 * generationConfig follow the API's rules (mock-gemini-rules.ts). It also derives what an answer depends on:
 * the prompt's token count, whether JSON is asked for and with which schema, whether thoughts are
 * to be included, and whether the last turn answers a function call. Answering is left to
 * mock-gemini-reply.ts.
 */
import { contentsMissingError, type GoogleErrorSpec, invalidJsonError, unknownFieldError } from "./mock-gemini-errors.js";
import { checkGenerationConfig, checkTools, checkTurns } from "./mock-gemini-rules.js";
import { mockGeminiTokens } from "./mock-gemini-wire.js";

/** A parsed JSON object. */
export type JsonObject = Record<string, unknown>;

/** GenerateContentRequest's fields in the Gemini API (https://ai.google.dev/api/generate-content#request-body). */
const GEMINI_FIELDS = ["model", "contents", "tools", "toolConfig", "safetySettings", "systemInstruction", "generationConfig", "cachedContent"];

/** The Vertex-shaped request Code Assist wraps (the CLI's packages/core/src/code_assist/converter.ts). */
const CODE_ASSIST_INNER_FIELDS = [...GEMINI_FIELDS, "labels", "sessionId"];

/** The Code Assist envelope of generateContent and streamGenerateContent. */
const CODE_ASSIST_ENVELOPE_FIELDS = ["model", "project", "userPromptId", "request", "enabledCreditTypes"];

/** countTokens in the Gemini API (https://ai.google.dev/api/tokens#request-body). */
const COUNT_TOKENS_FIELDS = ["contents", "generateContentRequest"];

/** The field sets a request body is checked against. */
export const REQUEST_FIELDS = {
  gemini: GEMINI_FIELDS,
  codeAssistInner: CODE_ASSIST_INNER_FIELDS,
  codeAssistEnvelope: CODE_ASSIST_ENVELOPE_FIELDS,
  countTokens: COUNT_TOKENS_FIELDS,
} as const;

/** The body as a JSON object, or undefined when it is not one. */
export function parseJsonObject(body: Buffer | string): JsonObject | undefined {
  try {
    const parsed: unknown = JSON.parse(typeof body === "string" ? body : body.toString("utf8"));
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a value is a JSON object (not null, not an array). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function camelCase(name: string): string {
  return name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** The first field of `object` that is not in `allowed` (snake_case spellings count as their camelCase names). */
export function unknownField(object: JsonObject, allowed: readonly string[]): string | undefined {
  return Object.keys(object).find((name) => !allowed.includes(camelCase(name)));
}

/** The error the service would answer a generate request with, or undefined when it is acceptable. */
export function checkGenerateRequest(request: unknown, allowed: readonly string[]): GoogleErrorSpec | undefined {
  if (!isObject(request)) return invalidJsonError();
  const unknown = unknownField(request, allowed);
  if (unknown !== undefined) return unknownFieldError(unknown);
  const contents = request.contents;
  if (!Array.isArray(contents) || contents.length === 0) return contentsMissingError();
  if (contents.some((content) => !isObject(content) || !Array.isArray(content.parts))) {
    return { code: 400, message: "* GenerateContentRequest.contents: contents.parts must not be empty.\n" };
  }
  return checkTurns(contents as JsonObject[]) ?? checkTools(request.tools) ?? checkGenerationConfig(field(request, "generationConfig"));
}

/** A field read under its camelCase or snake_case name. */
export function field(object: JsonObject, name: string): unknown {
  return object[name] ?? object[name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)];
}

/** The prompt's token count: contents, system instruction and tools, about one token per 4 bytes. */
export function promptTokens(request: JsonObject): number {
  const counted = { contents: request.contents, systemInstruction: field(request, "systemInstruction"), tools: request.tools };
  return Math.max(1, mockGeminiTokens(JSON.stringify(counted)));
}

/** The schema a JSON answer must fit, `{}` when JSON is asked for without one, undefined when JSON is not asked for. */
export function jsonSchemaOf(request: JsonObject): unknown {
  const config = field(request, "generationConfig");
  if (!isObject(config) || field(config, "responseMimeType") !== "application/json") return undefined;
  return field(config, "responseJsonSchema") ?? field(config, "responseSchema") ?? {};
}

/** Whether the request asked for thought summaries (generationConfig.thinkingConfig.includeThoughts). */
export function includesThoughts(request: JsonObject): boolean {
  const config = field(request, "generationConfig");
  const thinking = isObject(config) ? field(config, "thinkingConfig") : undefined;
  return isObject(thinking) && field(thinking, "includeThoughts") === true;
}

/** Whether the last turn sends back the result of a call to `name` (a functionResponse part). */
export function answersFunctionCall(request: JsonObject, name: string): boolean {
  const contents = request.contents;
  const last: unknown = Array.isArray(contents) ? contents[contents.length - 1] : undefined;
  if (!isObject(last) || !Array.isArray(last.parts)) return false;
  return last.parts.some((part) => isObject(part) && isObject(field(part, "functionResponse")) && (field(part, "functionResponse") as JsonObject).name === name);
}

/** The function declaration named `name` among the request's tools, or undefined. */
export function declaredFunction(request: JsonObject, name: string): JsonObject | undefined {
  for (const tool of Array.isArray(request.tools) ? request.tools : []) {
    const declarations = isObject(tool) ? field(tool, "functionDeclarations") : undefined;
    for (const declaration of Array.isArray(declarations) ? declarations : []) {
      if (isObject(declaration) && declaration.name === name) return declaration;
    }
  }
  return undefined;
}

/** The function a request forces (toolConfig.functionCallingConfig mode ANY): the first allowed one, else the first declared. */
export function forcedFunction(request: JsonObject): string | undefined {
  const toolConfig = field(request, "toolConfig");
  const config = isObject(toolConfig) ? field(toolConfig, "functionCallingConfig") : undefined;
  if (!isObject(config) || config.mode !== "ANY") return undefined;
  const allowed = field(config, "allowedFunctionNames");
  if (Array.isArray(allowed) && typeof allowed[0] === "string") return allowed[0];
  for (const tool of Array.isArray(request.tools) ? request.tools : []) {
    const declarations = isObject(tool) ? field(tool, "functionDeclarations") : undefined;
    const first: unknown = Array.isArray(declarations) ? declarations[0] : undefined;
    if (isObject(first) && typeof first.name === "string") return first.name;
  }
  return undefined;
}

/** A model id without its `models/` prefix. */
export function bareModel(model: string): string {
  return model.startsWith("models/") ? model.slice("models/".length) : model;
}
