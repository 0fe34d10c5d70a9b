/**
 * The bytes the mock Gemini upstream answers with: GenerateContentResponse objects, their
 * usageMetadata, the two stream framings (`alt=sse` events and the JSON array written in pieces),
 * the models list and the response headers. Deciding what to answer is left to mock-gemini-reply.ts.
 *
 * Shapes follow the API reference (https://ai.google.dev/api/generate-content) and the service's
 * streams as client projects quote them in their parsers' fixtures: SSE events are
 * `data: <json>\r\n\r\n`, and the JSON inside is written compactly with `": "` after a key and a
 * bare `,` between members (`{"candidates": [{"content": {"parts": [{"text": "Hi"}],"role": "model"}}],...}`);
 * chunks before the last carry usageMetadata without candidatesTokenCount. Non-streaming answers and
 * errors are pretty-printed with two spaces.
 */
import { randomBytes } from "node:crypto";

/** The text the mock answers with unless told otherwise; non-ASCII so byte-exactness is meaningful. */
export const DEFAULT_MOCK_GEMINI_TEXT = "Hello from the mock Gemini — héllo 世界 🎉";

/** The model the mock reports when a request names none. */
export const DEFAULT_MOCK_GEMINI_MODEL = "gemini-2.5-pro";

/** The models the mock knows unless told otherwise; any other model is refused with 404 NOT_FOUND. */
export const DEFAULT_MOCK_GEMINI_MODELS: readonly string[] = [
  "gemini-2.5-pro",
  "gemini-2.5-flash",
  "gemini-2.5-flash-lite",
  "gemini-2.0-flash",
  "gemini-3-pro-preview",
  "gemini-3-flash-preview",
];

/** Token counts of one answer, as usageMetadata names them. */
export interface MockGeminiUsage {
  promptTokenCount: number;
  candidatesTokenCount: number;
  /** part of promptTokenCount that came from a cache, as the API counts it */
  cachedContentTokenCount: number;
  thoughtsTokenCount: number;
}

/** What one mocked answer says, before it is cut into chunks. */
export interface MockGeminiAnswer {
  /** reported as modelVersion */
  model: string;
  responseId: string;
  /** thought summary; sent as `thought: true` parts only when the request asked to include thoughts */
  thoughts?: string;
  includeThoughts: boolean;
  text?: string;
  /** function calls, sent together as parallel calls */
  functionCalls?: Array<{ name: string; args: Record<string, unknown> }>;
  usage: MockGeminiUsage;
  finishReason: string;
}

/** A deterministic token count for some text or JSON: about one token per 4 UTF-8 bytes. */
export function mockGeminiTokens(text: string): number {
  return text.length === 0 ? 0 : Math.max(1, Math.ceil(Buffer.byteLength(text) / 4));
}

/** A fresh responseId, shaped like the API's (base64url, no padding). */
export function mockResponseId(): string {
  return randomBytes(17).toString("base64url").slice(0, 23);
}

