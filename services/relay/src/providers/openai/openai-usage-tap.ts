/**
 * Reads an OpenAI answer on the side while its bytes pass unchanged: an event
 * stream through the SSE parser event by event, a JSON body collected up to a
 * bound and read once at the end (openai-answer-reading.ts says what is read).
 * An error answer's hints come from its status, headers and body
 * (openai-account-state.ts). What was read before a stream was cut short
 * stays readable. Nothing here throws into the caller.
 */
import { createSseParser } from "@claude-relay/anthropic";
import { withInflation } from "../../proxy/inflate-tap.js";
import type { AccountHints, TapAnswer, UsageTap } from "../provider.js";
import { openAiHintsOf } from "./openai-account-state.js";
import { createOpenAiReading, type OpenAiReading, readOpenAiEventData, readOpenAiObject } from "./openai-answer-reading.js";

/** Largest JSON body read for usage. */
const MAX_JSON_BYTES = 8 * 1024 * 1024;

/** Creates the tap for an answer with these headers. */
export function createOpenAiTap(contentType: string | undefined, contentEncoding?: string, answer?: TapAnswer): UsageTap {
  const reading = createOpenAiReading();
  const status = answer?.status ?? 200;
  const isError = status < 200 || status >= 300;
  const reader = (contentType ?? "").includes("text/event-stream") && !isError ? streamReader(reading) : jsonReader(reading, answer);
  return withInflation(reader, contentEncoding);
}

function streamReader(reading: OpenAiReading): UsageTap {
  const parser = createSseParser((event) => readOpenAiEventData(reading, event.data));
  return readings(reading, () => undefined, {
    push: (chunk) => parser.push(chunk),
    end: () => parser.end(),
  });
}

function jsonReader(reading: OpenAiReading, answer: TapAnswer | undefined): UsageTap {
  const chunks: Buffer[] = [];
  let size = 0;
  let hints: AccountHints | undefined;
  const status = answer?.status ?? 200;
  const isError = status < 200 || status >= 300;
  // An error answer has hints from its status even when its body cannot be read.
  if (isError) hints = openAiHintsOf(status, answer?.headers ?? {}, undefined, Date.now());
  return readings(reading, () => hints, {
    push(chunk) {
      size += chunk.length;
      if (size <= MAX_JSON_BYTES) chunks.push(chunk);
    },
    end() {
      if (size === 0 || size > MAX_JSON_BYTES) return;
      let value: unknown;
      try {
        value = JSON.parse(Buffer.concat(chunks, size).toString("utf8"));
      } catch {
        // Not JSON (an HTML page from a proxy, say): no usage, hints from the status alone.
      }
      chunks.length = 0;
      if (isError) hints = openAiHintsOf(status, answer?.headers ?? {}, value, Date.now());
      else readOpenAiObject(reading, value, "body");
    },
  });
}

function readings(reading: OpenAiReading, hints: () => AccountHints | undefined, io: { push(chunk: Buffer): void; end(): void }): UsageTap {
  return {
    push: io.push,
    async end() {
      io.end();
    },
    get usage() {
      return reading.usage;
    },
    get complete() {
      return reading.complete;
    },
    get errorEvent() {
      return reading.errorEvent;
    },
    get hints() {
      return hints();
    },
    get continuation() {
      return reading.responseId;
    },
  };
}
