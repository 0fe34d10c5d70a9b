/**
 * The building blocks of a response translator (providers/provider.ts): an
 * event stream whose events' data are mapped one by one as they complete, an
 * event stream turned into the JSON array a Gemini stream without `alt=sse`
 * answers with, and a whole JSON body mapped once at its end (a single object,
 * bounded in size). Each maps only a 2xx answer: an error body is in Google's
 * shape on both sides and passes as it came. Content length is dropped, since
 * the bytes change; the content type is the client protocol's.
 */
import { createSseParser } from "@claude-relay/anthropic";
import type { ResponseHeaders, ResponseTranslator } from "../providers/provider.js";

const EMPTY = Buffer.alloc(0);

/** Largest JSON answer mapped whole; a generateContent answer is far smaller. */
const MAX_JSON_BYTES = 16 * 1024 * 1024;

/** A translator that maps each event's data of an event stream, keeping one event per event. */
export function sseDataTranslator(map: (data: string) => string): ResponseTranslator {
  return eventTranslator("text/event-stream", {
    event: (data) => `data: ${map(data)}\r\n\r\n`,
    end: () => "",
  });
}

/** A translator from an event stream to one JSON array of the events' (mapped) data, written as the events come. */
export function sseToJsonArrayTranslator(map: (data: string) => string): ResponseTranslator {
  let count = 0;
  return eventTranslator("application/json; charset=UTF-8", {
    event: (data) => `${count++ === 0 ? "[" : ",\r\n"}${map(data)}`,
    end: () => (count === 0 ? "[]" : "]"),
  });
}

/** A translator that maps a whole JSON body once it has arrived. */
export function jsonBodyTranslator(map: (json: string) => string): ResponseTranslator {
  const chunks: Buffer[] = [];
  let size = 0;
  let passthrough = false;
  return {
    headers(status, upstream) {
      passthrough = status < 200 || status >= 300;
      return passthrough ? upstream : withoutLength(upstream);
    },
    push(chunk) {
      if (passthrough) return chunk;
      size += chunk.length;
      if (size > MAX_JSON_BYTES) {
        // Too large to be one answer: hand on what came, unmapped, rather than hold it all.
        passthrough = true;
        const held = Buffer.concat([...chunks.splice(0), chunk]);
        return held;
      }
      chunks.push(chunk);
      return EMPTY;
    },
    end() {
      if (passthrough || size === 0) return EMPTY;
      return Buffer.from(map(Buffer.concat(chunks, size).toString("utf8")), "utf8");
    },
  };
}

interface EventWriter {
  event(data: string): string;
  end(): string;
}

function eventTranslator(contentType: string, writer: EventWriter): ResponseTranslator {
  let out: string[] = [];
  let passthrough = false;
  const parser = createSseParser((event) => out.push(writer.event(event.data)));
  const drain = (): Buffer => {
    if (out.length === 0) return EMPTY;
    const text = out.join("");
    out = [];
    return Buffer.from(text, "utf8");
  };
  return {
    headers(status, upstream) {
      passthrough = status < 200 || status >= 300;
      return passthrough ? upstream : { ...withoutLength(upstream), "content-type": contentType };
    },
    push(chunk) {
      if (passthrough) return chunk;
      parser.push(chunk);
      return drain();
    },
    end() {
      if (passthrough) return EMPTY;
      parser.end();
      out.push(writer.end());
      return drain();
    },
  };
}

function withoutLength(headers: ResponseHeaders): ResponseHeaders {
  const { "content-length": _dropped, ...rest } = headers;
  return rest;
}
