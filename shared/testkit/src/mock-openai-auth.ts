/**
 * The ChatGPT accounts behind the mock's Codex backend and its auth.openai.com token endpoint
 * (`POST /oauth/token`): authorization codes traded once with PKCE S256 (RFC 7636), refresh tokens
 * that rotate on every use (a used one then answers 401 refresh_token_reused, a revoked one 401
 * refresh_token_invalidated, as codex-rs login/src/auth/manager.rs classifies them), access and id
 * tokens as JWTs carrying the `https://api.openai.com/auth` claim Codex reads the account id and plan
 * from (codex-rs login/src/token_data.rs), the rate-limit windows the backend reports in headers,
 * and the text of a Codex `auth.json`. What the backend does with a token is left to mock-openai.ts.
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
import { openAIErrorBody, sendJson } from "./mock-openai-errors.js";
import type { MockOpenAIReply } from "./mock-openai-reply.js";
import type { MockResponder } from "./mock-responder.js";

/** The public OAuth client id of Codex CLI. */
export const CODEX_CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann";

/** One rate-limit window of a ChatGPT plan, as the x-codex-<primary|secondary>-* headers report it. */
export interface MockRateLimitWindow {
  usedPercent: number;
  windowMinutes: number;
  resetAfterSeconds: number;
}

/** The two windows the Codex backend reports: the short (primary) and the weekly (secondary) one. */
export interface MockRateLimits {
  primary?: MockRateLimitWindow;
  secondary?: MockRateLimitWindow;
}

/** One ChatGPT account of the mock; every field has a default. */
export interface MockChatGptAccountOptions {
  accountId?: string;
  email?: string;
  refreshToken?: string;
  /** "plus" unless told otherwise */
  planType?: string;
}

/** A ChatGPT account as the mock holds it. */
export interface MockChatGptAccount {
  readonly accountId: string;
  readonly email: string;
  readonly userId: string;
  planType: string;
  /** the refresh token that works now; every refresh replaces it */
  refreshToken: string;
  /** true: the Codex backend answers 402 deactivated_workspace */
  deactivated: boolean;
  rateLimits: Required<MockRateLimits>;
}

/** Values of the first account unless told otherwise. */
export const DEFAULT_MOCK_CHATGPT_ACCOUNT = {
  accountId: "6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
  email: "mock-chatgpt-user@example.com",
  refreshToken: "rt_mock-chatgpt-refresh-token",
} as const;

/** A code the token endpoint trades once (grant_type=authorization_code). */
export interface MockOpenAIAuthorizationCode {
  /** the PKCE verifier the trade must send (its S256 hash is checked); or give `codeChallenge` */
  codeVerifier?: string;
  codeChallenge?: string;
  /** when set, the trade must send the same redirect_uri */
  redirectUri?: string;
  /** the account it signs in, the first by default */
  accountId?: string;
}

/** Options of createMockOpenAIAuth. */
export interface MockOpenAIAuthOptions {
  accounts?: MockChatGptAccountOptions[];
  clientId?: string;
  accessTokenTtlSeconds?: number;
  now?: () => number;
}

const SIGNING_KEY = "mock-openai-signing-key";
const SCOPE = "openid profile email offline_access";

