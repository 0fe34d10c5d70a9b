/**
 * Adding a subscription account through OAuth with PKCE (RFC 7636): `start`
 * makes a code verifier, its S256 challenge and a state, keeps the verifier in
 * Redis under the state for a few minutes and returns the authorization URL;
 * `exchange` takes the code the browser shows (with its state), consumes the
 * pending entry (GETDEL: a state works once) and trades the code for tokens at
 * the token endpoint. Creating or updating the account is the caller's.
 */
import { createHash, randomBytes } from "node:crypto";
import type { RedisClient } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import type { OAuthTokenClient, TokenResult } from "./oauth-token-client.js";

/** Where and how to authorize. */
export interface OAuthAuthorizationConfig {
  authorizeUrl: string;
  clientId: string;
  redirectUri: string;
  /** Space-separated. */
  scopes: string;
  /** How long a started authorization may be finished (default 10 minutes). */
  ttlMs?: number;
}

/** A started authorization. */
export interface StartedAuthorization {
  url: string;
  state: string;
  expiresAtMs: number;
}

/** The PKCE authorization steps. */
export interface OAuthAuthorization {
  start(): Promise<StartedAuthorization>;
  /**
   * Trades a code for tokens, through `proxyUrl` when it is not empty; a refusal when the state is
   * unknown, used or expired. A trade that certainly never reached the endpoint keeps the state, so
   * the same code can be tried again (after fixing the proxy, say).
   */
  exchange(code: string, state: string, proxyUrl?: string): Promise<TokenResult>;
}

/** A PKCE pair (RFC 7636 §4.1–4.2): a 43-character verifier and its S256 challenge. */
export function createPkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

/** The authorization URL for a challenge and state. */
export function buildAuthorizeUrl(config: OAuthAuthorizationConfig, challenge: string, state: string): string {
  const url = new URL(config.authorizeUrl);
  // `code=true` asks claude.ai to show the code on its callback page for pasting.
  url.searchParams.set("code", "true");
  url.searchParams.set("client_id", config.clientId);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("redirect_uri", config.redirectUri);
  url.searchParams.set("scope", config.scopes);
  url.searchParams.set("code_challenge", challenge);
  url.searchParams.set("code_challenge_method", "S256");
  url.searchParams.set("state", state);
  return url.href;
}

/**
 * The code and state from what an admin pasted: the bare code, the "code#state"
 * the callback page shows, or the whole callback URL. A state inside the paste
 * wins over none; undefined when the paste holds no code.
 */
export function parsePastedCode(pasted: string): { code: string; state?: string } | undefined {
  const text = pasted.trim();
  if (/^https?:\/\//i.test(text)) {
    try {
      const url = new URL(text);
      const code = url.searchParams.get("code");
      const state = url.searchParams.get("state") ?? (url.hash.slice(1) || undefined);
      return code ? { code, ...(state && { state }) } : undefined;
    } catch {
      return undefined;
    }
  }
  const [code = "", state] = text.split("#", 2);
  if (code === "") return undefined;
  return { code, ...(state && { state }) };
}

/** Options of createOAuthAuthorization. */
export interface OAuthAuthorizationOptions {
  redis: RedisClient;
  keys?: RedisKeys;
  config: OAuthAuthorizationConfig;
  tokens: OAuthTokenClient;
  now?: () => number;
}

/** The PKCE steps over Redis and a token endpoint. */
export function createOAuthAuthorization(options: OAuthAuthorizationOptions): OAuthAuthorization {
  const { redis, config, tokens } = options;
  const keys = options.keys ?? createRedisKeys();
  const now = options.now ?? Date.now;
  const ttlMs = config.ttlMs ?? 10 * 60_000;

  return {
    async start() {
      const { verifier, challenge } = createPkcePair();
      const state = randomBytes(24).toString("base64url");
      await redis.set(keys.oauthPending(state), JSON.stringify({ verifier, redirectUri: config.redirectUri }), "PX", ttlMs);
      return { url: buildAuthorizeUrl(config, challenge, state), state, expiresAtMs: now() + ttlMs };
    },

    async exchange(code, state, proxyUrl = "") {
      if (!/^[A-Za-z0-9_-]{1,128}$/.test(state)) return { ok: false, reason: "unknown or expired state", sent: false };
      const pending = await redis.getdel(keys.oauthPending(state));
      if (!pending) return { ok: false, reason: "unknown or expired state", sent: false };
      const { verifier, redirectUri } = JSON.parse(pending) as { verifier: string; redirectUri: string };
      const result = await tokens.exchangeCode({ code, codeVerifier: verifier, redirectUri, state }, proxyUrl);
      if (!result.ok && !result.sent) await redis.set(keys.oauthPending(state), pending, "PX", ttlMs);
      return result;
    },
  };
}
