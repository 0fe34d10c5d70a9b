import { describe, expect, it } from "vitest";
import { readCodeAssistCountTokens, wrapCodeAssistCountTokens } from "./code-assist-count-tokens.js";

const CONTENTS = '[{"role":"user","parts":[{"text":"héllo 世界 🙂"}]}]';

describe("wrapCodeAssistCountTokens", () => {
  it("puts the model first inside request, with its models/ prefix, and keeps the contents' bytes", () => {
    const out = wrapCodeAssistCountTokens({ model: "gemini-2.5-pro", body: Buffer.from(`{ "contents": ${CONTENTS} }`) });
    expect(out.toString("utf8")).toBe(`{"request":{"model":"models/gemini-2.5-pro", "contents": ${CONTENTS} }}`);
    expect(JSON.parse(out.toString("utf8"))).toEqual({ request: { model: "models/gemini-2.5-pro", contents: JSON.parse(CONTENTS) } });
  });

  it("does not double the prefix of a model given as models/…", () => {
    const out = wrapCodeAssistCountTokens({ model: "models/gemini-2.5-flash", body: Buffer.from(`{"contents":${CONTENTS}}`) });
    expect(JSON.parse(out.toString()).request.model).toBe("models/gemini-2.5-flash");
  });

  it("unwraps the generateContentRequest form and replaces its model", () => {
    const body = `{"generateContentRequest":{"model":"models/other","contents":${CONTENTS},"systemInstruction":{"parts":[{"text":"s"}]}}}`;
    const out = wrapCodeAssistCountTokens({ model: "gemini-2.5-pro", body: Buffer.from(body) });
    expect(out.toString("utf8")).toBe(`{"request":{"model":"models/gemini-2.5-pro","contents":${CONTENTS},"systemInstruction":{"parts":[{"text":"s"}]}}}`);
  });

  it.each([
    ["an empty object", "{}", '{"request":{"model":"models/m"}}'],
    ["a body with a model of its own", '{"model":"models/x","contents":[]}', '{"request":{"model":"models/m","contents":[]}}'],
    ["a body that is not an object", "[]", '{"request":[]}'],
  ])("handles %s", (_name, body, expected) => {
    expect(wrapCodeAssistCountTokens({ model: "m", body: Buffer.from(body) }).toString()).toBe(expected);
  });
});

describe("readCodeAssistCountTokens", () => {
  it("reads the CLI's countTokens request: a bare model and the inner bytes without it", () => {
    const body = `{"request":{"model":"models/gemini-2.5-pro","contents":${CONTENTS}}}`;
    expect(readCodeAssistCountTokens(Buffer.from(body))).toEqual({ ok: true, model: "gemini-2.5-pro", request: Buffer.from(`{"contents":${CONTENTS}}`) });
  });

  it("undoes a wrap byte for byte", () => {
    const body = `{ "contents": ${CONTENTS} }`;
    const result = readCodeAssistCountTokens(wrapCodeAssistCountTokens({ model: "gemini-2.5-pro", body: Buffer.from(body) }));
    expect(result.ok && result.request.toString("utf8")).toBe(`{ "contents": ${CONTENTS} }`.replace("{ ", "{"));
    expect(result.ok && result.model).toBe("gemini-2.5-pro");
  });

  it.each([
    ["not JSON", "{", "The request body is not valid JSON."],
    ["no request", "{}", "request must be a JSON object."],
    ["an array request", '{"request":[]}', "request must be a JSON object."],
    ["no model", '{"request":{"contents":[]}}', "request.model must be a non-empty string."],
    ["an empty model", '{"request":{"model":"models/"}}', "request.model must be a non-empty string."],
  ])("refuses %s", (_name, body, message) => {
    expect(readCodeAssistCountTokens(Buffer.from(body))).toEqual({ ok: false, message });
  });
});