/** Creates the accounts (one default account when none are given) and their token endpoint. */
export function createMockOpenAIAuth(options: MockOpenAIAuthOptions) {
  const now = options.now ?? Date.now;
  const clientId = options.clientId ?? CODEX_CLIENT_ID;
  const ttl = options.accessTokenTtlSeconds ?? 864_000;
  const accounts = (options.accounts ?? [{}]).map((spec, i) => createAccount(spec, i));
  const accessTokens = new Map<string, { account: MockChatGptAccount; expiresAt: number }>();
  const owners = new Map<string, MockChatGptAccount>(accounts.map((account) => [account.refreshToken, account]));
  const used = new Set<string>();
  const revoked = new Set<string>();
  const codes = new Map<string, MockOpenAIAuthorizationCode>();
  const refreshes = new Map<string, number>();

  const accountById = (accountId?: string) => (accountId === undefined ? accounts[0] : accounts.find((account) => account.accountId === accountId));

  function jwt(claims: Record<string, unknown>): string {
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const unsigned = `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}`;
    return `${unsigned}.${createHmac("sha256", SIGNING_KEY).update(unsigned).digest("base64url")}`;
  }

  function authClaim(account: MockChatGptAccount): Record<string, unknown> {
    return { chatgpt_account_id: account.accountId, chatgpt_plan_type: account.planType, chatgpt_user_id: account.userId, user_id: account.userId };
  }

  function issue(account: MockChatGptAccount, seconds = ttl): string {
    const iat = Math.floor(now() / 1000);
    const token = jwt({
      aud: ["https://api.openai.com/v1"],
      client_id: clientId,
      exp: iat + seconds,
      "https://api.openai.com/auth": authClaim(account),
      "https://api.openai.com/profile": { email: account.email, email_verified: true },
      iat,
      iss: "https://auth.openai.com",
      jti: randomBytes(16).toString("hex"),
      scp: SCOPE.split(" "),
      sub: account.userId,
    });
    accessTokens.set(token, { account, expiresAt: now() + seconds * 1000 });
    return token;
  }

  function idToken(account: MockChatGptAccount): string {
    const iat = Math.floor(now() / 1000);
    return jwt({ aud: [clientId], email: account.email, email_verified: true, exp: iat + 3600, "https://api.openai.com/auth": authClaim(account), iat, iss: "https://auth.openai.com", sub: account.userId });
  }

  function grant(out: MockResponder, account: MockChatGptAccount): Promise<void> {
    return sendJson(out, 200, { id_token: idToken(account), access_token: issue(account), refresh_token: account.refreshToken, expires_in: ttl, scope: SCOPE, token_type: "bearer" });
  }

  function refreshError(out: MockResponder, code: string, message: string): Promise<void> {
    return sendJson(out, 401, openAIErrorBody({ status: 401, message, code }));
  }

  return {
    accounts,
    /** the account a Bearer token belongs to */
    accountFor(authorization: string | undefined): MockChatGptAccount | "missing" | "invalid" | "expired" {
      const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
      if (token === undefined) return "missing";
      const entry = accessTokens.get(token);
      if (!entry) return "invalid";
      return entry.expiresAt > now() ? entry.account : "expired";
    },
    issueAccessToken(refreshToken?: string, seconds?: number): string {
      const account = refreshToken === undefined ? accounts[0] : owners.get(refreshToken);
      if (!account) throw new Error(`no mock ChatGPT account has the refresh token ${refreshToken}`);
      return issue(account, seconds);
    },
    revokeAccessToken: (token: string) => void accessTokens.delete(token),
    revokeRefreshToken: (refreshToken: string) => void revoked.add(refreshToken),
    addAuthorizationCode: (code: string, codeGrant: MockOpenAIAuthorizationCode) => void codes.set(code, codeGrant),
    refreshCount: (refreshToken?: string) => (refreshToken === undefined ? [...refreshes.values()].reduce((sum, n) => sum + n, 0) : (refreshes.get(refreshToken) ?? 0)),
    setRateLimits(accountId: string, windows: MockRateLimits): void {
      const account = accountById(accountId);
      if (!account) throw new Error(`no mock ChatGPT account ${accountId}`);
      account.rateLimits = { ...account.rateLimits, ...windows };
    },
    /** The x-codex-* headers for an account (x-codex-<window>-used-percent, -window-minutes, -reset-after-seconds, -reset-at). */
    rateLimitHeaders(account: MockChatGptAccount): Record<string, string> {
      const headers: Record<string, string> = {};
      for (const name of ["primary", "secondary"] as const) {
        const window = account.rateLimits[name];
        headers[`x-codex-${name}-used-percent`] = String(window.usedPercent);
        headers[`x-codex-${name}-window-minutes`] = String(window.windowMinutes);
        headers[`x-codex-${name}-reset-after-seconds`] = String(window.resetAfterSeconds);
        headers[`x-codex-${name}-reset-at`] = String(Math.floor(now() / 1000) + window.resetAfterSeconds);
      }
      return headers;
    },
    authJson(accountId?: string): string {
      const account = accountById(accountId);
      if (!account) throw new Error(`no mock ChatGPT account ${accountId}`);
      const tokens = { id_token: idToken(account), access_token: issue(account), refresh_token: account.refreshToken, account_id: account.accountId };
      return `${JSON.stringify({ auth_mode: "chatgpt", OPENAI_API_KEY: null, tokens, last_refresh: new Date(now()).toISOString() }, null, 2)}\n`;
    },
    /** `POST /oauth/token`, form-encoded or JSON. */
    async token(out: MockResponder, fields: Record<string, string>, reply: MockOpenAIReply): Promise<void> {
      const grantType = fields.grant_type ?? "";
      const presented = fields.refresh_token;
      if (grantType === "refresh_token" && presented) refreshes.set(presented, (refreshes.get(presented) ?? 0) + 1);
      if (reply.kind === "error") return sendJson(out, reply.status, reply.body ?? openAIErrorBody({ status: reply.status, message: reply.message ?? "Token request failed", code: reply.code ?? null }), reply.headers);
      if (reply.kind === "stall") return;
      if (reply.kind === "disconnect") return out.destroy();
      if (reply.kind === "ok" && reply.delayMs) await out.sleep(reply.delayMs);
      if (fields.client_id !== clientId) return sendJson(out, 401, { error: "invalid_client", error_description: "Unknown client_id" });
      if (grantType === "refresh_token") {
        if (!presented) return sendJson(out, 400, { error: "invalid_request", error_description: "Missing refresh_token" });
        if (revoked.has(presented)) return refreshError(out, "refresh_token_invalidated", "Your refresh token has been invalidated. Please try signing in again.");
        if (used.has(presented)) return refreshError(out, "refresh_token_reused", "Your refresh token has already been used to generate a new access token. Please try signing in again.");
        const account = owners.get(presented);
        if (!account || account.refreshToken !== presented) return sendJson(out, 400, { error: "invalid_grant", error_description: "Invalid refresh token" });
        used.add(presented);
        account.refreshToken = `rt_${randomBytes(24).toString("base64url")}`;
        owners.set(account.refreshToken, account);
        return grant(out, account);
      }
      if (grantType === "authorization_code") {
        const pending = fields.code === undefined ? undefined : codes.get(fields.code);
        if (!pending || fields.code === undefined) return sendJson(out, 400, { error: "invalid_grant", error_description: "Invalid authorization code" });
        codes.delete(fields.code);
        if (pending.redirectUri !== undefined && fields.redirect_uri !== pending.redirectUri) return sendJson(out, 400, { error: "invalid_grant", error_description: "redirect_uri does not match" });
        const challenge = pending.codeChallenge ?? (pending.codeVerifier === undefined ? undefined : s256(pending.codeVerifier));
        if (challenge !== undefined && s256(fields.code_verifier ?? "") !== challenge) return sendJson(out, 400, { error: "invalid_grant", error_description: "Invalid code_verifier" });
        const account = accountById(pending.accountId);
        if (!account) return sendJson(out, 400, { error: "invalid_grant", error_description: "Invalid authorization code" });
        return grant(out, account);
      }
      return sendJson(out, 400, { error: "unsupported_grant_type", error_description: `Unsupported grant_type: ${grantType}` });
    },
  };
}

