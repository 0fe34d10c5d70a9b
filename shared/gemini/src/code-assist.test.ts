import { afterEach, describe, expect, it, vi } from "vitest";
import {
  readCodeAssistRequest,
  replaceCodeAssistProject,
  unwrapCodeAssistResponse,
  wrapCodeAssistRequest,
  wrapCodeAssistResponse,
} from "./code-assist.js";

const scanBroken = vi.hoisted(() => ({ value: false }));
vi.mock("./json-members.js", async (importOriginal) => {
  const actual = await importOriginal<typeof import("./json-members.js")>();
  return { ...actual, scanJsonObject: (text: string) => (scanBroken.value ? undefined : actual.scanJsonObject(text)) };
});

/** A Gemini API request as a client might write it: odd spacing, non-ASCII text, a trailing newline. */
const BODY = '{ "contents": [{"role": "user", "parts": [{"text": "héllo 世界 🙂 \\"}\\""}]}],\n  "generationConfig": {"thinkingConfig": {"includeThoughts": true}} }\n';

/** A v1internal request in the shape the Gemini CLI's converter produces. */
const CLI_REQUEST = JSON.stringify({
  model: "gemini-2.5-pro",
  project: "inspired-nomad-x7k2p",
  user_prompt_id: "3f0c9d4e-8c1b-4f6e-9a51-2f4c7b1d9e00########4",
  request: {
    contents: [{ role: "user", parts: [{ text: "héllo 世界 🙂" }] }],
    systemInstruction: { role: "user", parts: [{ text: "You are a CLI." }] },
    generationConfig: { temperature: 0, thinkingConfig: { includeThoughts: true } },
    session_id: "3f0c9d4e-8c1b-4f6e-9a51-2f4c7b1d9e00",
  },
});

afterEach(() => {
  scanBroken.value = false;
});

describe("wrapCodeAssistRequest", () => {
  it("writes the CLI's envelope around the client's bytes, with the session id last inside request", () => {
    const out = wrapCodeAssistRequest({ model: "gemini-2.5-pro", project: "p-1", body: Buffer.from(BODY), userPromptId: "s########1", sessionId: "s" });
    const bodyWithSession = BODY.replace("}} }\n", '}},"session_id":"s" }\n');
    expect(out.toString("utf8")).toBe(`{"model":"gemini-2.5-pro","project":"p-1","user_prompt_id":"s########1","request":${bodyWithSession}}`);
    const parsed = JSON.parse(out.toString("utf8"));
    expect(Object.keys(parsed)).toEqual(["model", "project", "user_prompt_id", "request"]);
    expect(parsed.request).toEqual({ ...JSON.parse(BODY), session_id: "s" });
  });

  it("puts the body in byte for byte when no session id is given, and leaves out a missing prompt id", () => {
    const body = Buffer.from(BODY);
    const out = wrapCodeAssistRequest({ model: "models/gemini-2.5-flash", project: "p", body });
    expect(out.toString("utf8")).toBe(`{"model":"gemini-2.5-flash","project":"p","request":${BODY}}`);
    expect(out.subarray(out.indexOf('"request":') + '"request":'.length, -1).equals(body)).toBe(true);
  });

  it.each([
    ["an empty object", "{}", '{"session_id":"s"}'],
    ["an object with whitespace", ' { "contents" : [] } ', ' { "contents" : [],"session_id":"s" } '],
    ["a body that already has a session id", '{"session_id":"mine","contents":[]}', '{"session_id":"mine","contents":[]}'],
    ["a body that is not an object", "[1,2]", "[1,2]"],
    ["a body that is not JSON", "{oops", "{oops"],
  ])("handles the session id for %s", (_name, body, request) => {
    const out = wrapCodeAssistRequest({ model: "m", project: "p", body: Buffer.from(body), sessionId: "s" });
    expect(out.toString()).toBe(`{"model":"m","project":"p","request":${request}}`);
  });

  it("escapes ids so that they cannot break out of their strings", () => {
    const out = wrapCodeAssistRequest({ model: 'm"x', project: 'p","project":"evil', body: Buffer.from("{}"), userPromptId: "\n", sessionId: '"' });
    expect(JSON.parse(out.toString())).toEqual({ model: 'm"x', project: 'p","project":"evil', user_prompt_id: "\n", request: { session_id: '"' } });
  });
});

