import { describe, expect, it } from "vitest";
import { toCodeAssistAnswer, toGeminiRequest } from "./code-assist-to-gemini.js";

describe("a Code Assist request for a Gemini API account", () => {
  it("comes out of the envelope, the model into the path, the session id out of the body", () => {
    const envelope = Buffer.from('{"model":"gemini-2.5-pro","project":"p","user_prompt_id":"s########1","request":{"contents":[],"session_id":"s"}}');
    const read = toGeminiRequest("stream", envelope);
    expect(read).toEqual({ ok: true, path: "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", body: Buffer.from('{"contents":[]}') });
    expect(toGeminiRequest("generate", envelope)).toMatchObject({ path: "/v1beta/models/gemini-2.5-pro:generateContent" });
    expect(toGeminiRequest("count_tokens", Buffer.from('{"request":{"model":"models/gemini-2.5-flash","contents":[]}}'))).toMatchObject({ ok: true, path: "/v1beta/models/gemini-2.5-flash:countTokens" });
  });

  it("is refused when it is not an envelope", () => {
    expect(toGeminiRequest("generate", Buffer.from("[]")).ok).toBe(false);
    expect(toGeminiRequest("count_tokens", Buffer.from('{"request":{}}')).ok).toBe(false);
  });
});

describe("a Gemini API answer for a Code Assist client", () => {
  const table: Array<{ call: "generate" | "stream"; wantsSse: boolean; upstream: string; client: string }> = [
    { call: "stream", wantsSse: true, upstream: 'data: {"candidates":[1]}\r\n\r\n', client: 'data: {"response":{"candidates":[1]}}\r\n\r\n' },
    { call: "stream", wantsSse: false, upstream: 'data: {"candidates":[1]}\r\n\r\n', client: '[{"response":{"candidates":[1]}}]' },
    { call: "stream", wantsSse: true, upstream: 'data: {"error":{"code":429}}\r\n\r\n', client: 'data: {"error":{"code":429}}\r\n\r\n' },
    { call: "generate", wantsSse: false, upstream: '{"candidates":[]}', client: '{"response":{"candidates":[]}}' },
  ];
  for (const row of table) {
    it(`wraps ${row.call}${row.wantsSse ? " (sse)" : ""}: ${row.upstream.slice(0, 30)}`, () => {
      const t = toCodeAssistAnswer(row.call, row.wantsSse);
      if (t === undefined) throw new Error("no translator");
      t.headers(200, {});
      expect(Buffer.concat([t.push(Buffer.from(row.upstream)), t.end()]).toString()).toBe(row.client);
    });
  }

  it("needs no translator for countTokens, whose answers match", () => expect(toCodeAssistAnswer("count_tokens", false)).toBeUndefined());
});
