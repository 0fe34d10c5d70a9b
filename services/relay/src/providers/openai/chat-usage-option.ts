/**
 * Usage for a streamed chat completion whose client did not ask for it.
 * OpenAI reports a stream's usage only under `stream_options.include_usage`,
 * so the relay asks for it upstream and takes back out what asking changed,
 * so the client reads exactly the bytes it would have read without it:
 *
 * - the request: `"stream_options":{"include_usage":true}` is written in just
 *   before the body's closing brace (nothing else of the body is touched or
 *   re-serialized); a client `stream_options` without it is repeated there
 *   with it added, and the later member wins, as in every JSON parser OpenAI's
 *   API uses;
 * - the answer (createHiddenUsageFilter): the extra last chunk that carries
 *   the usage (`"choices":[]`) is dropped, and the `"usage":null` member asking
 *   put on every other chunk is cut out of its text. Events pass whole, in
 *   order, otherwise unchanged; anything not an event stream passes as it came.
 */
import type { ResponseHeaders, ResponseTranslator } from "../provider.js";

const ASK = '"include_usage":true';

/** The body asking for usage, or undefined when it already does (or is not a JSON object). */
export function withIncludeUsage(body: Buffer, fields: Record<string, unknown>): Buffer | undefined {
  const current = fields.stream_options;
  if (isObject(current) && current.include_usage === true) return undefined;
  let end = body.length - 1;
  while (end >= 0 && isSpace(body[end] as number)) end--;
  if (end < 1 || body[end] !== 0x7d /* } */) return undefined;
  let options = `{${ASK}}`;
  if (isObject(current)) {
    const rest = JSON.stringify({ ...current, include_usage: true });
    // Only a small, flat options object is written again; anything else keeps its usage unread.
    if (rest.length > 1024) return undefined;
    options = rest;
  }
  return Buffer.concat([body.subarray(0, end), Buffer.from(`,"stream_options":${options}`, "utf8"), body.subarray(end)]);
}

/** The answer filter for a stream whose usage the relay asked for on the client's behalf. */
export function createHiddenUsageFilter(): ResponseTranslator {
  let stream = false;
  let pending: Buffer = Buffer.alloc(0);
  return {
    headers(_status, upstream) {
      const contentType = upstream["content-type"];
      stream = typeof contentType === "string" && contentType.includes("text/event-stream");
      const out: ResponseHeaders = { ...upstream };
      if (stream) delete out["content-length"];
      return out;
    },
    push(chunk) {
      if (!stream) return chunk;
      const all: Buffer = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const cut = lastEventEnd(all);
      if (cut < 0) {
        pending = all;
        return Buffer.alloc(0);
      }
      pending = all.subarray(cut);
      return filterEvents(all.subarray(0, cut).toString("utf8"));
    },
    end() {
      const rest = pending;
      pending = Buffer.alloc(0);
      return stream && rest.length > 0 ? filterEvents(rest.toString("utf8")) : rest;
    },
  };
}

/** The offset just past the last blank line (`\n\n`) in `bytes`, or -1. */
function lastEventEnd(bytes: Buffer): number {
  const at = bytes.lastIndexOf("\n\n");
  return at < 0 ? -1 : at + 2;
}

/** Complete events (or a stream's last unterminated bytes) with the usage chunk dropped and `"usage":null` cut. */
export function filterEvents(text: string): Buffer {
  const events = text.split(/(?<=\n\n)/);
  let out = "";
  for (const event of events) {
    if (isUsageChunk(event)) continue;
    out += event.includes('"usage":null') ? event.replace(/,"usage":null(?=[,}])|"usage":null,/, "") : event;
  }
  return Buffer.from(out, "utf8");
}

/** True for the `data:` chunk that carries only the usage (no choices). */
function isUsageChunk(event: string): boolean {
  if (!event.includes('"usage":{') && !event.includes('"usage": {')) return false;
  const data = event
    .split("\n")
    .filter((line) => line.startsWith("data:"))
    .map((line) => line.slice(5).trimStart())
    .join("\n");
  try {
    const chunk = JSON.parse(data) as { choices?: unknown; usage?: unknown };
    return Array.isArray(chunk.choices) && chunk.choices.length === 0 && isObject(chunk.usage);
  } catch {
    return false;
  }
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
