/**
 * Reads usage off a response on the side while its bytes go to the client
 * unchanged. A stream (text/event-stream) goes through the SSE parser and the
 * usage tracker as it passes; a JSON body is collected up to a bound and read
 * once at the end. A compressed body (the client asked for it, the upstream
 * obliged) is inflated for the tap only. Nothing here throws into the caller:
 * a body the tap cannot read costs the usage numbers, never the response.
 */
import type { Transform } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { createSseParser, createUsageTracker, type UsageTotals, usageFromMessage } from "@claude-relay/anthropic";

/** Largest JSON body read for usage; a Messages answer is far smaller. */
const MAX_JSON_BYTES = 8 * 1024 * 1024;

/** The side reader of one response. */
export interface UsageTap {
  push(chunk: Buffer): void;
  /** Call once the body ended; usage is final after it (for compressed bodies, once it resolves). */
  end(): Promise<void>;
  /** Usage seen so far. */
  readonly usage: UsageTotals;
  /** For a stream: true once message_stop arrived. Always true for a JSON body. */
  readonly complete: boolean;
  /** For a stream: the error event it carried, if any. */
  readonly errorEvent: { type: string; message: string } | undefined;
}

/** Creates the tap for a response with these content-type and content-encoding headers. */
export function createUsageTap(contentType: string | undefined, contentEncoding?: string): UsageTap {
  const reader = (contentType ?? "").includes("text/event-stream") ? createStreamReader() : createJsonReader();
  const inflater = createInflater(contentEncoding);
  if (!inflater) return reader;

  let failed = false;
  inflater.on("data", (chunk: Buffer) => reader.push(chunk));
  inflater.on("error", () => {
    failed = true;
  });
  return {
    push(chunk) {
      if (!failed) inflater.write(chunk);
    },
    end() {
      if (failed) return reader.end();
      return new Promise<void>((resolve) => {
        inflater.once("end", resolve);
        inflater.once("error", resolve);
        inflater.end();
      }).then(() => reader.end());
    },
    get usage() {
      return reader.usage;
    },
    get complete() {
      return reader.complete;
    },
    get errorEvent() {
      return reader.errorEvent;
    },
  };
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

function createJsonReader(): UsageTap {
  const chunks: Buffer[] = [];
  let size = 0;
  let usage: UsageTotals = { model: "", inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
  return {
    push(chunk) {
      size += chunk.length;
      if (size <= MAX_JSON_BYTES) chunks.push(chunk);
    },
    async end() {
      if (size > MAX_JSON_BYTES || size === 0) return;
      try {
        const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
        usage = usageFromMessage(JSON.parse(body.toString("utf8")));
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
  };
}

function createInflater(contentEncoding: string | undefined): Transform | undefined {
  switch ((contentEncoding ?? "").trim().toLowerCase()) {
    case "gzip":
    case "x-gzip":
      return createGunzip();
    case "deflate":
      return createInflate();
    case "br":
      return createBrotliDecompress();
    default:
      return undefined;
  }
}
