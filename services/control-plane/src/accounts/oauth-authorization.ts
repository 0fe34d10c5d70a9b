/**
 * Adding an OAuth account with PKCE (RFC 7636), one flow per OAuth account
 * type (a Claude subscription, a Google sign-in): `start` makes a code
 * verifier, its S256 challenge and a state, keeps the verifier and the type in
 * Redis under the state for a few minutes and returns that type's
 * authorization URL; `exchange` takes the code the browser shows (with its
 * state), consumes the pending entry (GETDEL: a state works once) and trades
 * the code for tokens at the token endpoint of the type the state was started
 * for. Creating or updating the account is the caller's.
 */
import { createHash, randomBytes } from "node:crypto";
import type { RedisClient } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import type { AccountType } from "../providers/account-types.js";
import type { OAuthTokenClient, TokenResult } from "./oauth-token-client.js";

/** Where and how to authorize. */
export interface OAuthAuthorizationConfig {
  authorizeUrl: string;
  clientId: string;
  redirectUri: string;
  /** Space-separated. */
  scopes: string;
  /** More query parameters the authorization server wants (e.g. claude.ai's `code=true`, Google's `access_type=offline`). */
  extraParams?: Readonly<Record<string, string>>;
  /** How long a started authorization may be finished (default 10 minutes). */
  ttlMs?: number;
}

/** A started authorization. */
export interface StartedAuthorization {
  url: string;
  state: string;
  expiresAtMs: number;
}

/** One OAuth account type's authorization server and token endpoint. */
export interface OAuthFlow {
  config: OAuthAuthorizationConfig;
  tokens: OAuthTokenClient;
}

/** The PKCE authorization steps. */
export interface OAuthAuthorization {
  /** The OAuth account types a flow can be started for. */
  readonly types: readonly AccountType[];
  /** Starts an authorization for `type` (default claude-oauth); undefined when that type has no flow. */
  start(type?: AccountType): Promise<StartedAuthorization | undefined>;
  /** The account type a pending state was started for; undefined when it is unknown, used or expired. */
  pendingType(state: string): Promise<AccountType | undefined>;
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
  for (const [name, value] of Object.entries(config.extraParams ?? {})) url.searchParams.set(name, value);
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
  /** One flow per OAuth account type. */
  flows: Partial<Readonly<Record<AccountType, OAuthFlow>>>;
  now?: () => number;
}

/** What Redis keeps under a pending state; entries written before types existed are Claude's. */
interface Pending {
  verifier: string;
  redirectUri: string;
  type?: AccountType;
}

const UNKNOWN_STATE = "unknown or expired state";

/** The PKCE steps over Redis and each type's token endpoint. */
export function createOAuthAuthorization(options: OAuthAuthorizationOptions): OAuthAuthorization {
  const { redis, flows } = options;
  const keys = options.keys ?? createRedisKeys();
  const now = options.now ?? Date.now;
  const flowOf = (type: AccountType): OAuthFlow | undefined => (Object.hasOwn(flows, type) ? flows[type] : undefined);
  const ttlOf = (flow: OAuthFlow) => flow.config.ttlMs ?? 10 * 60_000;
  const isState = (state: string) => /^[A-Za-z0-9_-]{1,128}$/.test(state);

  return {
    types: Object.keys(flows) as AccountType[],

    async start(type = "claude-oauth") {
      const flow = flowOf(type);
      if (flow === undefined) return undefined;
      const { verifier, challenge } = createPkcePair();
      const state = randomBytes(24).toString("base64url");
      const pending: Pending = { verifier, redirectUri: flow.config.redirectUri, type };
      await redis.set(keys.oauthPending(state), JSON.stringify(pending), "PX", ttlOf(flow));
      return { url: buildAuthorizeUrl(flow.config, challenge, state), state, expiresAtMs: now() + ttlOf(flow) };
    },

    async pendingType(state) {
      if (!isState(state)) return undefined;
      const pending = await redis.get(keys.oauthPending(state));
      return pending ? ((JSON.parse(pending) as Pending).type ?? "claude-oauth") : undefined;
    },

    async exchange(code, state, proxyUrl = "") {
      if (!isState(state)) return { ok: false, reason: UNKNOWN_STATE, sent: false };
      const pending = await redis.getdel(keys.oauthPending(state));
      if (!pending) return { ok: false, reason: UNKNOWN_STATE, sent: false };
      const { verifier, redirectUri, type = "claude-oauth" } = JSON.parse(pending) as Pending;
      const flow = flowOf(type);
      if (flow === undefined) return { ok: false, reason: `${type} authorization is not configured`, sent: false };
      const result = await flow.tokens.exchangeCode({ code, codeVerifier: verifier, redirectUri, state }, proxyUrl);
      if (!result.ok && !result.sent) await redis.set(keys.oauthPending(state), pending, "PX", ttlOf(flow));
      return result;
    },
  };
}