/** JSON written the way the API writes a stream chunk: `": "` after a key, a bare `,` between members. */
export function googleCompactJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => googleCompactJson(item ?? null)).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const members = Object.entries(value).filter(([, member]) => member !== undefined);
    return `{${members.map(([key, member]) => `${JSON.stringify(key)}: ${googleCompactJson(member)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** usageMetadata in the API's field order; `final` adds candidatesTokenCount and counts every token. */
export function usageMetadata(usage: MockGeminiUsage, final: boolean): Record<string, unknown> {
  const candidates = final ? usage.candidatesTokenCount : 0;
  const metadata: Record<string, unknown> = {
    promptTokenCount: usage.promptTokenCount,
    candidatesTokenCount: final ? candidates : undefined,
    totalTokenCount: usage.promptTokenCount + candidates + usage.thoughtsTokenCount,
    cachedContentTokenCount: usage.cachedContentTokenCount || undefined,
    promptTokensDetails: [{ modality: "TEXT", tokenCount: usage.promptTokenCount }],
    cacheTokensDetails: usage.cachedContentTokenCount ? [{ modality: "TEXT", tokenCount: usage.cachedContentTokenCount }] : undefined,
    thoughtsTokenCount: usage.thoughtsTokenCount || undefined,
  };
  return JSON.parse(JSON.stringify(metadata)) as Record<string, unknown>;
}

function response(answer: MockGeminiAnswer, parts: unknown[], final: boolean): Record<string, unknown> {
  const candidate = final ? { content: { parts, role: "model" }, finishReason: answer.finishReason, index: 0 } : { content: { parts, role: "model" } };
  return { candidates: [candidate], usageMetadata: usageMetadata(answer.usage, final), modelVersion: answer.model, responseId: answer.responseId };
}

/** The parts of an answer's calls. */
function functionCallParts(calls: NonNullable<MockGeminiAnswer["functionCalls"]>): Record<string, unknown>[] {
  // Thinking models sign the first part that carries a call (of parallel calls, only the first);
  // clients send the signature back unchanged.
  return calls.map((call, i) => ({ functionCall: { name: call.name, args: call.args }, ...(i === 0 && { thoughtSignature: randomBytes(24).toString("base64") }) }));
}

/** The whole answer as one GenerateContentResponse (generateContent). */
export function wholeResponse(answer: MockGeminiAnswer): Record<string, unknown> {
  const parts: unknown[] = [];
  if (answer.thoughts && answer.includeThoughts) parts.push({ text: answer.thoughts, thought: true });
  if (answer.text !== undefined) parts.push({ text: answer.text });
  if (answer.functionCalls) parts.push(...functionCallParts(answer.functionCalls));
  return response(answer, parts, true);
}

/**
 * The answer as stream chunks: the thought summary, then `textChunks` pieces of the text, then the
 * function calls, all in one chunk as the API sends parallel calls. Every chunk carries usageMetadata; only the last has candidatesTokenCount, the
 * final totalTokenCount and the finishReason, so a reader must keep the last one, never add them up.
 */
export function streamChunks(answer: MockGeminiAnswer, textChunks = 3): Record<string, unknown>[] {
  const partsPerChunk: unknown[][] = [];
  if (answer.thoughts && answer.includeThoughts) partsPerChunk.push([{ text: answer.thoughts, thought: true }]);
  if (answer.text !== undefined) for (const piece of splitText(answer.text, Math.max(1, textChunks))) partsPerChunk.push([{ text: piece }]);
  if (answer.functionCalls) partsPerChunk.push(functionCallParts(answer.functionCalls));
  if (partsPerChunk.length === 0) partsPerChunk.push([{ text: "" }]);
  return partsPerChunk.map((parts, i) => response(answer, parts, i === partsPerChunk.length - 1));
}

/** One SSE event per object, framed as the API frames them. */
export function sseEvents(objects: unknown[]): Buffer[] {
  return objects.map((object) => Buffer.from(`data: ${googleCompactJson(object)}\r\n\r\n`, "utf8"));
}

/**
 * One JSON array, one piece per object (`[first`, `,\r\nsecond`, …, `]`), for streamGenerateContent
 * without alt=sse: a reader only has a complete document once the closing bracket arrives.
 */
export function jsonArrayPieces(objects: unknown[]): Buffer[] {
  const pieces = objects.map((object, i) => `${i === 0 ? "[" : ",\r\n"}${googleCompactJson(object)}`);
  if (pieces.length === 0) pieces.push("[");
  pieces.push("]");
  return pieces.map((piece) => Buffer.from(piece, "utf8"));
}

/** A model resource as models.get and models.list return it (https://ai.google.dev/api/models). */
export function modelResource(id: string): Record<string, unknown> {
  const version = /^gemini-(\d+(?:\.\d+)?)/.exec(id)?.[1] ?? "001";
  const title = id
    .split("-")
    .map((word) => (word.length > 0 ? (word[0] ?? "").toUpperCase() + word.slice(1) : word))
    .join(" ");
  return {
    name: `models/${id}`,
    version,
    displayName: title,
    description: `${title}, served by the mock upstream`,
    inputTokenLimit: 1048576,
    outputTokenLimit: 65536,
    supportedGenerationMethods: ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"],
    temperature: 1,
    topP: 0.95,
    topK: 64,
    maxTemperature: 2,
    thinking: true,
  };
}

/** Response headers like the API's (content type plus the front end's fixed security headers). */
export function mockGoogleHeaders(contentType: string): Record<string, string> {
  return {
    "content-type": contentType,
    vary: "Origin, X-Origin, Referer",
    server: "scaffolding on HTTPServer2",
    "x-xss-protection": "0",
    "x-frame-options": "SAMEORIGIN",
    "x-content-type-options": "nosniff",
    "server-timing": `gfet4t7; dur=${1 + Math.floor(Math.random() * 900)}`,
  };
}

/** The content type of JSON answers and errors. */
export const GOOGLE_JSON = "application/json; charset=UTF-8";

/** Splits text into at most `wanted` non-empty pieces on code point boundaries (one piece for empty text). */
function splitText(text: string, wanted: number): string[] {
  const points = Array.from(text);
  const parts = Math.min(wanted, Math.max(1, points.length));
  const pieces: string[] = [];
  for (let i = 0; i < parts; i++) {
    pieces.push(points.slice(Math.floor((i * points.length) / parts), Math.floor(((i + 1) * points.length) / parts)).join(""));
  }
  return pieces;
}
