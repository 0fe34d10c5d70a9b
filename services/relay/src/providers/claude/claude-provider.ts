/**
 * The Claude provider: the Anthropic Messages front door (`POST /v1/messages`,
 * `POST /v1/messages/count_tokens`, `GET /v1/models[/{id}]`, also under
 * `/api/v1/…` and `/claude/v1/…`, the base paths older relays used, so their
 * clients need no change) over Claude Console and subscription accounts. The
 * front door and the accounts speak the same protocol, so bytes pass through
 * unchanged; upstream the path is always `/v1/…`, whichever base the client used.
 */
import { sseErrorEvent } from "@claude-relay/anthropic";
import { Platform } from "@claude-relay/proto/lease";
import { buildUpstreamRequest } from "../../upstream/forward.js";
import { PING_EVENT } from "../../proxy/client-pinger.js";
import type { ApiRequest, PlanResult, ProviderRoute, RelayProvider } from "../provider.js";
import { toAnthropicError } from "./anthropic-errors.js";
import { signClaudeRequest } from "./claude-credentials.js";
import { CLAUDE_PROTOCOL } from "./claude-protocol.js";
import { type ClaudeEndpoint, clientKeyOf, readMessagesRequest } from "./read-messages.js";

/** The Messages API route of a request, or undefined; `path` has no query string. */
export function claudeEndpointOf(method: string, path: string): ClaudeEndpoint | undefined {
  let rest: string;
  if (path.startsWith("/v1/")) rest = path.slice(3);
  else if (path.startsWith("/api/v1/")) rest = path.slice(7);
  else if (path.startsWith("/claude/v1/")) rest = path.slice(10);
  else return undefined;
  if (method === "POST") {
    if (rest === "/messages") return "messages";
    if (rest === "/messages/count_tokens") return "count_tokens";
    return undefined;
  }
  if (method === "GET" && (rest === "/models" || (rest.startsWith("/models/") && rest.length > 8 && rest.indexOf("/", 8) < 0))) return "models";
  return undefined;
}

function plan(account: Parameters<ProviderRoute["plan"]>[0], request: ApiRequest, req: Parameters<ProviderRoute["plan"]>[2]): PlanResult {
  const { url } = request;
  const upstreamPath = url.startsWith("/v1/") ? url : url.slice(url.indexOf("/v1/"));
  const method = req.method === "GET" ? "GET" : "POST";
  const built = buildUpstreamRequest(account, upstreamPath, req.headers, method === "GET" ? undefined : request.body.length, signClaudeRequest);
  if (!built.ok) return built;
  return { ok: true, plan: { method, protocol: CLAUDE_PROTOCOL, request: built.request, body: method === "GET" ? undefined : request.body } };
}

function route(endpoint: ClaudeEndpoint): ProviderRoute {
  return { label: endpoint, read: (req, options) => readMessagesRequest(req, endpoint, options), plan };
}

const ROUTES: Readonly<Record<ClaudeEndpoint, ProviderRoute>> = { messages: route("messages"), count_tokens: route("count_tokens"), models: route("models") };

const INTERRUPTED = sseErrorEvent("api_error", "The upstream stream was interrupted.");
const SHUTTING_DOWN = sseErrorEvent("overloaded_error", "The relay is restarting. Please try again.");

/** Creates the Claude provider. */
export function createClaudeProvider(): RelayProvider {
  return {
    name: "anthropic",
    platform: Platform.CLAUDE,
    match(method, path) {
      const endpoint = claudeEndpointOf(method, path);
      return endpoint === undefined ? undefined : ROUTES[endpoint];
    },
    owns: (path) => path.startsWith("/v1/") || path.startsWith("/api/v1/") || path.startsWith("/claude/"),
    clientKey: (req) => clientKeyOf(req.headers),
    errorResponse: toAnthropicError,
    streamError: (kind) => (kind === "interrupted" ? INTERRUPTED : SHUTTING_DOWN),
    pingEvent: PING_EVENT,
  };
}
