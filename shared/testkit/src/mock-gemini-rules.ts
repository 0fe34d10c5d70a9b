/**
 * The rules a GenerateContentRequest's turns and generationConfig must follow, beyond its shape
 * (mock-gemini-request.ts checks that), as the Gemini API enforces them with 400 INVALID_ARGUMENT:
 *
 * - a turn's role is `user` or `model` (or left out, as a single-turn request may);
 * - function calling (https://ai.google.dev/gemini-api/docs/function-calling): a turn holding
 *   `functionCall` parts comes right after a user turn (a function response is one); a turn holding
 *   `functionResponse` parts comes right after the model turn with the calls, with as many responses
 *   as there were calls, each named after one of them. The API's own messages are used where known;
 * - generationConfig fields have the types of their proto fields, read as proto JSON reads them
 *   (an int32 as a whole number or its decimal string, a float as a number or numeric string, a bool
 *   as true or false, a message as an object, null as unset), `responseMimeType` is one the API
 *   allows, a response schema comes with a JSON (or enum) mime type, and temperature and topP are in
 *   range. Other generationConfig fields are not checked;
 * - a `Schema` (`responseSchema`, a function's `parameters` and `response`) holds only the fields of
 *   the API's OpenAPI subset (https://ai.google.dev/api/caching#Schema), proto JSON refusing any
 *   other name, and a known `type`; a function's OBJECT parameters have properties; function names
 *   start with a letter or an underscore. JSON Schema given as `responseJsonSchema` or
 *   `parametersJsonSchema` is not checked.
 *
 * Consecutive turns of one role are accepted, as the API accepts them.
 */
