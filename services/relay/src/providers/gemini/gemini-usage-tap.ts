/**
 * Reads a Gemini or Code Assist answer on the side while its bytes pass:
 * usage from the last `usageMetadata`, whether the answer ended the way a
 * complete one does (a candidate with a `finishReason`), and, for an error
 * answer, what it says about the account (gemini-account-state.ts). An event
 * stream goes through the SSE parser event by event; the JSON array of a
 * stream without `alt=sse` through the array splitter element by element; a
 * single JSON body is collected up to a bound and read once at the end.
 * Nothing here throws into the caller.
 */
import { createSseParser } from "@claude-relay/anthropic";
import { createGeminiUsageTracker, createJsonArraySplitter, type GeminiUsageTracker } from "@claude-relay/gemini";
import { withInflation } from "../../proxy/inflate-tap.js";
import type { TapUsage, UsageTap } from "../provider.js";
import { hintsOf } from "./gemini-account-state.js";

/** Largest single JSON body read for usage. */
const MAX_JSON_BYTES = 8 * 1024 * 1024;

/** Creates the tap for an answer with these content-type and content-encoding headers. */
export function createGeminiTap(contentType: string | undefined, contentEncoding?: string): UsageTap {
  const tracker = createGeminiUsageTracker();
  const reader = (contentType ?? "").includes("text/event-stream") ? streamReader(tracker) : jsonReader(tracker);
  return withInflation(reader, contentEncoding);
}

function streamReader(tracker: GeminiUsageTracker): UsageTap {
  const parser = createSseParser((event) => feed(tracker, event.data));
  return readings(tracker, {
    push: (chunk) => parser.push(chunk),
    end: () => parser.end(),
  });
}

/** A JSON body: one object, or the array of a stream without `alt=sse`, read as it comes. */
function jsonReader(tracker: GeminiUsageTracker): UsageTap {
  let mode: "unknown" | "array" | "object" = "unknown";
  const splitter = createJsonArraySplitter((element) => feed(tracker, element));
  const chunks: Buffer[] = [];
  let size = 0;
  return readings(tracker, {
    push(chunk) {
      if (mode === "unknown") {
        const first = firstNonSpace(chunk);
        if (first === -1) return;
        mode = first === 0x5b /* [ */ ? "array" : "object";
      }
      if (mode === "array") return splitter.push(chunk);
      size += chunk.length;
      if (size <= MAX_JSON_BYTES) chunks.push(chunk);
    },
    end() {
      if (mode === "array") return splitter.end();
      if (size === 0 || size > MAX_JSON_BYTES) return;
      feed(tracker, Buffer.concat(chunks, size).toString("utf8"));
      chunks.length = 0;
    },
  });
}

function readings(tracker: GeminiUsageTracker, io: { push(chunk: Buffer): void; end(): void }): UsageTap {
  return {
    push: io.push,
    async end() {
      io.end();
    },
    get usage(): TapUsage {
      const usage = tracker.usage;
      return { ...usage, cacheCreationInputTokens: 0 };
    },
    get complete() {
      return tracker.complete;
    },
    get errorEvent() {
      const error = tracker.error;
      return error === undefined ? undefined : { type: error.status || "UNKNOWN", message: error.message };
    },
    get hints() {
      const error = tracker.error;
      return error === undefined ? undefined : hintsOf(error, Date.now());
    },
  };
}

function feed(tracker: GeminiUsageTracker, json: string): void {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return;
  }
  tracker.onObject(value);
}

function firstNonSpace(chunk: Buffer): number {
  for (const byte of chunk) if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return byte;
  return -1;
}
