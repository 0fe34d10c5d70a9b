/**
 * Reads usage off a Messages API answer on the side while its bytes go to the
 * client unchanged. A stream (text/event-stream) goes through the SSE parser
 * and the usage tracker as it passes; a JSON body is collected up to a bound and
 * read once at the end, for usage or, on an error status, for what it says about
 * the account (claudeHintsOf).
 */
import { createSseParser, createUsageTracker, usageFromMessage } from "@claude-relay/anthropic";
import type { AccountHints, TapAnswer, TapUsage, UsageTap } from "../provider.js";
import { withInflation } from "../../proxy/inflate-tap.js";
import { claudeHintsOf } from "./claude-account-state.js";

/** Largest JSON body read for usage; a Messages answer is far smaller. */
const MAX_JSON_BYTES = 8 * 1024 * 1024;

/** Creates the tap for a Messages answer with these content-type and content-encoding headers. */
export function createClaudeTap(contentType: string | undefined, contentEncoding?: string, answer?: TapAnswer): UsageTap {
  const reader = (contentType ?? "").includes("text/event-stream") ? createStreamReader() : createJsonReader(answer?.status ?? 200);
  return withInflation(reader, contentEncoding);
}

function createStreamReader(): UsageTap {
  const tracker = createUsageTracker();
  const parser = createSseParser((event) => tracker.onEvent(event));
  return {
    push(chunk) {
      parser.push(chunk);
    },
    async end() {
      parser.end();
    },
    get usage() {
      return tracker.usage;
    },
    get complete() {
      return tracker.sawMessageStop;
    },
    get errorEvent() {
      return tracker.errorEvent;
    },
  };
}

function createJsonReader(status: number): UsageTap {
  const chunks: Buffer[] = [];
  let size = 0;
  let usage: TapUsage = { model: "", inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
  let hints: AccountHints | undefined;
  return {
    push(chunk) {
      size += chunk.length;
      if (size <= MAX_JSON_BYTES) chunks.push(chunk);
    },
    async end() {
      if (size > MAX_JSON_BYTES || size === 0) return;
      try {
        const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
        const parsed: unknown = JSON.parse(body.toString("utf8"));
        if (status >= 400) hints = claudeHintsOf(status, parsed);
        else usage = usageFromMessage(parsed as Parameters<typeof usageFromMessage>[0]);
      } catch {
        // Not JSON (an HTML error page from a proxy, say): no usage to report.
      }
      chunks.length = 0;
    },
    get usage() {
      return usage;
    },
    get complete() {
      return true;
    },
    get errorEvent() {
      return undefined;
    },
    get hints() {
      return hints;
    },
  };
}

