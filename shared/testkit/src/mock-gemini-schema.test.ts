import { describe, expect, it } from "vitest";
import { sampleForSchema } from "./mock-gemini-schema.js";

describe("sampleForSchema", () => {
  it.each([
    ["a JSON Schema object with every property", { type: "object", properties: { a: { type: "string" }, b: { type: "boolean" } }, required: ["a"] }, { a: "mock", b: false }],
    ["an OpenAPI object in capitals", { type: "OBJECT", properties: { n: { type: "NUMBER" }, list: { type: "ARRAY", items: { type: "INTEGER" } } } }, { n: 0, list: [0] }],
    ["the first enum value", { type: "string", enum: ["user", "model"] }, "user"],
    ["a const", { const: 42 }, 42],
    ["the first anyOf option", { anyOf: [{ type: "integer" }, { type: "string" }] }, 0],
    ["a nullable type list", { type: ["null", "string"] }, "mock"],
    ["bounds on numbers", { type: "integer", minimum: 5, maximum: 9 }, 5],
    ["an exclusive minimum", { type: "number", exclusiveMinimum: 0 }, 1],
    ["bounds on strings", { type: "string", minLength: 6, maxLength: 8 }, "mockxx"],
    ["a short maximum length", { type: "string", maxLength: 2 }, "mo"],
    ["bounds on arrays", { type: "array", items: { type: "boolean" }, minItems: 3 }, [false, false, false]],
    ["a date-time", { type: "string", format: "date-time" }, "1970-01-01T00:00:00.000Z"],
    ["an allOf merge", { allOf: [{ type: "object", properties: { a: { type: "string" } } }, { properties: { b: { type: "integer" } } }] }, { a: "mock", b: 0 }],
    ["an empty schema", {}, null],
  ])("gives %s", (_name, schema, expected) => {
    expect(sampleForSchema(schema)).toEqual(expected);
  });

  it("stops on a schema that nests itself", () => {
    const node: Record<string, unknown> = { type: "object", properties: {} };
    (node.properties as Record<string, unknown>).child = node;
    expect(JSON.stringify(sampleForSchema(node))).toContain('"child":null');
  });
});
