/**
 * A JSON value that fits a response schema, for answers to `responseMimeType: application/json`.
 * It reads both schema dialects a request may carry: `responseSchema` (the API's OpenAPI subset, types
 * in capitals: https://ai.google.dev/api/caching#Schema) and `responseJsonSchema` (JSON Schema, types in
 * lower case). It covers what clients' helper calls use (objects, arrays, enums, scalars, anyOf) and
 * the bounds that make a plain value invalid (minimum, minLength, minItems); `$ref`, patterns and
 * formats other than date-time are not interpreted.
 */

type Schema = Record<string, unknown>;

function isSchema(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The first type a schema names, in lower case ("object", "string", …), or undefined. */
function typeOf(schema: Schema): string | undefined {
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null" && t !== "NULL") ?? schema.type[0] : schema.type;
  if (typeof type === "string") return type.toLowerCase();
  if (isSchema(schema.properties)) return "object";
  if (schema.items !== undefined) return "array";
  return undefined;
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)) ? Number(value) : fallback;
}

/** A value valid under `schema`; `depth` stops runaway recursion in self-similar schemas. */
export function sampleForSchema(schema: unknown, depth = 0): unknown {
  if (!isSchema(schema) || depth > 16) return null;
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  for (const key of ["anyOf", "oneOf"] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) return sampleForSchema(options[0], depth + 1);
  }
  if (Array.isArray(schema.allOf)) {
    const merged: Schema = {};
    for (const part of schema.allOf) if (isSchema(part)) Object.assign(merged, part, { properties: { ...(merged.properties as Schema), ...(part.properties as Schema) } });
    return sampleForSchema(merged, depth + 1);
  }
  switch (typeOf(schema)) {
    case "object": {
      const result: Record<string, unknown> = {};
      const properties = isSchema(schema.properties) ? schema.properties : {};
      for (const [name, property] of Object.entries(properties)) result[name] = sampleForSchema(property, depth + 1);
      return result;
    }
    case "array": {
      const min = numberOr(schema.minItems, 1);
      const max = numberOr(schema.maxItems, Number.POSITIVE_INFINITY);
      const count = Math.min(Math.max(min, 1), max);
      return Array.from({ length: count }, () => sampleForSchema(schema.items, depth + 1));
    }
    case "string": {
      if (schema.format === "date-time") return new Date(0).toISOString();
      const min = numberOr(schema.minLength, 0);
      const max = numberOr(schema.maxLength, Number.POSITIVE_INFINITY);
      const base = "mock";
      const text = base.length >= min ? base : base + "x".repeat(min - base.length);
      return text.slice(0, Math.max(min, Math.min(text.length, max)));
    }
    case "integer":
    case "number": {
      const min = numberOr(schema.minimum, Number.NEGATIVE_INFINITY);
      const exclusive = schema.exclusiveMinimum;
      const floor = typeof exclusive === "number" ? Math.max(min, exclusive + 1) : exclusive === true ? min + 1 : min;
      const max = numberOr(schema.maximum, Number.POSITIVE_INFINITY);
      return Math.min(Math.max(0, floor === Number.NEGATIVE_INFINITY ? 0 : floor), max);
    }
    case "boolean":
      return false;
    default:
      return null;
  }
}
