/**
 * Which of the mock's methods a request is for, and the record the mock keeps of it. Routes are
 * matched on the end of the path, so a base-URL prefix a client keeps (GOOGLE_GEMINI_BASE_URL with a
 * path) is ignored. Answering is left to the route modules.
 */
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { type GeminiApiMethod, geminiApiRoute } from "./mock-gemini-api.js";
import { CODE_ASSIST_METHODS, type CodeAssistMethod } from "./mock-gemini-code-assist.js";
import { parseJsonObject } from "./mock-gemini-request.js";

/** Every method the mock tells apart; the generation methods are shared by both APIs. */
export type MockGeminiOperation = "listModels" | "getModel" | CodeAssistMethod | "token" | "tokeninfo" | "userinfo" | "unknown";

/** One request the mock received, and what it answered. */
export interface RecordedGeminiRequest {
  method: string;
  /** the path without its query string */
  path: string;
  query: Record<string, string>;
  /** the request target as sent */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** the body parsed as JSON, or undefined */
  json: unknown;
  api: "gemini" | "code-assist" | "oauth" | "unknown";
  operation: MockGeminiOperation;
  /** every byte the mock wrote in its response body */
  responseBody: Buffer;
  /** The status sent, or 0 while none has been (or never will be, after a disconnect). */
  status: number;
}

/** The method a request is for. */
export type MockGeminiRoute =
  | { api: "gemini"; method: GeminiApiMethod; model: string }
  | { api: "code-assist"; method: CodeAssistMethod; operationName?: string }
  | { api: "oauth"; method: "token" | "tokeninfo" | "userinfo" }
  | { api: "unknown"; method: "unknown-method" | "unknown-path" };

/** Reads the method from the HTTP method and path. */
export function routeOf(method: string, pathname: string): MockGeminiRoute {
  const gemini = geminiApiRoute(method, pathname);
  if (gemini) return { api: "gemini", ...gemini };
  const operation = /\/v1internal\/(operations\/[^:]+)$/.exec(pathname);
  if (operation && method === "GET") return { api: "code-assist", method: "getOperation", operationName: operation[1] };
  const internal = /\/v1internal:([A-Za-z]+)$/.exec(pathname);
  if (internal) {
    const name = internal[1] as CodeAssistMethod;
    return CODE_ASSIST_METHODS.includes(name) && name !== "getOperation" ? { api: "code-assist", method: name } : { api: "unknown", method: "unknown-method" };
  }
  if (method === "POST" && pathname.endsWith("/token")) return { api: "oauth", method: "token" };
  if (pathname.endsWith("/tokeninfo")) return { api: "oauth", method: "tokeninfo" };
  if (method === "GET" && pathname.endsWith("/oauth2/v2/userinfo")) return { api: "oauth", method: "userinfo" };
  return { api: "unknown", method: "unknown-path" };
}

/** The body of a token request as form fields, whether it came form-encoded (the norm) or as JSON. */
export function formOf(contentType: string | undefined, body: Buffer): URLSearchParams {
  if (contentType?.startsWith("application/json")) {
    const json = parseJsonObject(body) ?? {};
    return new URLSearchParams(Object.entries(json).map(([key, value]): [string, string] => [key, String(value)]));
  }
  return new URLSearchParams(body.toString("utf8"));
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A record whose responseBody joins the chunks written so far, joined again only after new writes. */
export function createRecord(req: IncomingMessage, target: URL, body: Buffer, route: MockGeminiRoute): { record: RecordedGeminiRequest; append(chunk: Buffer): void } {
  const chunks: Buffer[] = [];
  let joined = Buffer.alloc(0);
  let joinedCount = 0;
  let json: unknown;
  try {
    json = body.length > 0 ? JSON.parse(body.toString("utf8")) : undefined;
  } catch {
    json = undefined;
  }
  const record: RecordedGeminiRequest = {
    method: req.method ?? "GET",
    path: target.pathname,
    query: Object.fromEntries(target.searchParams),
    url: req.url ?? "/",
    headers: req.headers,
    body,
    json,
    api: route.api,
    operation: route.api === "unknown" ? "unknown" : route.method,
    status: 0,
    get responseBody() {
      if (joinedCount !== chunks.length) {
        joined = Buffer.concat(chunks);
        joinedCount = chunks.length;
      }
      return joined;
    },
  };
  return { record, append: (chunk) => chunks.push(chunk) };
}
