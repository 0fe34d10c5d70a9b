import { describe, expect, it } from "vitest";
import { fromCodeAssistAnswer, toCodeAssistRequest } from "./gemini-to-code-assist.js";

const BODY = Buffer.from('{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}');

function run(call: "generate" | "stream" | "count_tokens", wantsSse: boolean, upstream: string[]): string | undefined {
  const t = fromCodeAssistAnswer(call, wantsSse);
  if (t === undefined) return undefined;
  t.headers(200, {});
  return Buffer.concat([...upstream.map((part) => t.push(Buffer.from(part))), t.end()]).toString("utf8");
}

describe("a Gemini API request for a Code Assist account", () => {
  it("goes into the envelope with the account's project, the client's body inside as it came", () => {
    const { path, body } = toCodeAssistRequest("stream", "models/gemini-2.5-pro", "proj-1", BODY);
    expect(path).toBe("/v1internal:streamGenerateContent?alt=sse");
    expect(body.toString()).toBe(`{"model":"gemini-2.5-pro","project":"proj-1","request":${BODY.toString()}}`);
    expect(toCodeAssistRequest("generate", "gemini-2.5-pro", "p", BODY).path).toBe("/v1internal:generateContent");
    expect(JSON.parse(toCodeAssistRequest("count_tokens", "gemini-2.5-pro", "p", BODY).body.toString())).toEqual({ request: { model: "models/gemini-2.5-pro", contents: [{ role: "user", parts: [{ text: "hi" }] }] } });
  });
});

describe("a Code Assist answer for a Gemini API client", () => {
  const events = ['data: {"response":{"candidates":[1]},"traceId":"t"}\r\n\r\n', 'data: {"response":{"candidates":[2]}}\r\n\r\n'];
  const table: Array<{ call: "generate" | "stream" | "count_tokens"; wantsSse: boolean; upstream: string[]; client: string | undefined }> = [
    { call: "stream", wantsSse: true, upstream: events, client: 'data: {"candidates":[1]}\r\n\r\ndata: {"candidates":[2]}\r\n\r\n' },
    { call: "stream", wantsSse: false, upstream: events, client: '[{"candidates":[1]},\r\n{"candidates":[2]}]' },
    { call: "stream", wantsSse: true, upstream: ['data: {"error":{"code":500}}\r\n\r\n'], client: 'data: {"error":{"code":500}}\r\n\r\n' },
    { call: "generate", wantsSse: false, upstream: ['{"response":{"cand', 'idates":[]},"traceId":"x"}'], client: '{"candidates":[]}' },
    { call: "count_tokens", wantsSse: false, upstream: ['{"totalTokens":3}'], client: undefined },
  ];
  for (const row of table) {
    it(`maps ${row.call}${row.wantsSse ? " (sse)" : ""}: ${row.upstream.join("").slice(0, 40)}`, () => expect(run(row.call, row.wantsSse, row.upstream)).toBe(row.client));
  }
});
