/**
 * What the relay benchmark sends and what the mock answers: one Messages request,
 * streamed or not, and a reply of 2 KB of text (in 20 text deltas when streamed).
 * Every target gets exactly the same bytes. The OpenAI-route scenarios send the
 * same conversation as a chat-completions request to the relay's OpenAI-compatible
 * front door, which translates it to the same Messages request and the answer back.
 */
import type { MockReply } from "@claude-relay/testkit";
import type { HttpRequestSpec } from "./driver-protocol.js";

/** Text bytes in every reply. */
export const REPLY_TEXT_BYTES = 2048;
/** Text deltas in a streamed reply. */
export const REPLY_EVENTS = 20;

/** One measured run: a request shape at a concurrency. */
export interface Scenario {
  label: string;
  stream: boolean;
  concurrency: number;
  /** The front door the request goes to; the Messages API when absent. */
  api?: "openai";
}

/** The four runs made against every target. */
export const SCENARIOS: readonly Scenario[] = [
  { label: "json c=1", stream: false, concurrency: 1 },
  { label: "json c=64", stream: false, concurrency: 64 },
  { label: "sse c=1", stream: true, concurrency: 1 },
  { label: "sse c=64", stream: true, concurrency: 64 },
];

/** The OpenAI-route runs, made against the relay only and compared with its native runs. */
export const OPENAI_SCENARIOS: readonly Scenario[] = [
  { label: "openai json c=1", stream: false, concurrency: 1, api: "openai" },
  { label: "openai sse c=1", stream: true, concurrency: 1, api: "openai" },
  { label: "openai json c=64", stream: false, concurrency: 64, api: "openai" },
];

/** ASCII filler of exactly `bytes` bytes. */
export function replyText(bytes = REPLY_TEXT_BYTES): string {
  const sentence = "The relay streams this text back byte for byte. ";
  return sentence.repeat(Math.ceil(bytes / sentence.length)).slice(0, bytes);
}

/** The mock's reply to every benchmark request; `eventDelayMs` spaces the streamed events. */
export function benchReply(eventDelayMs = 0): MockReply {
  return { kind: "message", text: replyText(), events: REPLY_EVENTS, eventDelayMs };
}

/** The request sent to a target at `origin` with the client key `key`, to the Messages API or the OpenAI-compatible route. */
export function benchRequest(origin: string, key: string, stream: boolean, api?: "openai"): HttpRequestSpec {
  if (api === "openai") {
    const body = JSON.stringify({
      model: "claude-sonnet-4-5-20250929",
      max_tokens: 1024,
      stream,
      messages: [{ role: "user", content: "Write two kilobytes of text for the benchmark." }],
    });
    return { origin, path: "/openai/v1/chat/completions", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body, stream, streamEnd: "data: [DONE]" };
  }
  const body = JSON.stringify({
    model: "claude-sonnet-4-5-20250929",
    max_tokens: 1024,
    stream,
    messages: [{ role: "user", content: "Write two kilobytes of text for the benchmark." }],
  });
  return {
    origin,
    path: "/v1/messages",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": key },
    body,
    stream,
  };
}
