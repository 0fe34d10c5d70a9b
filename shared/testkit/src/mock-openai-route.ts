/**
 * Which of the mock OpenAI upstream's operations a request is for, the credential it carries, and
 * the record the mock keeps of it. Routes are matched on the end of the path, so a base-URL prefix
 * a client keeps (`/openai/v1` on Azure) is ignored. Answering is left to mock-openai.ts.
 */
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";

/** Every operation the mock tells apart. */
export type MockOpenAIOperation = "responses" | "codexResponses" | "chatCompletions" | "models" | "token";

/** One request the mock received, and what it answered. */
export interface RecordedOpenAIRequest {
  method: string;
  /** the path without its query string */
  path: string;
  /** the request target as sent */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** the body parsed as JSON, or undefined */
  json: unknown;
  operation: MockOpenAIOperation | "unknown";
  /** the API key, or the ChatGPT account id, the request was accepted for; undefined when refused */
  credential?: string;
  /** every byte the mock wrote in its response body */
  responseBody: Buffer;
  /** The status sent, or 0 while none has been (or never will be, after a disconnect). */
  status: number;
}

/** Reads the operation from the HTTP method and path. */
export function routeOf(method: string, pathname: string): MockOpenAIOperation | "unknown" {
  const path = pathname.replace(/\/+$/, "");
  if (method === "POST" && path.endsWith("/backend-api/codex/responses")) return "codexResponses";
  if (method === "POST" && path.endsWith("/responses")) return "responses";
  if (method === "POST" && path.endsWith("/chat/completions")) return "chatCompletions";
  if (method === "GET" && path.endsWith("/models")) return "models";
  if (method === "POST" && path.endsWith("/oauth/token")) return "token";
  return "unknown";
}

/** The API key of a request: `Authorization: Bearer <key>`, or Azure's `api-key` header. */
export function apiKeyOf(headers: IncomingHttpHeaders): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? "")?.[1];
  const azure = headers["api-key"];
  return bearer ?? (Array.isArray(azure) ? azure[0] : azure);
}

/** The fields of a token request, whether it came form-encoded (code exchange) or as JSON (Codex's refresh). */
export function fieldsOf(contentType: string | undefined, body: Buffer): Record<string, string> {
  if (contentType?.startsWith("application/json")) {
    try {
      const json: unknown = JSON.parse(body.toString("utf8"));
      if (typeof json !== "object" || json === null) return {};
      return Object.fromEntries(Object.entries(json).map(([key, value]): [string, string] => [key, String(value)]));
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(body.toString("utf8")));
}

/** A record whose responseBody joins the chunks written so far, joined again only after new writes. */
export function createRecord(req: IncomingMessage, target: URL, body: Buffer, operation: RecordedOpenAIRequest["operation"]): { record: RecordedOpenAIRequest; append(chunk: Buffer): void } {
  const chunks: Buffer[] = [];
  let joined = Buffer.alloc(0);
  let joinedCount = 0;
  let json: unknown;
  try {
    json = body.length > 0 ? JSON.parse(body.toString("utf8")) : undefined;
  } catch {
    json = undefined;
  }
  const record: RecordedOpenAIRequest = {
    method: req.method ?? "GET",
    path: target.pathname,
    url: req.url ?? "/",
    headers: req.headers,
    body,
    json,
    operation,
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
