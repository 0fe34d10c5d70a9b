/**
 * JSON Schema (as OpenAI tools and `json_schema` carry it) → the Gemini API's
 * Schema, "a select subset of an OpenAPI 3.0 schema object"
 * (https://ai.google.dev/api/caching#Schema). Gemini refuses a field it does
 * not know, so only its fields are kept: type (upper-case names), format,
 * title, description, nullable, enum, properties, required, items, anyOf,
 * min/maxItems, min/maxLength, pattern, minimum, maximum, min/maxProperties,
 * default. The rest is left out (`additionalProperties`, `$schema`, `$id`,
 * `$comment`, `examples`, `exclusiveMinimum`, `not`, `if`, `patternProperties`,
 * `propertyNames`, …): those keywords constrain what a model may produce and
 * Gemini simply cannot be told them.
 *
 * Rewritten rather than left out: a type list with "null" → `nullable`; a
 * `{"type":"null"}` member of anyOf → `nullable`; `oneOf` → `anyOf`; `const` →
 * a one-value enum; `allOf` → its members merged; a missing type inferred from
 * `properties`, `items` or a string `enum`; local `$ref`s (`#/$defs/…`,
 * `#/definitions/…`) inlined. `required` keeps only names among `properties`
 * (Gemini refuses others); `format` only the values Gemini accepts per type;
 * `enum` only on strings. A recursive `$ref` cannot be inlined and is refused.
 */

/** The converted schema, or why it cannot be. */
export type GeminiSchemaRead = { ok: true; schema: Record<string, unknown> } | { ok: false; message: string };

const KEPT = ["title", "description", "minItems", "maxItems", "minLength", "maxLength", "pattern", "minimum", "maximum", "minProperties", "maxProperties", "default"];
const TYPES: Readonly<Record<string, string>> = { string: "STRING", number: "NUMBER", integer: "INTEGER", boolean: "BOOLEAN", array: "ARRAY", object: "OBJECT" };
const FORMATS: Readonly<Record<string, ReadonlySet<string>>> = {
  STRING: new Set(["enum", "date-time"]),
  NUMBER: new Set(["float", "double"]),
  INTEGER: new Set(["int32", "int64"]),
};
const MAX_DEPTH = 64;

class SchemaError extends Error {}

/** Converts `schema`; see the module comment. */
export function toGeminiSchema(schema: Record<string, unknown>): GeminiSchemaRead {
  const defs = { ...record(schema.definitions), ...record(schema.$defs) };
  try {
    return { ok: true, schema: convert(schema, defs, [], 0) };
  } catch (error) {
    if (error instanceof SchemaError) return { ok: false, message: error.message };
    throw error;
  }
}

function convert(node: Record<string, unknown>, defs: Record<string, unknown>, refs: string[], depth: number): Record<string, unknown> {
  if (depth > MAX_DEPTH) throw new SchemaError("The schema is nested too deeply.");
  const next = (child: unknown): Record<string, unknown> => convert(record(child), defs, refs, depth + 1);
  if (typeof node.$ref === "string") {
    const ref = node.$ref;
    const name = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(ref)?.[1];
    if (name === undefined || !(name in defs)) throw new SchemaError(`The schema reference ${ref} cannot be resolved; only local #/$defs references can.`);
    if (refs.includes(ref)) throw new SchemaError(`The schema reference ${ref} is recursive, which Gemini schemas cannot express.`);
    const { $ref: _ref, ...siblings } = node;
    return convert({ ...record(defs[name]), ...siblings }, defs, [...refs, ref], depth + 1);
  }
  if (Array.isArray(node.allOf)) {
    const { allOf, ...rest } = node;
    return convert(mergeAll([rest, ...allOf.map((member) => deref(record(member), defs))]), defs, refs, depth + 1);
  }
  const out: Record<string, unknown> = {};
  let nullable = node.nullable === true;
  let types = (Array.isArray(node.type) ? node.type : node.type === undefined ? [] : [node.type]).filter((t) => {
    if (t === "null") nullable = true;
    return t !== "null" && typeof t === "string";
  }) as string[];
  if (types.length > 1) {
    // A list of types is a choice between them.
    const { type: _type, ...rest } = node;
    return convert({ anyOf: types.map((type) => ({ ...rest, type })), ...(nullable && { nullable }) }, defs, refs, depth + 1);
  }
  const enumValues = node.const !== undefined ? [node.const] : Array.isArray(node.enum) ? node.enum : undefined;
  if (types.length === 0) {
    if (node.properties !== undefined) types = ["object"];
    else if (node.items !== undefined) types = ["array"];
    else if (enumValues?.every((v) => typeof v === "string" || v === null)) types = ["string"];
  }
  const type = types[0] === undefined ? undefined : TYPES[types[0]];
  if (type !== undefined) out.type = type;
  for (const key of KEPT) if (node[key] !== undefined) out[key] = node[key];
  if (type !== undefined && typeof node.format === "string" && FORMATS[type]?.has(node.format)) out.format = node.format;
  if (type === "STRING" && enumValues !== undefined) {
    if (enumValues.includes(null)) nullable = true;
    out.enum = enumValues.filter((v) => v !== null).map(String);
  }
  const choices = Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : undefined;
  if (choices !== undefined) {
    const members = choices.map(record).filter((member) => {
      if (member.type === "null") nullable = true;
      return member.type !== "null";
    });
    if (members.length === 1 && type === undefined) Object.assign(out, next(members[0]));
    else if (members.length > 0) out.anyOf = members.map(next);
  }
  const properties = record(node.properties);
  if (type === "OBJECT" && node.properties !== undefined) {
    out.properties = Object.fromEntries(Object.entries(properties).map(([name, child]) => [name, next(child)]));
    const required = Array.isArray(node.required) ? node.required.filter((name) => typeof name === "string" && name in properties) : [];
    if (required.length > 0) out.required = required;
  }
  if (type === "ARRAY" && node.items !== undefined) {
    // A tuple (`items` as a list) has no Gemini form; its members become a choice.
    out.items = Array.isArray(node.items) ? { anyOf: node.items.map(next) } : next(node.items);
  }
  if (nullable) out.nullable = true;
  return out;
}

/** A schema with its `$ref` followed (a few hops at most), so allOf members merge as what they name. */
function deref(node: Record<string, unknown>, defs: Record<string, unknown>): Record<string, unknown> {
  let current = node;
  for (let hop = 0; hop < 8 && typeof current.$ref === "string"; hop++) {
    const ref = current.$ref;
    const name = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(ref)?.[1];
    if (name === undefined || !(name in defs)) throw new SchemaError(`The schema reference ${ref} cannot be resolved; only local #/$defs references can.`);
    const { $ref: _ref, ...siblings } = current;
    current = { ...record(defs[name]), ...siblings };
  }
  return current;
}

/** The members of an allOf as one schema: properties and required lists joined, other keys from the first that has them. */
function mergeAll(members: Array<Record<string, unknown>>): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  const properties: Record<string, unknown> = {};
  const required: unknown[] = [];
  for (const member of members) {
    Object.assign(properties, record(member.properties));
    if (Array.isArray(member.required)) required.push(...member.required);
    for (const [key, value] of Object.entries(member)) if (!(key in merged)) merged[key] = value;
  }
  if (Object.keys(properties).length > 0) merged.properties = properties;
  if (required.length > 0) merged.required = [...new Set(required)];
  return merged;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
