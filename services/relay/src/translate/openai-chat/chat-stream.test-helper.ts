/**
 * Test helpers for the chat translators: recorded upstream streams written as
 * event lists, a translator run over bytes cut anywhere, and a reader of the
 * client's side that reads a stream the way the openai npm SDK does (data
 * events parsed as JSON, `[DONE]` ends the stream, an event carrying `error`
 * raises; src/core/streaming.ts in openai-node), so a test sees what a client sees.
 */
import { expect } from "vitest";
import type { ResponseTranslator } from "../../providers/provider.js";

/** An Anthropic stream: `event:` + `data:` per event, LF framed as the API sends it. */
export function anthropicSse(events: Array<Record<string, unknown> & { type: string }>): string {
  return events.map((data) => `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`).join("");
}

/** A Gemini `alt=sse` stream: `data:` only, CRLF framed as the API sends it. */
export function geminiSse(objects: unknown[]): string {
  return objects.map((data) => `data: ${JSON.stringify(data)}\r\n\r\n`).join("");
}

/** Runs `input` through a fresh translator in `pieces` cuts; returns the client's bytes as text. */
export function run(make: () => ResponseTranslator, input: string, options: { status?: number; contentType?: string; cuts?: number[] } = {}): string {
  const t = make();
  t.headers(options.status ?? 200, { "content-type": options.contentType ?? "text/event-stream", "content-length": "1" });
  const bytes = Buffer.from(input, "utf8");
  const out: Buffer[] = [];
  let at = 0;
  for (const cut of [...(options.cuts ?? []), bytes.length]) {
    out.push(t.push(bytes.subarray(at, cut)));
    at = cut;
  }
  out.push(t.end());
  return Buffer.concat(out).toString("utf8");
}

/** Runs `input` cut at every byte offset (and at every pair of offsets `stride` apart) and checks all runs give the same text. */
export function everySplit(make: () => ResponseTranslator, input: string, contentType = "text/event-stream"): string {
  const length = Buffer.byteLength(input, "utf8");
  const outputs = new Set<string>();
  for (let cut = 0; cut <= length; cut++) outputs.add(run(make, input, { contentType, cuts: [cut] }));
  for (let cut = 0; cut + 7 <= length; cut += 3) outputs.add(run(make, input, { contentType, cuts: [cut, cut + 7] }));
  expect(outputs.size).toBe(1);
  return [...outputs][0] as string;
}

/** One event of the client's stream, reduced to what a test compares. */
export type ClientEvent =
  | { delta: Record<string, unknown>; finish: string | null }
  | { usage: Record<string, unknown> }
  | { error: Record<string, unknown> }
  | "[DONE]";

/** Reads a client stream: each `data:` event, checking every chunk repeats one id, created and model. */
export function readClientStream(text: string): { events: ClientEvent[]; chunks: Array<Record<string, unknown>> } {
  expect(text.endsWith("\n\n") || text === "").toBe(true);
  const events: ClientEvent[] = [];
  const chunks: Array<Record<string, unknown>> = [];
  for (const block of text.split("\n\n").filter((b) => b !== "")) {
    expect(block.startsWith("data: ")).toBe(true);
    const data = block.slice(6);
    if (data === "[DONE]") {
      events.push("[DONE]");
      continue;
    }
    const value = JSON.parse(data) as Record<string, unknown>;
    if (value.error !== undefined) {
      events.push({ error: value.error as Record<string, unknown> });
      continue;
    }
    chunks.push(value);
    const choices = value.choices as Array<Record<string, unknown>>;
    if (choices.length === 0) events.push({ usage: value.usage as Record<string, unknown> });
    else events.push({ delta: choices[0]?.delta as Record<string, unknown>, finish: (choices[0]?.finish_reason as string | null) ?? null });
  }
  const first = chunks[0];
  for (const chunk of chunks) {
    expect(chunk.object).toBe("chat.completion.chunk");
    expect([chunk.id, chunk.created, chunk.model]).toEqual([first?.id, first?.created, first?.model]);
  }
  return { events, chunks };
}

/** What an openai SDK client gets from a stream: the chunks it yields, or the error it raises. */
export function sdkRead(text: string): { chunks: unknown[]; raised: string | undefined } {
  const chunks: unknown[] = [];
  for (const block of text.split("\n\n").filter((b) => b !== "")) {
    const data = block.replace(/^data: /, "");
    if (data.startsWith("[DONE]")) break;
    const value = JSON.parse(data) as Record<string, unknown>;
    if (value.error) return { chunks, raised: String((value.error as Record<string, unknown>).message) };
    chunks.push(value);
  }
  return { chunks, raised: undefined };
}

/** The tool calls a client assembles from a stream's deltas, by index. */
export function assembleToolCalls(events: ClientEvent[]): Array<{ id: string; name: string; arguments: string }> {
  const calls: Array<{ id: string; name: string; arguments: string }> = [];
  for (const event of events) {
    if (typeof event !== "object" || !("delta" in event)) continue;
    for (const raw of (event.delta.tool_calls as Array<Record<string, unknown>> | undefined) ?? []) {
      const index = raw.index as number;
      const fn = raw.function as Record<string, string>;
      const call = (calls[index] ??= { id: "", name: "", arguments: "" });
      if (typeof raw.id === "string") call.id = raw.id;
      if (fn.name !== undefined) call.name = fn.name;
      call.arguments += fn.arguments ?? "";
    }
  }
  return calls;
}
