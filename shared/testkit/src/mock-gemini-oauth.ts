/**
 * A Google OAuth 2.0 token endpoint for the mock's accounts, shaped like
 * oauth2.googleapis.com (RFC 6749 §4.1.3, §5 and §6; PKCE S256 per RFC 7636): `POST /token` with a
 * form body, grants `refresh_token` and `authorization_code`, client credentials in the body or in
 * HTTP Basic, errors as `{"error","error_description"}` (400 invalid_grant "Token has been expired
 * or revoked." for a revoked refresh token, 401 invalid_client for a wrong client). It also answers
 * `/tokeninfo` and `/oauth2/v2/userinfo` for the tokens it issued, and tells which account a Bearer
 * token belongs to. The accounts themselves are made in mock-gemini-accounts.ts; what a Code Assist
 * call does is left to mock-gemini-code-assist.ts.
 */
import { createHash, randomBytes } from "node:crypto";
import { createMockGoogleAccounts, type MockGoogleAccount, type MockGoogleAccountOptions } from "./mock-gemini-accounts.js";
import { googleErrorJson } from "./mock-gemini-errors.js";
import type { MockGeminiReply } from "./mock-gemini-reply.js";
import type { MockResponder } from "./mock-responder.js";

/** The OAuth client the token endpoint accepts. */
export interface MockOAuthClient {
  clientId: string;
  clientSecret: string;
}

/** An authorization code the token endpoint will trade once for an account's tokens. */
export interface MockAuthorizationCode {
  refreshToken: string;
  /** when set, the trade must send the same redirect_uri */
  redirectUri?: string;
  /** when set, the trade must send the code_verifier whose S256 hash this is (RFC 7636) */
  codeChallenge?: string;
}

/** The client the token endpoint accepts unless told otherwise. */
export const DEFAULT_MOCK_OAUTH_CLIENT: MockOAuthClient = { clientId: "mock-client-id.apps.googleusercontent.com", clientSecret: "mock-client-secret" };

const SCOPE = "https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile openid";

/** The accounts and tokens, and the OAuth endpoints over them. */
export interface MockGoogleAuth {
  readonly accounts: MockGoogleAccount[];
  /** the account a Bearer token belongs to, "missing" without one, "invalid" for an unknown, revoked or expired one */
  accountFor(authorization: string | undefined): MockGoogleAccount | "missing" | "invalid";
  /** issues an access token for the account with this refresh token (the first account by default) */
  issueAccessToken(refreshToken?: string, ttlSeconds?: number): string;
  revokeAccessToken(token: string): void;
  revokeRefreshToken(refreshToken: string): void;
  addAuthorizationCode(code: string, grant: MockAuthorizationCode): void;
  /** refresh requests received, for one refresh token or all */
  refreshCount(refreshToken?: string): number;
  /** `POST /token` */
  token(out: MockResponder, form: URLSearchParams, authorization: string | undefined, reply: MockGeminiReply): Promise<void>;
  /** `/tokeninfo` and `/oauth2/v2/userinfo` */
  info(out: MockResponder, kind: "tokeninfo" | "userinfo", token: string | undefined): Promise<void>;
}

/** Options of createMockGoogleAuth. */
export interface MockGoogleAuthOptions {
  accounts?: MockGoogleAccountOptions[];
  oauthClient?: MockOAuthClient;
  accessTokenTtlSeconds?: number;
  now?: () => number;
}