import type { GoogleErrorSpec } from "./mock-gemini-errors.js";

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A field read under its camelCase or snake_case name. */
function read(object: JsonObject, name: string): unknown {
  return object[name] ?? object[snake(name)];
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function badRequest(message: string, field?: string): GoogleErrorSpec {
  const violation = field === undefined ? { description: message } : { field, description: message };
  return { code: 400, message, details: [{ "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [violation] }] };
}

function partsWith(content: JsonObject, name: string): JsonObject[] {
  const parts = Array.isArray(content.parts) ? content.parts : [];
  return parts.filter((part): part is JsonObject => isObject(part) && isObject(read(part, name)));
}

/** The fields of the API's Schema message. */
const SCHEMA_FIELDS = new Set([
  "type",
  "format",
  "title",
  "description",
  "nullable",
  "enum",
  "maxItems",
  "minItems",
  "properties",
  "required",
  "minProperties",
  "maxProperties",
  "minLength",
  "maxLength",
  "pattern",
  "example",
  "anyOf",
  "propertyOrdering",
  "default",
  "items",
  "minimum",
  "maximum",
]);
const SCHEMA_TYPES = new Set(["TYPE_UNSPECIFIED", "STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL"]);
const FUNCTION_NAME = /^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/;

function camel(name: string): string {
  return name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/**
 * The error for a Schema the API would refuse, or undefined; `path` is the proto path the API names
 * (map entries as `properties[i].value`); `objectsNeedProperties` for function parameters.
 */
export function checkSchema(schema: unknown, path: string, objectsNeedProperties = false): GoogleErrorSpec | undefined {
  if (schema === undefined || schema === null) return undefined;
  if (!isObject(schema)) return badRequest(`Invalid value at '${path}' (type.googleapis.com/google.ai.generativelanguage.v1beta.Schema), ${JSON.stringify(schema)}`, path);
  const unknown = Object.keys(schema).find((name) => !SCHEMA_FIELDS.has(camel(name)));
  if (unknown !== undefined) return badRequest(`Invalid JSON payload received. Unknown name "${unknown}" at '${path}': Cannot find field.`, path);
  const type = schema.type;
  if (type !== undefined && (typeof type !== "string" || !SCHEMA_TYPES.has(type.toUpperCase()))) {
    return badRequest(`Invalid value at '${path}.type' (type.googleapis.com/google.ai.generativelanguage.v1beta.Type), ${JSON.stringify(type)}`, `${path}.type`);
  }
  const properties = schema.properties;
  if (objectsNeedProperties && typeof type === "string" && type.toUpperCase() === "OBJECT" && (!isObject(properties) || Object.keys(properties).length === 0)) {
    return badRequest(`* GenerateContentRequest.${path}.properties: should be non-empty for OBJECT type\n`, `${path}.properties`);
  }
  const children: Array<[unknown, string]> = Object.entries(isObject(properties) ? properties : {}).map(([, child], i) => [child, `${path}.properties[${i}].value`]);
  children.push([schema.items, `${path}.items`]);
  (Array.isArray(read(schema, "anyOf")) ? (read(schema, "anyOf") as unknown[]) : []).forEach((child, i) => children.push([child, `${path}.any_of[${i}]`]));
  for (const [child, at] of children) {
    const problem = checkSchema(child, at, objectsNeedProperties);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** The error for function declarations the API would refuse, or undefined. */
export function checkTools(tools: unknown): GoogleErrorSpec | undefined {
  if (!Array.isArray(tools)) return undefined;
  for (let i = 0; i < tools.length; i++) {
    const tool = tools[i];
    const declarations = isObject(tool) ? read(tool, "functionDeclarations") : undefined;
    if (!Array.isArray(declarations)) continue;
    for (let j = 0; j < declarations.length; j++) {
      const declaration = declarations[j];
      const path = `tools[${i}].function_declarations[${j}]`;
      if (!isObject(declaration)) continue;
      if (typeof declaration.name !== "string" || !FUNCTION_NAME.test(declaration.name)) {
        return badRequest(
          `* GenerateContentRequest.${path}.name: Invalid function name. Must start with a letter or an underscore. Must be a-z, A-Z, 0-9, or contain underscores, dots, colons and dashes, with a maximum length of 64.\n`,
          `${path}.name`,
        );
      }
      const problem = checkSchema(declaration.parameters, `${path}.parameters`, true) ?? checkSchema(declaration.response, `${path}.response`);
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

/** The error for the first turn that breaks a rule, or undefined. */
export function checkTurns(contents: JsonObject[]): GoogleErrorSpec | undefined {
  for (let i = 0; i < contents.length; i++) {
    const content = contents[i] as JsonObject;
    const role = content.role ?? "";
    if (role !== "" && role !== "user" && role !== "model") return badRequest("Please use a valid role: user, model.", `contents[${i}].role`);
    const previous = contents[i - 1];
    const previousRole = previous?.role === "model" ? "model" : "user";
    if (role === "model" && partsWith(content, "functionCall").length > 0 && (previous === undefined || previousRole !== "user")) {
      return badRequest("Please ensure that function call turn comes immediately after a user turn or after a function response turn.", `contents[${i}]`);
    }
    const responses = partsWith(content, "functionResponse");
    if (responses.length === 0) continue;
    const calls = previous !== undefined && previousRole === "model" ? partsWith(previous, "functionCall") : [];
    if (calls.length === 0) return badRequest("Please ensure that function response turn comes immediately after a function call turn.", `contents[${i}]`);
    if (responses.length !== calls.length) {
      return badRequest("Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.", `contents[${i}]`);
    }
    const names = new Set(calls.map((part) => (read(part, "functionCall") as JsonObject).name));
    for (const part of responses) {
      const name = (read(part, "functionResponse") as JsonObject).name;
      if (!names.has(name)) {
        const field = `contents[${i}].parts.function_response.name`;
        return badRequest(`* GenerateContentRequest.${field}: ${JSON.stringify(name)} answers no function call of the previous model turn.\n`, field);
      }
    }
  }
  return undefined;
}

type Kind = "int32" | "float" | "bool" | "string" | "enum" | "message" | "strings" | "enums" | "any";

/** GenerationConfig's fields and their proto types (https://ai.google.dev/api/generate-content#generationconfig). */
const CONFIG_FIELDS: Readonly<Record<string, Kind>> = {
  stopSequences: "strings",
  responseMimeType: "string",
  responseSchema: "message",
  responseJsonSchema: "any",
  responseModalities: "enums",
  candidateCount: "int32",
  maxOutputTokens: "int32",
  temperature: "float",
  topP: "float",
  topK: "int32",
  seed: "int32",
  presencePenalty: "float",
  frequencyPenalty: "float",
  responseLogprobs: "bool",
  logprobs: "int32",
  enableEnhancedCivicAnswers: "bool",
  speechConfig: "message",
  thinkingConfig: "message",
  imageConfig: "message",
  mediaResolution: "enum",
};

const THINKING_FIELDS: Readonly<Record<string, Kind>> = { includeThoughts: "bool", thinkingBudget: "int32", thinkingLevel: "enum" };

const TYPE_NAMES: Readonly<Record<Kind, string>> = {
  int32: "TYPE_INT32",
  float: "TYPE_FLOAT",
  bool: "TYPE_BOOL",
  string: "TYPE_STRING",
  enum: "TYPE_ENUM",
  message: "TYPE_MESSAGE",
  strings: "TYPE_STRING",
  enums: "TYPE_ENUM",
  any: "TYPE_MESSAGE",
};

const MIME_TYPES = ["text/plain", "application/json", "application/xml", "application/yaml", "text/x.enum"];

function fits(kind: Kind, value: unknown): boolean {
  if (value === null) return true;
  switch (kind) {
    case "int32":
      return (typeof value === "number" && Number.isInteger(value)) || (typeof value === "string" && /^-?\d+$/.test(value));
    case "float":
      return (typeof value === "number" && Number.isFinite(value)) || (typeof value === "string" && (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(value) || ["NaN", "Infinity", "-Infinity"].includes(value)));
    case "bool":
      return typeof value === "boolean";
    case "string":
      return typeof value === "string";
    case "enum":
      return typeof value === "string" || (typeof value === "number" && Number.isInteger(value));
    case "message":
      return isObject(value);
    case "strings":
      return Array.isArray(value) && value.every((item) => typeof item === "string");
    case "enums":
      return Array.isArray(value) && value.every((item) => fits("enum", item));
    case "any":
      return true;
  }
}

function checkFields(object: JsonObject, fields: Readonly<Record<string, Kind>>, path: string): GoogleErrorSpec | undefined {
  for (const [name, kind] of Object.entries(fields)) {
    const value = read(object, name);
    if (value === undefined || fits(kind, value)) continue;
    const field = `${path}.${snake(name)}`;
    return badRequest(`Invalid value at '${field}' (${TYPE_NAMES[kind]}), ${JSON.stringify(value)}`, field);
  }
  return undefined;
}

/** The error for a generationConfig the API would refuse, or undefined. */
export function checkGenerationConfig(config: unknown): GoogleErrorSpec | undefined {
  if (config === undefined || config === null) return undefined;
  if (!isObject(config)) return badRequest(`Invalid value at 'generation_config' (type.googleapis.com/google.ai.generativelanguage.v1beta.GenerationConfig), ${JSON.stringify(config)}`, "generation_config");
  const typed = checkFields(config, CONFIG_FIELDS, "generation_config");
  if (typed !== undefined) return typed;
  const thinking = read(config, "thinkingConfig");
  if (isObject(thinking)) {
    const problem = checkFields(thinking, THINKING_FIELDS, "generation_config.thinking_config");
    if (problem !== undefined) return problem;
  }
  const mime = read(config, "responseMimeType");
  if (typeof mime === "string" && mime !== "" && !MIME_TYPES.includes(mime)) {
    return badRequest(
      "* GenerateContentRequest.generation_config.response_mime_type: allowed mimetypes are `text/plain`, `application/json`, `application/xml`, `application/yaml` and `text/x.enum`.\n",
      "generation_config.response_mime_type",
    );
  }
  for (const name of ["responseSchema", "responseJsonSchema"]) {
    if (read(config, name) === undefined || read(config, name) === null || mime === "application/json" || (mime === "text/x.enum" && name === "responseSchema")) continue;
    const field = `generation_config.${snake(name)}`;
    return badRequest(`* GenerateContentRequest.${field}: a response schema needs response_mime_type application/json (or text/x.enum).\n`, field);
  }
  const schema = checkSchema(read(config, "responseSchema"), "generation_config.response_schema");
  if (schema !== undefined) return schema;
  for (const [name, max] of [["temperature", 2], ["topP", 1]] as const) {
    const value = Number(read(config, name) ?? 0);
    if (value >= 0 && value <= max) continue;
    const field = `generation_config.${snake(name)}`;
    return badRequest(`* GenerateContentRequest.${field}: must be in the range [0, ${max}].\n`, field);
  }
  return undefined;
}
