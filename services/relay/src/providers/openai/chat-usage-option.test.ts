import { describe, expect, it } from "vitest";
import { createHiddenUsageFilter, withIncludeUsage } from "./chat-usage-option.js";

const body = (text: string) => Buffer.from(text, "utf8");
const fieldsOf = (bytes: Buffer) => JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;

describe("withIncludeUsage", () => {
  const table: Array<{ name: string; text: string; expected: string | undefined }> = [
    { name: "adds the option before the closing brace", text: '{"model":"gpt-4o","stream":true}\n', expected: '{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true}}\n' },
    { name: "repeats the client's options with usage added", text: '{"model":"gpt-4o","stream_options":{"include_obfuscation":false}}', expected: '{"model":"gpt-4o","stream_options":{"include_obfuscation":false},"stream_options":{"include_obfuscation":false,"include_usage":true}}' },
    { name: "leaves a body that already asks alone", text: '{"model":"gpt-4o","stream_options":{"include_usage":true}}', expected: undefined },
    { name: "leaves what is not an object alone", text: "[1]", expected: undefined },
  ];
  for (const row of table) {
    it(row.name, () => {
      const bytes = body(row.text);
      const fields = row.text.startsWith("{") ? fieldsOf(bytes) : {};
      const out = withIncludeUsage(bytes, fields);
      expect(out?.toString("utf8")).toBe(row.expected);
      if (out) expect((fieldsOf(out).stream_options as Record<string, unknown>).include_usage).toBe(true);
    });
  }
});

describe("the hidden usage filter", () => {
  const chunk = (delta: Record<string, unknown>, finish: string | null, withUsage: boolean) => ({
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1,
    model: "gpt-4o",
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...(withUsage ? { usage: null } : {}),
  });
  const stream = (withUsage: boolean) => {
    const chunks = [chunk({ role: "assistant", content: "" }, null, withUsage), chunk({ content: "Grüße 世界 🎉" }, null, withUsage), chunk({}, "stop", withUsage)];
    const usage = withUsage ? [{ ...chunk({}, null, true), choices: [], usage: { prompt_tokens: 3, completion_tokens: 2 } }] : [];
    return `${[...chunks, ...usage].map((c) => `data: ${JSON.stringify(c)}\n\n`).join("")}data: [DONE]\n\n`;
  };

  for (const size of [1, 3, 64, 100_000]) {
    it(`gives the client the stream it would have had without usage (pieces of ${size} bytes)`, () => {
      const filter = createHiddenUsageFilter();
      expect(filter.headers(200, { "content-type": "text/event-stream; charset=utf-8", "content-length": "9" })).toEqual({ "content-type": "text/event-stream; charset=utf-8" });
      const upstream = Buffer.from(stream(true), "utf8");
      const out: Buffer[] = [];
      for (let at = 0; at < upstream.length; at += size) out.push(filter.push(upstream.subarray(at, at + size)));
      out.push(filter.end());
      expect(Buffer.concat(out).toString("utf8")).toBe(stream(false));
    });
  }

  it("passes an error body as it came", () => {
    const filter = createHiddenUsageFilter();
    filter.headers(429, { "content-type": "application/json" });
    const error = Buffer.from('{"error":{"message":"slow","usage":null}}');
    expect(filter.push(error)).toBe(error);
    expect(filter.end().length).toBe(0);
  });
});