/** Creates the accounts (one default account when none are given) and their token endpoint. */
export function createMockGoogleAuth(options: MockGoogleAuthOptions): MockGoogleAuth {
  const now = options.now ?? Date.now;
  const client = options.oauthClient ?? DEFAULT_MOCK_OAUTH_CLIENT;
  const ttl = options.accessTokenTtlSeconds ?? 3599;
  const tokens = new Map<string, { account: MockGoogleAccount; expiresAt: number }>();
  const codes = new Map<string, MockAuthorizationCode>();
  const accounts = createMockGoogleAccounts(options.accounts, (token, account) => tokens.set(token, { account, expiresAt: Number.POSITIVE_INFINITY }));
  const byRefreshToken = (refreshToken: string | undefined) => accounts.find((account) => account.refreshToken === (refreshToken ?? accounts[0]?.refreshToken));

  function issue(account: MockGoogleAccount, seconds = ttl): string {
    const token = `ya29.mock-${randomBytes(18).toString("base64url")}`;
    tokens.set(token, { account, expiresAt: now() + seconds * 1000 });
    return token;
  }

  function lookup(token: string | undefined): MockGoogleAccount | undefined {
    const entry = token === undefined ? undefined : tokens.get(token);
    return entry && entry.expiresAt > now() ? entry.account : undefined;
  }

  function idToken(account: MockGoogleAccount): string {
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const iat = Math.floor(now() / 1000);
    const claims = { iss: "https://accounts.google.com", azp: client.clientId, aud: client.clientId, sub: subjectOf(account), email: account.email, email_verified: true, iat, exp: iat + ttl };
    return `${part({ alg: "RS256", kid: "mock", typ: "JWT" })}.${part(claims)}.${randomBytes(32).toString("base64url")}`;
  }

  function grant(out: MockResponder, account: MockGoogleAccount, withRefreshToken: boolean): Promise<void> {
    const body = { access_token: issue(account), expires_in: ttl, ...(withRefreshToken ? { refresh_token: account.refreshToken } : {}), scope: SCOPE, token_type: "Bearer", id_token: idToken(account) };
    return sendOAuth(out, 200, body);
  }

  return {
    accounts,
    accountFor(authorization) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
      if (!match) return "missing";
      return lookup(match[1]) ?? "invalid";
    },
    issueAccessToken(refreshToken, seconds) {
      const account = byRefreshToken(refreshToken);
      if (!account) throw new Error(`no mock account has the refresh token ${refreshToken}`);
      return issue(account, seconds);
    },
    revokeAccessToken(token) {
      tokens.delete(token);
    },
    revokeRefreshToken(refreshToken) {
      const account = byRefreshToken(refreshToken);
      if (account) account.revoked = true;
    },
    addAuthorizationCode(code, codeGrant) {
      codes.set(code, codeGrant);
    },
    refreshCount(refreshToken) {
      return refreshToken === undefined ? accounts.reduce((sum, account) => sum + account.refreshes, 0) : (byRefreshToken(refreshToken)?.refreshes ?? 0);
    },
    async token(out, form, authorization, reply) {
      const grantType = form.get("grant_type") ?? "";
      const account = grantType === "refresh_token" ? accounts.find((candidate) => candidate.refreshToken === form.get("refresh_token")) : undefined;
      if (account) account.refreshes++;
      if (reply.kind === "error") {
        const code = reply.reason ?? (reply.status === 401 ? "invalid_client" : "invalid_grant");
        return sendOAuth(out, reply.status, { error: code, error_description: reply.message ?? "Bad Request" }, reply.headers);
      }
      if (reply.kind === "stall") return;
      if (reply.kind === "disconnect") return out.destroy();
      if (reply.kind === "ok" && reply.delayMs) await out.sleep(reply.delayMs);
      const [id, secret] = clientCredentials(form, authorization);
      if (id !== client.clientId) return sendOAuth(out, 401, { error: "invalid_client", error_description: "The OAuth client was not found." });
      if (secret !== client.clientSecret) return sendOAuth(out, 401, { error: "invalid_client", error_description: "Unauthorized" });
      if (grantType === "refresh_token") {
        if (!form.get("refresh_token")) return sendOAuth(out, 400, { error: "invalid_request", error_description: "Missing required parameter: refresh_token" });
        if (!account) return sendOAuth(out, 400, { error: "invalid_grant", error_description: "Bad Request" });
        if (account.revoked) return sendOAuth(out, 400, { error: "invalid_grant", error_description: "Token has been expired or revoked." });
        return grant(out, account, false);
      }
      if (grantType === "authorization_code") {
        const code = form.get("code");
        if (!code) return sendOAuth(out, 400, { error: "invalid_request", error_description: "Missing required parameter: code" });
        const pending = codes.get(code);
        if (!pending) return sendOAuth(out, 400, { error: "invalid_grant", error_description: "Malformed auth code." });
        codes.delete(code);
        if (pending.redirectUri !== undefined && form.get("redirect_uri") !== pending.redirectUri) {
          return sendOAuth(out, 400, { error: "redirect_uri_mismatch", error_description: "Bad Request" });
        }
        if (pending.codeChallenge !== undefined && s256(form.get("code_verifier") ?? "") !== pending.codeChallenge) {
          return sendOAuth(out, 400, { error: "invalid_grant", error_description: "Invalid code verifier." });
        }
        const owner = byRefreshToken(pending.refreshToken);
        if (!owner) return sendOAuth(out, 400, { error: "invalid_grant", error_description: "Bad Request" });
        return grant(out, owner, true);
      }
      return sendOAuth(out, 400, { error: "unsupported_grant_type", error_description: `Invalid grant_type: ${grantType}` });
    },
    info(out, kind, token) {
      const account = lookup(token);
      if (kind === "tokeninfo") {
        if (!account || token === undefined) return sendOAuth(out, 400, { error: "invalid_token", error_description: "Invalid Value" });
        const expiresAt = tokens.get(token)?.expiresAt ?? 0;
        const expiresIn = Number.isFinite(expiresAt) ? Math.max(0, Math.floor((expiresAt - now()) / 1000)) : ttl;
        const exp = String(Math.floor(now() / 1000) + expiresIn);
        const claims = { azp: client.clientId, aud: client.clientId, sub: subjectOf(account), scope: SCOPE, exp, expires_in: String(expiresIn) };
        return sendOAuth(out, 200, { ...claims, email: account.email, email_verified: "true", access_type: "offline" });
      }
      if (!account) {
        const json = googleErrorJson({ code: 401, message: "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project." });
        return sendRaw(out, 401, json);
      }
      return sendOAuth(out, 200, { id: subjectOf(account), email: account.email, verified_email: true, name: account.email.split("@")[0], picture: "https://lh3.googleusercontent.com/a/mock" });
    },
  };
}

