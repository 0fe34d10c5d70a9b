/**
 * The key holders' side of the admin port, public (no admin session): the
 * /stats page (key-stats-page.ts) and its JSON endpoint, POST /stats/usage,
 * which takes the key from `x-api-key` or `Authorization: Bearer` and answers
 * the same report the relay's GET /v1/key/usage gives (keys/key-usage.ts), with
 * the same attempt limit per client address. Errors come in the Anthropic
 * shape, as from the relay: every key that cannot be used, or none, gets the
 * one 401; too many attempts 429 with retry-after; Redis down 503.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "@claude-relay/logging";
import { isRedisUnavailable } from "../errors.js";
import { hashApiKey } from "../keys/api-key-store.js";
import type { KeyUsageLookup } from "../keys/key-usage.js";
import { resolveClientAddress } from "../rpc/admin/client-address.js";
import { KEY_STATS_CSP, KEY_STATS_HTML } from "./key-stats-page.js";

/** Where the page is. */
export const KEY_STATS_PATH = "/stats";
/** Where the page asks for the report. */
export const KEY_STATS_USAGE_PATH = "/stats/usage";

/** Dependencies of createKeyStatsHandler. */
export interface KeyStatsDeps {
  keyUsage: KeyUsageLookup;
  /** Believe X-Forwarded-For for the caller's address (only behind a proxy that sets it). */
  trustProxy: boolean;
  log: Logger;
}

/** Handles a request when it is for /stats; returns false to let the caller route it. */
export type KeyStatsHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/** Builds the handler. */
export function createKeyStatsHandler(deps: KeyStatsDeps): KeyStatsHandler {
  return (req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0];
    const method = req.method ?? "GET";
    if (path === KEY_STATS_PATH || path === `${KEY_STATS_PATH}/`) {
      if (method !== "GET" && method !== "HEAD") return methodNotAllowed(res, "GET, HEAD");
      res.writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        "content-length": Buffer.byteLength(KEY_STATS_HTML),
        "content-security-policy": KEY_STATS_CSP,
        "cache-control": "no-cache",
        "referrer-policy": "no-referrer",
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
      });
      res.end(method === "HEAD" ? undefined : KEY_STATS_HTML);
      return true;
    }
    if (path !== KEY_STATS_USAGE_PATH) return false;
    if (method !== "POST") return methodNotAllowed(res, "POST");
    // The report needs nothing from the body; it is read and dropped so the client can read the answer.
    req.resume();
    const key = keyFromHeaders(req);
    const address = resolveClientAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"], deps.trustProxy);
    deps.keyUsage(key === undefined ? "" : hashApiKey(key), address).then(
      (answer) => {
        if (answer.ok) return sendJson(res, 200, JSON.stringify(answer.report));
        if (answer.reason === "KEY_LIMIT") return sendJson(res, 429, errorJson("rate_limit_error", answer.message), { "retry-after": String(Math.max(1, Math.ceil(answer.retryAfterMs / 1000))) });
        // KEY_INVALID, and any refusal this page does not expect: the one answer that says nothing about the key.
        sendJson(res, 401, errorJson("authentication_error", "invalid x-api-key"));
      },
      (err: unknown) => {
        if (isRedisUnavailable(err)) return sendJson(res, 503, errorJson("overloaded_error", "The service is temporarily unavailable. Please try again."));
        deps.log.error({ err }, "key usage lookup failed");
        sendJson(res, 500, errorJson("api_error", "Internal server error."));
      },
    );
    return true;
  };
}

/** The client key from `x-api-key`, else `Authorization: Bearer`; undefined when neither carries one. */
export function keyFromHeaders(req: Pick<IncomingMessage, "headers">): string | undefined {
  const apiKey = req.headers["x-api-key"];
  if (typeof apiKey === "string" && apiKey.trim() !== "") return apiKey.trim();
  const match = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
  return match?.[1];
}

function errorJson(type: string, message: string): string {
  return JSON.stringify({ type: "error", error: { type, message } });
}

function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...headers,
  });
  res.end(body);
}

function methodNotAllowed(res: ServerResponse, allow: string): true {
  sendJson(res, 405, errorJson("invalid_request_error", "Method not allowed."), { allow });
  return true;
}
