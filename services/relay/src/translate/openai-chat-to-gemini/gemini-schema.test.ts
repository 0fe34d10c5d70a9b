import { describe, expect, it } from "vitest";
import { toGeminiSchema } from "./gemini-schema.js";

describe("a JSON Schema for Gemini", () => {
  const table: Array<{ name: string; input: Record<string, unknown>; output: Record<string, unknown> }> = [
    {
      name: "keeps Gemini's fields, upper-cases types and drops unknown keywords",
      input: { $schema: "https://json-schema.org/draft/2020-12/schema", type: "object", additionalProperties: false, properties: { n: { type: "integer", minimum: 1, exclusiveMaximum: 9, format: "int32" }, s: { type: "string", format: "uri", maxLength: 5 } }, required: ["n", "ghost"] },
      output: { type: "OBJECT", properties: { n: { type: "INTEGER", minimum: 1, format: "int32" }, s: { type: "STRING", maxLength: 5 } }, required: ["n"] },
    },
    { name: "turns a type list with null into nullable", input: { type: ["string", "null"], description: "d" }, output: { type: "STRING", description: "d", nullable: true } },
    { name: "turns a type list into a choice", input: { type: ["string", "number"] }, output: { anyOf: [{ type: "STRING" }, { type: "NUMBER" }] } },
    { name: "turns anyOf with null into nullable", input: { anyOf: [{ type: "string" }, { type: "null" }] }, output: { type: "STRING", nullable: true } },
    { name: "turns oneOf into anyOf", input: { oneOf: [{ type: "string" }, { type: "integer" }] }, output: { anyOf: [{ type: "STRING" }, { type: "INTEGER" }] } },
    { name: "turns const into a one-value enum", input: { const: "fixed" }, output: { type: "STRING", enum: ["fixed"] } },
    { name: "keeps enum on strings only", input: { type: "object", properties: { a: { enum: ["x", "y", null] }, b: { type: "integer", enum: [1, 2] } } }, output: { type: "OBJECT", properties: { a: { type: "STRING", enum: ["x", "y"], nullable: true }, b: { type: "INTEGER" } } } },
    {
      name: "inlines local references and merges allOf",
      input: { type: "object", properties: { p: { $ref: "#/$defs/Point", description: "where" }, q: { allOf: [{ $ref: "#/definitions/Named" }, { properties: { age: { type: "integer" } } }] } }, $defs: { Point: { type: "object", properties: { x: { type: "number" } } } }, definitions: { Named: { type: "object", properties: { name: { type: "string" } }, required: ["name"] } } },
      output: { type: "OBJECT", properties: { p: { type: "OBJECT", description: "where", properties: { x: { type: "NUMBER" } } }, q: { type: "OBJECT", properties: { name: { type: "STRING" }, age: { type: "INTEGER" } }, required: ["name"] } } },
    },
    { name: "infers a missing type", input: { items: { properties: { a: { type: "boolean" } } } }, output: { type: "ARRAY", items: { type: "OBJECT", properties: { a: { type: "BOOLEAN" } } } } },
    { name: "turns a tuple into a choice of items", input: { type: "array", items: [{ type: "string" }, { type: "number" }], minItems: 2 }, output: { type: "ARRAY", minItems: 2, items: { anyOf: [{ type: "STRING" }, { type: "NUMBER" }] } } },
  ];
  for (const row of table) it(row.name, () => expect(toGeminiSchema(row.input)).toEqual({ ok: true, schema: row.output }));

  it("refuses a recursive reference and an unknown one", () => {
    const tree = { $ref: "#/$defs/Node", $defs: { Node: { type: "object", properties: { children: { type: "array", items: { $ref: "#/$defs/Node" } } } } } };
    expect(toGeminiSchema(tree)).toMatchObject({ ok: false, message: expect.stringContaining("recursive") });
    expect(toGeminiSchema({ $ref: "https://example.com/schema.json" })).toMatchObject({ ok: false });
  });
});