/** A stable numeric subject id per account, as Google's `sub` claims are. */
function subjectOf(account: MockGoogleAccount): string {
  return BigInt(`0x${createHash("sha256").update(account.email).digest("hex").slice(0, 15)}`).toString();
}

function s256(verifier: string): string {
  return createHash("sha256").update(verifier).digest("base64url");
}

/** client_id and client_secret from the form, else from HTTP Basic (RFC 6749 §2.3.1). */
function clientCredentials(form: URLSearchParams, authorization: string | undefined): [string | undefined, string | undefined] {
  const basic = /^Basic\s+(\S+)$/i.exec(authorization ?? "");
  if (basic?.[1]) {
    const [id, secret] = Buffer.from(basic[1], "base64").toString("utf8").split(":", 2).map((part) => decodeURIComponent(part));
    return [id, secret];
  }
  return [form.get("client_id") ?? undefined, form.get("client_secret") ?? undefined];
}

function sendOAuth(out: MockResponder, status: number, body: object, headers: Record<string, string> = {}): Promise<void> {
  return sendRaw(out, status, JSON.stringify(body, null, 2), headers);
}

function sendRaw(out: MockResponder, status: number, json: string, headers: Record<string, string> = {}): Promise<void> {
  const bytes = Buffer.from(json, "utf8");
  out.head(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-cache, no-store, max-age=0, must-revalidate",
    pragma: "no-cache",
    ...headers,
    "content-length": String(bytes.length),
  });
  return out.end(bytes);
}
