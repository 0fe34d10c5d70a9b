/**
 * An OAuth token endpoint: the refresh grant and the authorization-code grant
 * (with the PKCE verifier). Claude's endpoint takes JSON; a standard one
 * (RFC 6749 §4.1.3, §6: Google's) takes application/x-www-form-urlencoded and
 * may want a client secret; OpenAI's takes the code form-encoded and the
 * refresh as JSON; all answer JSON. A failure is a value with a
 * short, secret-free reason built from the status and the OAuth `error` code,
 * never from a token or a free-text message, and says whether the request may
 * have reached the endpoint (a refresh token that reached it counts as used).
 * Both grants go through the account's proxy when it has one, as its API calls
 * do: the endpoint sees the same origin for all.
 */
import { type Dispatcher, fetch as undiciFetch } from "undici";
import type { AccountCredential } from "./account-store.js";
import { describeCallFailure, parseObject, safeToken } from "./call-failure.js";
import { withProxy } from "./proxy-dispatcher.js";
/** An OAuth credential. */
export type OAuthCredential = Extract<AccountCredential, { kind: "oauth" }>;

/** Tokens the endpoint issued. */
export interface IssuedTokens {
  accessToken: string;
  /** "" when the endpoint did not send a new one (keep the old). */
  refreshToken: string;
  /** When the access token expires (ms); 0 when the endpoint did not say. */
  expiresAtMs: number;
  /** Empty when the endpoint did not say. */
  scopes: string[];
  /** The OpenID Connect id_token, when the endpoint sent one (it names the signed-in user). */
  idToken?: string;
}

/** Tokens, or why not. */
export type TokenResult =
  | { ok: true; tokens: IssuedTokens }
  | {
      ok: false;
      reason: string;
      /** False only when the request certainly never reached the endpoint (it may be sent again). */
      sent: boolean;
    };

/** The authorization-code grant's input. */
export interface CodeExchange {
  code: string;
  codeVerifier: string;
  redirectUri: string;
  state: string;
}

/** Calls to the token endpoint. */
export interface OAuthTokenClient {
  /** Refreshes through `proxyUrl` (the account's proxy) when it is not empty. */
  refresh(refreshToken: string, proxyUrl?: string): Promise<TokenResult>;
  /** Trades the code through `proxyUrl` (the account's proxy) when it is not empty. */
  exchangeCode(input: CodeExchange, proxyUrl?: string): Promise<TokenResult>;
}

/** The credential to store after `issued`: what the endpoint left out (refresh token, scopes) is kept from `previous`. */
export function credentialFromTokens(issued: IssuedTokens, previous?: { refreshToken: string; scopes: string[] }): OAuthCredential {
  return {
    kind: "oauth",
    accessToken: issued.accessToken,
    refreshToken: issued.refreshToken || (previous?.refreshToken ?? ""),
    expiresAtMs: issued.expiresAtMs,
    scopes: issued.scopes.length > 0 ? issued.scopes : [...(previous?.scopes ?? [])],
  };
}

/** Options of createOAuthTokenClient. */
export interface OAuthTokenClientOptions {
  tokenUrl: string;
  clientId: string;
  /** How the request body is written: "json" (Claude's endpoint, the default) or "form" (RFC 6749, Google's). */
  encoding?: "json" | "form";
  /** How the refresh grant's body is written, when it differs from `encoding` (OpenAI's: JSON, its code grant a form). */
  refreshEncoding?: "json" | "form";
  /** Sent with every grant besides client_id, e.g. an installed app's client_secret. */
  extraParams?: Readonly<Record<string, string>>;
  /** Sent with the refresh grant only (e.g. the scope OpenAI's endpoint is asked for). */
  refreshParams?: Readonly<Record<string, string>>;
  /** Whether the code grant carries the state too (Claude's endpoint wants it; RFC 6749 has no such parameter). Default: true for JSON. */
  sendState?: boolean;
  /** The whole call fails after this long (default 15 s). */
  timeoutMs?: number;
  now?: () => number;
  fetch?: typeof undiciFetch;
}

/** A client for one token endpoint. */
export function createOAuthTokenClient(options: OAuthTokenClientOptions): OAuthTokenClient {
  const { tokenUrl, clientId, encoding = "json", extraParams = {}, refreshParams = {}, timeoutMs = 15_000 } = options;
  const refreshEncoding = options.refreshEncoding ?? encoding;
  const sendState = options.sendState ?? encoding === "json";
  const now = options.now ?? Date.now;
  const fetchFn = options.fetch ?? undiciFetch;

  // The reasons below come from status codes and error codes only, so the proxy's password cannot reach them.
  const post = (body: Record<string, string>, proxyUrl: string | undefined, as: "json" | "form"): Promise<TokenResult> =>
    withProxy(proxyUrl ?? "", (dispatcher) => postVia(body, dispatcher, as));

  async function postVia(grant: Record<string, string>, dispatcher: Dispatcher | undefined, as: "json" | "form"): Promise<TokenResult> {
    const params = { ...grant, client_id: clientId, ...extraParams };
    let response: Awaited<ReturnType<typeof undiciFetch>>;
    try {
      response = await fetchFn(tokenUrl, {
        method: "POST",
        headers: { "content-type": as === "json" ? "application/json" : "application/x-www-form-urlencoded", accept: "application/json" },
        body: as === "json" ? JSON.stringify(params) : new URLSearchParams(params).toString(),
        signal: AbortSignal.timeout(timeoutMs),
        ...(dispatcher && { dispatcher }),
      });
    } catch (err) {
      // A refused tunnel sent neither the refresh token nor the code.
      return { ok: false, ...describeCallFailure(err, "token endpoint", dispatcher !== undefined) };
    }
    const text = await response.text().catch(() => "");
    const json = parseObject(text);
    if (!response.ok) {
      const code = errorCodeOf(json);
      const error = code ? `: ${safeToken(code)}` : "";
      return { ok: false, reason: `token endpoint answered ${response.status}${error}`, sent: true };
    }
    const accessToken = json?.access_token;
    if (typeof accessToken !== "string" || accessToken === "") return { ok: false, reason: "token endpoint sent no access_token", sent: true };
    const expiresIn = Number(json?.expires_in);
    return {
      ok: true,
      tokens: {
        accessToken,
        refreshToken: typeof json?.refresh_token === "string" ? json.refresh_token : "",
        expiresAtMs: Number.isFinite(expiresIn) && expiresIn > 0 ? now() + Math.round(expiresIn * 1000) : 0,
        scopes: typeof json?.scope === "string" ? json.scope.split(/\s+/).filter(Boolean) : [],
        ...(typeof json?.id_token === "string" && json.id_token !== "" && { idToken: json.id_token }),
      },
    };
  }

  return {
    refresh: (refreshToken, proxyUrl) => post({ grant_type: "refresh_token", refresh_token: refreshToken, ...refreshParams }, proxyUrl, refreshEncoding),
    exchangeCode: ({ code, codeVerifier, redirectUri, state }, proxyUrl) =>
      post({ grant_type: "authorization_code", code, code_verifier: codeVerifier, redirect_uri: redirectUri, ...(sendState && { state }) }, proxyUrl, encoding),
  };
}

/**
 * The error code of a token endpoint's refusal: RFC 6749 §5.2's `error` string, or the `code` of an
 * `error` object (OpenAI's `{"error":{"code":"refresh_token_expired",...}}`); "" when there is none.
 */
function errorCodeOf(json: Record<string, unknown> | undefined): string {
  const error = json?.error;
  if (typeof error === "string") return error;
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : json?.code;
  return typeof code === "string" ? code : "";
}