describe("readCodeAssistRequest", () => {
  it("reads the CLI's request and hands back the inner request without session_id", () => {
    const result = readCodeAssistRequest(Buffer.from(CLI_REQUEST));
    const parsed = JSON.parse(CLI_REQUEST);
    const { session_id: _sessionId, ...inner } = parsed.request;
    expect(result).toEqual({
      ok: true,
      model: "gemini-2.5-pro",
      project: "inspired-nomad-x7k2p",
      request: Buffer.from(JSON.stringify(inner)),
      userPromptId: parsed.user_prompt_id,
      sessionId: parsed.request.session_id,
    });
  });

  it("gives back the client's exact bytes after a wrap, up to the whitespace after its object", () => {
    const wrapped = wrapCodeAssistRequest({ model: "gemini-2.5-pro", project: "p", body: Buffer.from(BODY), userPromptId: "u", sessionId: "s" });
    const result = readCodeAssistRequest(wrapped);
    expect(result.ok && result.request.toString("utf8")).toBe(BODY.trimEnd());
    expect(result).toMatchObject({ ok: true, model: "gemini-2.5-pro", project: "p", userPromptId: "u", sessionId: "s" });
  });

  it("keeps the inner bytes when there is no session id, and reads a missing project as empty", () => {
    const result = readCodeAssistRequest(Buffer.from(`{"request": ${BODY},"model":"gemini-2.5-flash"}`));
    expect(result.ok && result.request.toString("utf8")).toBe(BODY.trimEnd());
    expect(result).toMatchObject({ ok: true, project: "" });
    expect(result.ok && "sessionId" in result).toBe(false);
  });

  it("reads the same request when the scan cannot, by parsing", () => {
    scanBroken.value = true;
    const result = readCodeAssistRequest(Buffer.from(CLI_REQUEST));
    const { session_id: _sessionId, ...inner } = JSON.parse(CLI_REQUEST).request;
    expect(result.ok && JSON.parse(result.request.toString())).toEqual(inner);
  });

  it.each([
    ["not JSON", "{", "The request body is not valid JSON."],
    ["an array", "[]", "The request body must be a JSON object."],
    ["no model", '{"request":{}}', "model must be a non-empty string."],
    ["an empty model", '{"model":"","request":{}}', "model must be a non-empty string."],
    ["a numeric project", '{"model":"m","project":1,"request":{}}', "project must be a string."],
    ["a numeric prompt id", '{"model":"m","user_prompt_id":1,"request":{}}', "user_prompt_id must be a string."],
    ["no request", '{"model":"m"}', "request must be a JSON object."],
    ["an array request", '{"model":"m","request":[]}', "request must be a JSON object."],
    ["a numeric session id", '{"model":"m","request":{"session_id":5}}', "request.session_id must be a string."],
  ])("refuses %s", (_name, body, message) => {
    expect(readCodeAssistRequest(Buffer.from(body))).toEqual({ ok: false, message });
  });
});

describe("replaceCodeAssistProject", () => {
  it("replaces the project and keeps every other byte", () => {
    const out = replaceCodeAssistProject(Buffer.from(CLI_REQUEST), "account-project");
    expect(out?.toString("utf8")).toBe(CLI_REQUEST.replace('"inspired-nomad-x7k2p"', '"account-project"'));
  });

  it.each([
    ["a missing project", '{"model":"m","request":{}}', '{"project":"P","model":"m","request":{}}'],
    ["an empty object", "{ }", '{"project":"P" }'],
    ["repeated projects", '{"project":"a","project" : "b"}', '{"project":"P","project" : "P"}'],
    ["an escaped key", '{"proj\\u0065ct":"a"}', '{"proj\\u0065ct":"P"}'],
    ["a null project", '{"project":null}', '{"project":"P"}'],
    ["a project only inside request", '{"request":{"project":"x"}}', '{"project":"P","request":{"project":"x"}}'],
  ])("handles %s", (_name, body, expected) => {
    expect(replaceCodeAssistProject(Buffer.from(body), "P")?.toString()).toBe(expected);
  });

  it("returns undefined for a body that is not a JSON object", () => {
    expect(replaceCodeAssistProject(Buffer.from("[]"), "P")).toBeUndefined();
    expect(replaceCodeAssistProject(Buffer.from('{"project":'), "P")).toBeUndefined();
  });
});

describe("unwrapCodeAssistResponse", () => {
  const inner = '{"candidates": [{"content": {"parts": [{"text": "{\\"response\\": 1} héllo 🙂"}]}}],\n "usageMetadata": {"promptTokenCount": 5}}';

  it("cuts the inner response out of an SSE event's data as it is", () => {
    expect(unwrapCodeAssistResponse(`{"response": ${inner}, "traceId": "8a1b2c3d4e5f"}`)).toBe(inner);
  });

  it("finds the response after other members whose text mentions it", () => {
    const text = `{"traceId":"\\"response\\":{}","remainingCredits":[{"creditType":"GOOGLE_ONE_AI","creditAmount":"90"}],"response":${inner}}`;
    expect(unwrapCodeAssistResponse(text)).toBe(inner);
  });

  it.each([
    ["an error object", '{"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED"}}'],
    ["an object without response", '{"totalTokens":12}'],
    ["a response that is not an object", '{"response":null}'],
    ["an array", '[{"response":{}}]'],
    ["text that is not JSON", "data: {"],
    ["an empty string", ""],
  ])("returns %s unchanged", (_name, text) => {
    expect(unwrapCodeAssistResponse(text)).toBe(text);
  });

  it("falls back to a parse when the scan cannot read the text", () => {
    scanBroken.value = true;
    expect(unwrapCodeAssistResponse(`{"response": ${inner}}`)).toBe(JSON.stringify(JSON.parse(inner)));
    expect(unwrapCodeAssistResponse('{"error":{}}')).toBe('{"error":{}}');
  });
});

describe("wrapCodeAssistResponse", () => {
  it("wraps an answer in a response envelope and nothing else", () => {
    expect(wrapCodeAssistResponse('{"candidates":[]}')).toBe('{"response":{"candidates":[]}}');
  });

  it("round-trips through unwrap byte for byte", () => {
    const answer = '{"candidates":[{"content":{"parts":[{"text":"an \\"error\\" in the text, 世界"}]},"finishReason":"STOP"}]}';
    expect(wrapCodeAssistResponse(answer)).toBe(`{"response":${answer}}`);
    expect(unwrapCodeAssistResponse(wrapCodeAssistResponse(answer))).toBe(answer);
  });

  it("leaves an error object bare", () => {
    const error = '{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}';
    expect(wrapCodeAssistResponse(error)).toBe(error);
    expect(wrapCodeAssistResponse(` ${error}\n`)).toBe(` ${error}\n`);
  });
});
