/**
 * The ResponseTranslator (providers/provider.ts) both chat targets share; the
 * target only says how one upstream event and one whole answer read in
 * OpenAI's terms. By the upstream's answer:
 *
 * - a 2xx event stream goes through the SSE parser and each complete event is
 *   mapped as it arrives, never held past its own end;
 * - a 2xx JSON answer (a single object, bounded in size) is mapped once at its end;
 * - any other status keeps its status and gets an OpenAI error body, with the
 *   upstream's message, written once its (bounded) body has arrived.
 *
 * Content length goes, since the bytes change; the content type becomes the
 * client's. The upstream body must arrive uncompressed (the plan asks for
 * `accept-encoding: identity`).
 */
import { createSseParser, type SseEvent } from "@claude-relay/anthropic";
import type { ResponseHeaders, ResponseTranslator } from "../../providers/provider.js";
import { openAiErrorBody, openAiErrorFromUpstream, openAiErrorOf } from "./openai-errors.js";

/** Maps one upstream stream, event by event. */
export interface StreamMapper {
  /** The client's text for one complete upstream event; "" for none. */
  event(event: SseEvent): string;
  /** The client's last text once the upstream body ended. */
  end(): string;
}

/** How a target's answers read as chat completions. */
export interface ChatAnswerMapping {
  /** A fresh mapper for a streamed answer. */
  stream(): StreamMapper;
  /** The `chat.completion` text for a whole JSON answer, already parsed. */
  json(body: unknown): string;
}

const EMPTY = Buffer.alloc(0);
/** Largest JSON answer mapped whole; a generateContent or Messages answer is far smaller. */
const MAX_JSON_BYTES = 16 * 1024 * 1024;
/** Largest error body read for its message; the rest is not needed. */
const MAX_ERROR_BYTES = 64 * 1024;

/** Creates the translator of one answer; see the module comment. */
export function createChatTranslator(mapping: ChatAnswerMapping): ResponseTranslator {
  let mode: "stream" | "json" | "error" = "json";
  let status = 200;
  const held: Buffer[] = [];
  let size = 0;
  let out: string[] = [];
  let mapper: StreamMapper | undefined;
  const parser = createSseParser((event) => {
    const text = mapper?.event(event) ?? "";
    if (text !== "") out.push(text);
  });
  const drain = (): Buffer => {
    if (out.length === 0) return EMPTY;
    const text = out.join("");
    out = [];
    return Buffer.from(text, "utf8");
  };
  return {
    headers(upstreamStatus, upstream) {
      status = upstreamStatus;
      const type = upstream["content-type"];
      if (status < 200 || status >= 300) mode = "error";
      else mode = typeof type === "string" && type.includes("text/event-stream") ? "stream" : "json";
      if (mode === "stream") mapper = mapping.stream();
      const { "content-length": _length, ...rest } = upstream;
      return { ...rest, "content-type": mode === "stream" ? "text/event-stream; charset=utf-8" : "application/json" };
    },
    push(chunk) {
      if (mode === "stream") {
        parser.push(chunk);
        return drain();
      }
      const limit = mode === "json" ? MAX_JSON_BYTES : MAX_ERROR_BYTES;
      if (size + chunk.length <= limit) held.push(chunk);
      size += chunk.length;
      return EMPTY;
    },
    end() {
      if (mode === "stream") {
        parser.end();
        const last = mapper?.end() ?? "";
        if (last !== "") out.push(last);
        return drain();
      }
      const text = Buffer.concat(held).toString("utf8");
      if (mode === "error") return Buffer.from(openAiErrorBody(openAiErrorFromUpstream(status, text)), "utf8");
      return Buffer.from(jsonAnswer(mapping, text, size), "utf8");
    },
  };
}

/** The completion for a whole JSON answer; an error body (in a 2xx, as the status is gone) when it cannot be read. */
function jsonAnswer(mapping: ChatAnswerMapping, text: string, size: number): string {
  if (size > MAX_JSON_BYTES) return openAiErrorBody(openAiErrorOf(502, "The upstream answer was too large to translate."));
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return openAiErrorBody(openAiErrorOf(502, "The upstream answer was not valid JSON."));
  }
  return mapping.json(body);
}
