import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { createClaudeTap } from "./claude-usage-tap.js";

const STREAM = [
  'event: message_start\ndata: {"type":"message_start","message":{"model":"claude-x","usage":{"input_tokens":10,"cache_creation_input_tokens":3,"cache_read_input_tokens":4,"output_tokens":1}}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}\n\n',
  'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":25}}\n\n',
  'event: message_stop\ndata: {"type":"message_stop"}\n\n',
].join("");

const MESSAGE = JSON.stringify({ type: "message", model: "claude-y", usage: { input_tokens: 5, output_tokens: 6, cache_read_input_tokens: 7 } });

describe("createClaudeTap", () => {
  it("reads a stream's usage whatever the chunk boundaries", async () => {
    const tap = createClaudeTap("text/event-stream; charset=utf-8");
    const bytes = Buffer.from(STREAM);
    for (let i = 0; i < bytes.length; i += 7) tap.push(bytes.subarray(i, i + 7));
    await tap.end();
    expect(tap.usage).toEqual({ model: "claude-x", inputTokens: 10, outputTokens: 25, cacheCreationInputTokens: 3, cacheReadInputTokens: 4 });
    expect(tap.complete).toBe(true);
    expect(tap.errorEvent).toBeUndefined();
  });

  it("notices a stream that ended without message_stop, or with an error event", async () => {
    const cut = createClaudeTap("text/event-stream");
    cut.push(Buffer.from(STREAM.slice(0, STREAM.indexOf("event: message_stop"))));
    cut.push(Buffer.from('event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'));
    await cut.end();
    expect(cut.complete).toBe(false);
    expect(cut.errorEvent).toEqual({ type: "overloaded_error", message: "Overloaded" });
    expect(cut.usage.outputTokens).toBe(25);
  });

  it("reads a JSON body's usage at the end", async () => {
    const tap = createClaudeTap("application/json");
    tap.push(Buffer.from(MESSAGE.slice(0, 20)));
    tap.push(Buffer.from(MESSAGE.slice(20)));
    await tap.end();
    expect(tap.usage).toEqual({ model: "claude-y", inputTokens: 5, outputTokens: 6, cacheCreationInputTokens: 0, cacheReadInputTokens: 7 });
  });

  it("inflates a gzip body for itself", async () => {
    const json = createClaudeTap("application/json", "gzip");
    json.push(gzipSync(MESSAGE));
    await json.end();
    expect(json.usage.inputTokens).toBe(5);
    const stream = createClaudeTap("text/event-stream", "gzip");
    const zipped = gzipSync(STREAM);
    stream.push(zipped.subarray(0, 30));
    stream.push(zipped.subarray(30));
    await stream.end();
    expect(stream.usage.outputTokens).toBe(25);
  });

  it("gives zero usage, and never throws, for a body it cannot read", async () => {
    const html = createClaudeTap("text/html");
    html.push(Buffer.from("<html>bad gateway</html>"));
    await html.end();
    expect(html.usage.inputTokens).toBe(0);
    const broken = createClaudeTap("application/json", "gzip");
    broken.push(Buffer.from("not gzip at all"));
    await broken.end();
    expect(broken.usage.outputTokens).toBe(0);
  });
});
