import { describe, expect, it } from "vitest";
import { jsonBodyTranslator, sseDataTranslator, sseToJsonArrayTranslator } from "./response-translators.js";
import type { ResponseTranslator } from "../providers/provider.js";

const upper = (data: string) => data.toUpperCase();

/** Runs `input` through a fresh translator cut at every byte offset, and checks each run gives the same bytes. */
function everySplit(make: () => ResponseTranslator, input: string, status = 200): string {
  const bytes = Buffer.from(input, "utf8");
  const outputs = new Set<string>();
  for (let cut = 0; cut <= bytes.length; cut++) {
    const t = make();
    t.headers(status, { "content-type": "text/event-stream", "content-length": String(bytes.length) });
    const out = [t.push(bytes.subarray(0, cut)), t.push(bytes.subarray(cut)), t.end()];
    outputs.add(Buffer.concat(out).toString("utf8"));
  }
  expect(outputs.size).toBe(1);
  return [...outputs][0] as string;
}

describe("sseDataTranslator", () => {
  const cases: Array<{ name: string; input: string; output: string }> = [
    { name: "maps each event's data, CRLF framed", input: 'data: {"a":1}\r\n\r\ndata: {"b":"ü"}\r\n\r\n', output: 'data: {"A":1}\r\n\r\ndata: {"B":"Ü"}\r\n\r\n' },
    { name: "reads LF framing and comments", input: ': hi\ndata: x\n\n', output: "data: X\r\n\r\n" },
    { name: "drops an event cut off before its blank line", input: "data: x\n\ndata: y", output: "data: X\r\n\r\n" },
    { name: "gives nothing for nothing", input: "", output: "" },
  ];
  for (const c of cases) it(c.name, () => expect(everySplit(() => sseDataTranslator(upper), c.input)).toBe(c.output));

  it("passes an error answer through untouched, headers and bytes", () => {
    const t = sseDataTranslator(upper);
    expect(t.headers(429, { "content-type": "application/json", "content-length": "9" })).toEqual({ "content-type": "application/json", "content-length": "9" });
    expect(t.push(Buffer.from("data: raw")).toString()).toBe("data: raw");
    expect(t.end().length).toBe(0);
  });

  it("drops the content length of a mapped answer and names the event stream", () => {
    expect(sseDataTranslator(upper).headers(200, { "content-length": "5", "x-a": "1" })).toEqual({ "content-type": "text/event-stream", "x-a": "1" });
  });
});

describe("sseToJsonArrayTranslator", () => {
  const cases: Array<{ name: string; input: string; output: string }> = [
    { name: "writes the events as one JSON array", input: 'data: {"a":1}\r\n\r\ndata: {"b":2}\r\n\r\n', output: '[{"A":1},\r\n{"B":2}]' },
    { name: "writes an empty array for an empty stream", input: "", output: "[]" },
  ];
  for (const c of cases) it(c.name, () => expect(everySplit(() => sseToJsonArrayTranslator(upper), c.input)).toBe(c.output));

  it("says the answer is JSON", () => {
    expect(sseToJsonArrayTranslator(upper).headers(200, { "content-type": "text/event-stream" })["content-type"]).toContain("application/json");
  });
});

describe("jsonBodyTranslator", () => {
  it("maps the whole body once, wherever it was cut", () => {
    expect(everySplit(() => jsonBodyTranslator(upper), '{"text":"grüße"}')).toBe('{"TEXT":"GRÜSSE"}');
  });

  it("passes an error body through", () => {
    expect(everySplit(() => jsonBodyTranslator(upper), '{"error":{}}', 400)).toBe('{"error":{}}');
  });
});
