/**
 * The OAuth token endpoint of Claude subscriptions: the refresh grant and the
 * authorization-code grant (with the PKCE verifier). JSON in, JSON out. A
 * failure is a value with a short, secret-free reason built from the status
 * and the OAuth `error` code, never from a token or a free-text message, and
 * says whether the request may have reached the endpoint (a refresh token that
 * reached it counts as used). Both grants go through the account's proxy when it
 * has one, as its API calls do: the endpoint sees the same origin for all.
 */
import { type Dispatcher, fetch as undiciFetch } from "undici";
import { proxyDispatcher } from "./proxy-dispatcher.js";

/** Tokens the endpoint issued. */
export interface IssuedTokens {
  accessToken: string;
  /** "" when the endpoint did not send a new one (keep the old). */
  refreshToken: string;
  /** When the access token expires (ms); 0 when the endpoint did not say. */
  expiresAtMs: number;
  /** Empty when the endpoint did not say. */
  scopes: string[];
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

/** Options of createOAuthTokenClient. */
export interface OAuthTokenClientOptions {
  tokenUrl: string;
  clientId: string;
  /** The whole call fails after this long (default 15 s). */
  timeoutMs?: number;
  now?: () => number;
  fetch?: typeof undiciFetch;
}

/** Socket errors that mean nothing was sent. */
const NOT_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);

/** A client for one token endpoint. */
export function createOAuthTokenClient(options: OAuthTokenClientOptions): OAuthTokenClient {
  const { tokenUrl, clientId, timeoutMs = 15_000 } = options;
  const now = options.now ?? Date.now;
  const fetchFn = options.fetch ?? undiciFetch;

  async function post(body: Record<string, string>, proxyUrl = ""): Promise<TokenResult> {
    // The reasons below come from status codes and error codes only, so the proxy's password cannot reach them.
    const proxy = proxyUrl === "" ? undefined : proxyDispatcher(proxyUrl);
    try {
      return await postVia(body, proxy?.dispatcher);
    } finally {
      await proxy?.dispatcher.close().catch(() => {});
    }
  }

  async function postVia(body: Record<string, string>, dispatcher: Dispatcher | undefined): Promise<TokenResult> {
    let response: Awaited<ReturnType<typeof undiciFetch>>;
    try {
      response = await fetchFn(tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ ...body, client_id: clientId }),
        signal: AbortSignal.timeout(timeoutMs),
        ...(dispatcher && { dispatcher }),
      });
    } catch (err) {
      const refusal = proxyRefusal(err);
      // A tunnel the proxy refused never carried the request: neither the refresh token nor the code was sent.
      if (dispatcher && refusal) return { ok: false, reason: `the account's proxy refused the tunnel (${refusal})`, sent: false };
      const code = errorCode(err);
      const via = dispatcher ? " through the account's proxy" : "";
      return { ok: false, reason: `token endpoint unreachable${via}${code ? ` (${code})` : ""}`, sent: !(code && NOT_SENT_CODES.has(code)) };
    }
    const text = await response.text().catch(() => "");
    const json = parseObject(text);
    if (!response.ok) {
      const error = typeof json?.error === "string" ? `: ${safeToken(json.error)}` : "";
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
      },
    };
  }

  return {
    refresh: (refreshToken, proxyUrl) => post({ grant_type: "refresh_token", refresh_token: refreshToken }, proxyUrl),
    exchangeCode: ({ code, codeVerifier, redirectUri, state }, proxyUrl) =>
      post({ grant_type: "authorization_code", code, code_verifier: codeVerifier, redirect_uri: redirectUri, state }, proxyUrl),
  };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function errorCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; typeof e === "object" && e !== null && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code !== "") return safeToken(code);
    if ((e as { name?: unknown }).name === "TimeoutError") return "timeout";
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * How a proxy refused to open the tunnel, from undici's errors: an HTTP proxy's CONNECT status
 * ("Proxy response (407) …") or a SOCKS5 handshake error code; undefined for anything else.
 */
function proxyRefusal(err: unknown): string | undefined {
  for (let e = err, depth = 0; typeof e === "object" && e !== null && depth < 4; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === "string" && code.startsWith("UND_ERR_SOCKS5")) return safeToken(code);
    const status = typeof message === "string" ? /^Proxy response \((\d{3})\)/.exec(message)?.[1] : undefined;
    if (status) return `HTTP ${status}`;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function safeToken(value: string): string {
  return value.replace(/[^A-Za-z0-9_.-]/g, "").slice(0, 64);
}
