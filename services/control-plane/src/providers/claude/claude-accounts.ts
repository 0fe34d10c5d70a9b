/**
 * The Claude provider's account side: Console keys and subscription OAuth
 * against the Anthropic Messages API. TestAccount's request is the smallest
 * Messages call, sent the way the relay sends it; sign-in is claude.ai's PKCE
 * flow with a JSON token endpoint.
 */
import type { AccountCredential } from "../../accounts/account-store.js";
import { createOAuthTokenClient } from "../../accounts/oauth-token-client.js";
import { upstreamUrl, type AccountProvider, type TestRequest, type TestRequestInput } from "../account-provider.js";

/** The model tried when the account allows every model (or only wildcards). */
export const CLAUDE_TEST_MODEL = "claude-haiku-4-5";
const ANTHROPIC_VERSION = "2023-06-01";
const OAUTH_BETA = "oauth-2025-04-20";
const MAX_MESSAGE_CHARS = 500;

/** Claude's OAuth endpoints and client (Claude Code's public client by default). */
export interface ClaudeAccountsConfig {
  authorizeUrl: string;
  tokenUrl: string;
  redirectUri: string;
  clientId: string;
  /** Space-separated. */
  scopes: string;
  now?: () => number;
}

/** The defaults of ClaudeAccountsConfig, as Claude Code signs in. */
export const CLAUDE_OAUTH_DEFAULTS = Object.freeze({
  authorizeUrl: "https://claude.ai/oauth/authorize",
  tokenUrl: "https://console.anthropic.com/v1/oauth/token",
  redirectUri: "https://console.anthropic.com/oauth/code/callback",
  clientId: "9d1c250a-e61b-44d9-88ed-5944d1962f5e",
  scopes: "org:create_api_key user:profile user:inference",
});

/** The request headers for a credential, as the relay sets them. */
export function claudeTestHeaders(credential: AccountCredential): Record<string, string> {
  const headers: Record<string, string> = { "content-type": "application/json", "anthropic-version": ANTHROPIC_VERSION };
  if (credential.kind === "api-key") headers["x-api-key"] = credential.apiKey;
  else {
    headers.authorization = `Bearer ${credential.accessToken}`;
    headers["anthropic-beta"] = OAUTH_BETA;
  }
  return headers;
}

/** `max_tokens: 1` to `{base}/v1/messages`. */
export function claudeTestRequest({ baseUrl, credential, model }: TestRequestInput): TestRequest {
  return {
    url: upstreamUrl(baseUrl, "v1/messages"),
    headers: claudeTestHeaders(credential),
    body: JSON.stringify({ model, max_tokens: 1, messages: [{ role: "user", content: "ping" }] }),
  };
}

/** The `error.type` and `error.message` of an Anthropic error body; empty strings when it is not one. */
export function readAnthropicErrorBody(text: string): { type: string; message: string } {
  try {
    const body = JSON.parse(text) as { error?: { type?: unknown; message?: unknown } };
    const type = typeof body.error?.type === "string" ? body.error.type : "";
    const message = typeof body.error?.message === "string" ? body.error.message.slice(0, MAX_MESSAGE_CHARS) : "";
    return { type, message };
  } catch {
    return { type: "", message: "" };
  }
}

/** The Claude provider. */
export function createClaudeAccountProvider(config: ClaudeAccountsConfig = CLAUDE_OAUTH_DEFAULTS): AccountProvider {
  const tokenClient = (tokenUrl: string) => createOAuthTokenClient({ tokenUrl: tokenUrl || config.tokenUrl, clientId: config.clientId, ...(config.now && { now: config.now }) });
  return {
    platform: "claude",
    defaultBaseUrls: {},
    defaultTestModel: CLAUDE_TEST_MODEL,
    testRequest: claudeTestRequest,
    readErrorBody: readAnthropicErrorBody,
    oauth: {
      type: "claude-oauth",
      tokenClient,
      flow: {
        tokens: tokenClient(""),
        config: {
          authorizeUrl: config.authorizeUrl,
          clientId: config.clientId,
          redirectUri: config.redirectUri,
          scopes: config.scopes,
          // Asks claude.ai to show the code on its callback page for pasting.
          extraParams: { code: "true" },
        },
      },
    },
  };
}