/** The accounts and tokens, and the token endpoint over them. */
export type MockOpenAIAuth = ReturnType<typeof createMockOpenAIAuth>;

/** The PKCE S256 challenge of a verifier. */
export function s256(verifier: string): string {
  return createHash("sha256").update(verifier).digest("base64url");
}

function createAccount(spec: MockChatGptAccountOptions, i: number): MockChatGptAccount {
  const first = i === 0;
  const accountId = spec.accountId ?? (first ? DEFAULT_MOCK_CHATGPT_ACCOUNT.accountId : `6f1c2a7e-3b4d-4e5f-8a9b-${String(i + 1).padStart(12, "0")}`);
  return {
    accountId,
    email: spec.email ?? (first ? DEFAULT_MOCK_CHATGPT_ACCOUNT.email : `mock-chatgpt-user-${i + 1}@example.com`),
    userId: `user-${createHash("sha256").update(accountId).digest("base64url").slice(0, 24)}`,
    planType: spec.planType ?? "plus",
    refreshToken: spec.refreshToken ?? (first ? DEFAULT_MOCK_CHATGPT_ACCOUNT.refreshToken : `rt_mock-chatgpt-refresh-token-${i + 1}`),
    deactivated: false,
    rateLimits: { primary: { usedPercent: 0, windowMinutes: 300, resetAfterSeconds: 18_000 }, secondary: { usedPercent: 0, windowMinutes: 10_080, resetAfterSeconds: 604_800 } },
  };
}
