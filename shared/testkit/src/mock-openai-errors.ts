/**
 * The error bodies the mock OpenAI upstream answers with, in the shapes the real services use, and
 * the one writer of JSON answers. The OpenAI API (and the Codex backend's inference errors) answer
 * `{"error":{"message","type","param","code"}}`; the Codex backend's request checks answer FastAPI's
 * `{"detail": …}`; auth.openai.com answers OAuth errors. When each is sent is left to the routes.
 *
 * Texts as the services send them, quoted in client bug reports and in the openai/codex sources:
 * a wrong key ("Incorrect API key provided: …", code invalid_api_key), a missing key, unknown
 * parameters (code unknown_parameter), previous_response_not_found, the Codex backend's
 * "Instructions are required" / "Store must be set to false" / "Stream must be set to true",
 * usage_limit_reached with plan_type/resets_at/resets_in_seconds (codex-rs reads them in
 * api_bridge/error handling), 402 `{"detail":{"code":"deactivated_workspace"}}`, and the refresh
 * codes refresh_token_reused / refresh_token_invalidated (codex-rs login auth/manager.rs).
 */
import { randomBytes } from "node:crypto";
import type { MockResponder } from "./mock-responder.js";

/** One OpenAI API error, before it is written. */
export interface OpenAIErrorSpec {
  status: number;
  message: string;
  type?: string;
  param?: string | null;
  code?: string | null;
}

/** The `{"error":{…}}` body of an OpenAI API error. */
export function openAIErrorBody(spec: OpenAIErrorSpec): Record<string, unknown> {
  return { error: { message: spec.message, type: spec.type ?? typeForStatus(spec.status), param: spec.param ?? null, code: spec.code ?? null } };
}

function typeForStatus(status: number): string {
  if (status === 429) return "rate_limit_exceeded";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

/** 400 invalid_request_error with a param and code. */
export function invalidRequest(message: string, param: string | null = null, code: string | null = null): OpenAIErrorSpec {
  return { status: 400, message, type: "invalid_request_error", param, code };
}

/** A key shown as the API shows it in "Incorrect API key provided": its start and its last four characters. */
export function maskKey(key: string): string {
  if (key.length <= 8) return `${key.slice(0, 2)}${"*".repeat(Math.max(0, key.length - 2))}`;
  return `${key.slice(0, 7)}${"*".repeat(key.length - 11)}${key.slice(-4)}`;
}

/** 401 for a missing or wrong API key. */
export function apiKeyError(key: string | undefined): OpenAIErrorSpec {
  if (key === undefined || key === "") {
    const message =
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.";
    return { status: 401, message, type: "invalid_request_error", code: null };
  }
  const message = `Incorrect API key provided: ${maskKey(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`;
  return { status: 401, message, type: "invalid_request_error", code: "invalid_api_key" };
}

export const INVALID_JSON_MESSAGE =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)";

/** Headers every answer of the API carries. */
export function openAIHeaders(contentType: string): Record<string, string> {
  return {
    "content-type": contentType,
    "x-request-id": `req_${randomBytes(16).toString("hex")}`,
    "openai-processing-ms": String(20 + Math.floor(Math.random() * 400)),
    "openai-version": "2020-10-01",
  };
}

/** Sends a JSON body with a content-length. */
export function sendJson(out: MockResponder, status: number, body: unknown, headers: Record<string, string> = {}): Promise<void> {
  const bytes = Buffer.from(JSON.stringify(body, null, 2), "utf8");
  out.head(status, { ...openAIHeaders("application/json"), ...headers, "content-length": String(bytes.length) });
  return out.end(bytes);
}

/** Sends an OpenAI API error. */
export function sendOpenAIError(out: MockResponder, spec: OpenAIErrorSpec, headers: Record<string, string> = {}): Promise<void> {
  return sendJson(out, spec.status, openAIErrorBody(spec), headers);
}

/** The Codex backend's 429 when the plan's usage window is used up. */
export function usageLimitBody(planType: string, resetsInSeconds: number, nowMs: number): Record<string, unknown> {
  return {
    error: {
      type: "usage_limit_reached",
      message: "The usage limit has been reached",
      plan_type: planType,
      resets_at: Math.floor(nowMs / 1000) + resetsInSeconds,
      resets_in_seconds: resetsInSeconds,
    },
  };
}

/** The Codex backend's 402 for a workspace that was deactivated (the account is banned). */
export const DEACTIVATED_WORKSPACE_BODY = { detail: { code: "deactivated_workspace" } } as const;

/** The Codex backend's 401 for an access token it cannot read (unknown, revoked, malformed). */
export const UNREADABLE_TOKEN_BODY = { detail: "Could not parse your authentication token. Please try signing in again." } as const;

/** The Codex backend's 401 for an expired access token. */
export function tokenExpiredBody(): Record<string, unknown> {
  return openAIErrorBody({ status: 401, message: "Provided authentication token is expired. Please try signing in again.", code: "token_expired" });
}

/** The Codex backend's 403 when chatgpt-account-id is missing or names a workspace the token is not a member of. */
export function accountMismatchBody(accountId: string | undefined): Record<string, unknown> {
  return { detail: accountId ? `You do not have access to workspace ${accountId}.` : "Missing chatgpt-account-id header." };
}
