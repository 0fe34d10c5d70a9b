import { gzipSync } from "node:zlib";
import { AccountSignal } from "@claude-relay/proto/lease";
import { describe, expect, it } from "vitest";
import { createOpenAiTap } from "./openai-usage-tap.js";

const sse = (events: Array<[string | null, unknown]>): string =>
  events.map(([name, data]) => `${name ? `event: ${name}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`).join("");

const response = (extra: Record<string, unknown>) => ({ id: "resp_abc", object: "response", model: "gpt-5-codex", status: "in_progress", usage: null, ...extra });
const responsesUsage = { input_tokens: 120, input_tokens_details: { cached_tokens: 100 }, output_tokens: 40, output_tokens_details: { reasoning_tokens: 30 }, total_tokens: 160 };

/** Pushes `text` as bytes in pieces of `size`, so events and characters split anywhere. */
async function tapOf(text: string, contentType: string, size = 7, status = 200) {
  const tap = createOpenAiTap(contentType, undefined, { status, headers: {} });
  const bytes = Buffer.from(text, "utf8");
  for (let at = 0; at < bytes.length; at += size) tap.push(bytes.subarray(at, at + size));
  await tap.end();
  return tap;
}

describe("the OpenAI usage tap", () => {
  const table: Array<{ name: string; text: string; contentType: string; usage: Record<string, unknown>; complete: boolean; continuation?: string; error?: string }> = [
    {
      name: "a Responses stream, completed",
      text: sse([
        ["response.created", { type: "response.created", sequence_number: 0, response: response({}) }],
        ["response.output_text.delta", { type: "response.output_text.delta", delta: "Grüße, 世界 🌍" }],
        ["response.completed", { type: "response.completed", response: response({ status: "completed", model: "gpt-5-codex-2025", usage: responsesUsage }) }],
      ]),
      contentType: "text/event-stream; charset=utf-8",
      usage: { model: "gpt-5-codex-2025", inputTokens: 20, cacheReadInputTokens: 100, outputTokens: 40, reasoningTokens: 30 },
      complete: true,
      continuation: "resp_abc",
    },
    {
      name: "a Responses stream cut before its end",
      text: sse([
        ["response.created", { type: "response.created", response: response({}) }],
        ["response.output_text.delta", { type: "response.output_text.delta", delta: "Hal" }],
      ]),
      contentType: "text/event-stream",
      usage: { model: "gpt-5-codex", inputTokens: 0, outputTokens: 0 },
      complete: false,
      continuation: "resp_abc",
    },
    {
      name: "a Responses stream that failed",
      text: sse([
        ["response.created", { type: "response.created", response: response({}) }],
        ["response.failed", { type: "response.failed", response: response({ status: "failed", error: { code: "server_error", message: "boom" } }) }],
      ]),
      contentType: "text/event-stream",
      usage: { inputTokens: 0 },
      complete: true,
      continuation: "resp_abc",
      error: "server_error",
    },
    {
      name: "a Responses stream with an error event",
      text: sse([["error", { type: "error", code: "rate_limit_exceeded", message: "slow down", param: null }]]),
      contentType: "text/event-stream",
      usage: { inputTokens: 0 },
      complete: false,
      error: "rate_limit_exceeded",
    },
    {
      name: "a Responses JSON body",
      text: JSON.stringify(response({ status: "completed", usage: responsesUsage }), null, 2),
      contentType: "application/json",
      usage: { model: "gpt-5-codex", inputTokens: 20, cacheReadInputTokens: 100, outputTokens: 40, reasoningTokens: 30 },
      complete: true,
      continuation: "resp_abc",
    },
    {
      name: "a chat-completions stream with its usage chunk",
      text: sse([
        [null, { id: "chatcmpl-1", object: "chat.completion.chunk", model: "gpt-4o-2024-08-06", choices: [{ index: 0, delta: { content: "Hi ✓" }, finish_reason: null }], usage: null }],
        [null, { id: "chatcmpl-1", object: "chat.completion.chunk", model: "gpt-4o-2024-08-06", choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage: null }],
        [null, { id: "chatcmpl-1", object: "chat.completion.chunk", model: "gpt-4o-2024-08-06", choices: [], usage: { prompt_tokens: 50, prompt_tokens_details: { cached_tokens: 10 }, completion_tokens: 5, completion_tokens_details: { reasoning_tokens: 0 } } }],
        [null, "[DONE]"],
      ]),
      contentType: "text/event-stream",
      usage: { model: "gpt-4o-2024-08-06", inputTokens: 40, cacheReadInputTokens: 10, outputTokens: 5 },
      complete: true,
    },
    {
      name: "a chat-completions JSON body",
      text: JSON.stringify({ id: "chatcmpl-2", object: "chat.completion", model: "gpt-4o-mini", choices: [], usage: { prompt_tokens: 9, completion_tokens: 3 } }),
      contentType: "application/json",
      usage: { model: "gpt-4o-mini", inputTokens: 9, outputTokens: 3, cacheReadInputTokens: 0 },
      complete: true,
    },
  ];

  for (const row of table) {
    for (const size of [1, 5, 4096]) {
      it(`reads ${row.name} (pieces of ${size} bytes)`, async () => {
        const tap = await tapOf(row.text, row.contentType, size);
        expect(tap.usage).toMatchObject(row.usage);
        expect(tap.complete).toBe(row.complete);
        expect(tap.continuation).toBe(row.continuation);
        expect(tap.errorEvent?.type).toBe(row.error);
        expect(tap.hints).toBeUndefined();
      });
    }
  }

  it("gives no continuation for a chat completion's id", async () => {
    const tap = await tapOf(JSON.stringify({ id: "chatcmpl-3", object: "chat.completion", model: "m", usage: { prompt_tokens: 1, completion_tokens: 1 } }), "application/json");
    expect(tap.continuation).toBeUndefined();
  });

  it("reads an error answer's hints from its status and body, and no continuation", async () => {
    const body = JSON.stringify({ error: { type: "usage_limit_reached", message: "The usage limit has been reached", plan_type: "pro", resets_in_seconds: 90 } });
    const tap = await tapOf(body, "application/json", 3, 429);
    expect(tap.hints).toMatchObject({ signal: AccountSignal.RATE_LIMITED, retryAfterMs: 90_000 });
    expect(tap.continuation).toBeUndefined();
  });

  it("reads a deactivated workspace from an event-stream typed error", async () => {
    const tap = await tapOf(JSON.stringify({ detail: { code: "deactivated_workspace" } }), "text/event-stream", 4, 402);
    expect(tap.hints?.signal).toBe(AccountSignal.BANNED);
  });

  it("inflates a gzip body for itself", async () => {
    const tap = createOpenAiTap("application/json", "gzip", { status: 200, headers: {} });
    tap.push(gzipSync(Buffer.from(JSON.stringify(response({ usage: responsesUsage })))));
    await tap.end();
    expect(tap.usage.outputTokens).toBe(40);
    expect(tap.continuation).toBe("resp_abc");
  });
});
