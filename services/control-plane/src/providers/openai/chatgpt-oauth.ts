/**
 * ChatGPT sign-in the way Codex CLI signs in, as defaults for the
 * configuration, and the token endpoint client it needs. Facts from
 * github.com/openai/codex, codex-rs/login:
 * - src/server.rs (`build_authorize_url`, `exchange_code_for_tokens`): the issuer
 *   https://auth.openai.com, its /oauth/authorize parameters (PKCE S256, state,
 *   `id_token_add_organizations=true`, `codex_cli_simplified_flow=true`, `originator`), the
 *   redirect to http://localhost:1455/auth/callback, and the code grant sent form-encoded
 *   to /oauth/token without a client secret or state;
 * - src/auth/manager.rs (`CLIENT_ID`, `request_chatgpt_token_refresh`): the public client id, and
 *   the refresh grant sent as JSON; a refresh may answer a new refresh token (they rotate), and
 *   refusals carry `{"error":{"code":"refresh_token_expired" | "refresh_token_reused" | ...}}`;
 * - src/token_data.rs: the `https://api.openai.com/auth` claim of the id_token names the ChatGPT
 *   account (`chatgpt_account_id`).
 * The paste-the-code flow: nothing listens on localhost:1455 on the admin's machine, so the browser
 * stops on the redirect, and the admin pastes that URL (code and state) back.
 */
import type { OAuthAuthorizationConfig } from "../../accounts/oauth-authorization.js";
import { createOAuthTokenClient, type OAuthTokenClient, type OAuthTokenClientOptions, type TokenResult } from "../../accounts/oauth-token-client.js";
import { jwtExpiresAtMs } from "./chatgpt-token-claims.js";

/** Defaults of OpenAIAccountsConfig. */
export const OPENAI_DEFAULTS = Object.freeze({
  authorizeUrl: "https://auth.openai.com/oauth/authorize",
  tokenUrl: "https://auth.openai.com/oauth/token",
  redirectUri: "http://localhost:1455/auth/callback",
  clientId: "app_EMoamEEZ73f0CkXaXp7hrann",
  scopes: "openid profile email offline_access",
  /** Where openai-oauth accounts send requests (the Codex backend). */
  codexUrl: "https://chatgpt.com/backend-api/codex",
  /** Where openai-api accounts send requests (the OpenAI API). */
  apiUrl: "https://api.openai.com/v1",
});

/** The scope the refresh grant asks for, as Codex CLI asked for it. */
export const CHATGPT_REFRESH_SCOPE = "openid profile email";
/** The client name the authorization server is told (Codex CLI's). */
const ORIGINATOR = "codex_cli_rs";

/** The authorize step's settings for a ChatGPT sign-in. */
export function chatGptAuthorizeConfig(config: { authorizeUrl: string; clientId: string; redirectUri: string; scopes: string }): OAuthAuthorizationConfig {
  return {
    authorizeUrl: config.authorizeUrl,
    clientId: config.clientId,
    redirectUri: config.redirectUri,
    scopes: config.scopes,
    extraParams: {
      // The id_token then names the organisations and the ChatGPT account the sign-in chose.
      id_token_add_organizations: "true",
      codex_cli_simplified_flow: "true",
      originator: ORIGINATOR,
    },
  };
}

/** Options of createChatGptTokenClient. */
export interface ChatGptTokenClientOptions {
  tokenUrl: string;
  clientId: string;
  now?: () => number;
  timeoutMs?: number;
  fetch?: OAuthTokenClientOptions["fetch"];
}

/**
 * OpenAI's token endpoint: the code grant form-encoded, the refresh grant as JSON with the scope.
 * When the answer has no expires_in, the access token's own `exp` says when it expires.
 */
export function createChatGptTokenClient(options: ChatGptTokenClientOptions): OAuthTokenClient {
  const inner = createOAuthTokenClient({
    tokenUrl: options.tokenUrl,
    clientId: options.clientId,
    encoding: "form",
    refreshEncoding: "json",
    refreshParams: { scope: CHATGPT_REFRESH_SCOPE },
    ...(options.now && { now: options.now }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    ...(options.fetch && { fetch: options.fetch }),
  });
  return {
    refresh: async (refreshToken, proxyUrl) => withExpiry(await inner.refresh(refreshToken, proxyUrl)),
    exchangeCode: async (input, proxyUrl) => withExpiry(await inner.exchangeCode(input, proxyUrl)),
  };
}

function withExpiry(result: TokenResult): TokenResult {
  if (!result.ok || result.tokens.expiresAtMs > 0) return result;
  return { ok: true, tokens: { ...result.tokens, expiresAtMs: jwtExpiresAtMs(result.tokens.accessToken) } };
}
