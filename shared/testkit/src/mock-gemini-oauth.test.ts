import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type MockGemini, startMockGemini } from "./mock-gemini.js";
import { DEFAULT_MOCK_GOOGLE_ACCOUNT } from "./mock-gemini-accounts.js";
import { DEFAULT_MOCK_OAUTH_CLIENT } from "./mock-gemini-oauth.js";

let mock: MockGemini;

beforeEach(async () => {
  mock = await startMockGemini({ accounts: [{}, { email: "second@example.com", refreshToken: "1//second" }] });
});

afterEach(async () => {
  await mock.close();
});

const CLIENT = { client_id: DEFAULT_MOCK_OAUTH_CLIENT.clientId, client_secret: DEFAULT_MOCK_OAUTH_CLIENT.clientSecret };

function token(fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(mock.tokenUrl, { method: "POST", body: new URLSearchParams(fields), headers });
}

function refresh(refreshToken: string = DEFAULT_MOCK_GOOGLE_ACCOUNT.refreshToken): Promise<Response> {
  return token({ grant_type: "refresh_token", refresh_token: refreshToken, ...CLIENT });
}

interface Grant {
  access_token: string;
  expires_in: number;
  token_type: string;
  scope: string;
  refresh_token?: string;
  id_token: string;
}

async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

function loadCodeAssist(accessToken: string): Promise<Response> {
  return fetch(`${mock.url}/v1internal:loadCodeAssist`, { method: "POST", body: "{}", headers: { authorization: `Bearer ${accessToken}` } });
}

describe("the mock's Google token endpoint", () => {
  it("refreshes an access token the Code Assist API then accepts, without a new refresh token", async () => {
    const response = await refresh();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const grant = await json<Grant>(response);
    expect(grant).toMatchObject({ token_type: "Bearer", expires_in: 3599, access_token: expect.stringMatching(/^ya29\./) });
    expect(grant.refresh_token).toBeUndefined();
    const claims = JSON.parse(Buffer.from(grant.id_token.split(".")[1] ?? "", "base64url").toString("utf8")) as { email: string; aud: string };
    expect(claims).toMatchObject({ email: DEFAULT_MOCK_GOOGLE_ACCOUNT.email, aud: DEFAULT_MOCK_OAUTH_CLIENT.clientId });
    expect((await loadCodeAssist(grant.access_token)).status).toBe(200);
    expect(mock.requests[0]).toMatchObject({ api: "oauth", operation: "token", method: "POST" });
  });

  it("counts refreshes per refresh token, refused ones included", async () => {
    await Promise.all([refresh(), refresh(), refresh("1//second")]);
    mock.revokeRefreshToken("1//second");
    await refresh("1//second");
    expect(mock.refreshCount(DEFAULT_MOCK_GOOGLE_ACCOUNT.refreshToken)).toBe(2);
    expect(mock.refreshCount("1//second")).toBe(2);
    expect(mock.refreshCount()).toBe(4);
  });

  it("answers invalid_grant for a revoked or unknown refresh token", async () => {
    mock.revokeRefreshToken(DEFAULT_MOCK_GOOGLE_ACCOUNT.refreshToken);
    const revoked = await refresh();
    expect(revoked.status).toBe(400);
    expect(await json(revoked)).toEqual({ error: "invalid_grant", error_description: "Token has been expired or revoked." });
    const unknown = await refresh("1//nobody");
    expect(unknown.status).toBe(400);
    expect((await json(unknown)).error).toBe("invalid_grant");
    const missing = await token({ grant_type: "refresh_token", ...CLIENT });
    expect(await json(missing)).toEqual({ error: "invalid_request", error_description: "Missing required parameter: refresh_token" });
  });

  it("refuses a wrong client with 401 invalid_client, and takes client credentials from HTTP Basic", async () => {
    const wrongId = await token({ grant_type: "refresh_token", refresh_token: DEFAULT_MOCK_GOOGLE_ACCOUNT.refreshToken, client_id: "other", client_secret: "x" });
    expect(wrongId.status).toBe(401);
    expect(await json(wrongId)).toEqual({ error: "invalid_client", error_description: "The OAuth client was not found." });
    const wrongSecret = await token({ grant_type: "refresh_token", refresh_token: DEFAULT_MOCK_GOOGLE_ACCOUNT.refreshToken, client_id: CLIENT.client_id, client_secret: "x" });
    expect(await json(wrongSecret)).toEqual({ error: "invalid_client", error_description: "Unauthorized" });
    const basic = Buffer.from(`${CLIENT.client_id}:${CLIENT.client_secret}`).toString("base64");
    const viaBasic = await token({ grant_type: "refresh_token", refresh_token: DEFAULT_MOCK_GOOGLE_ACCOUNT.refreshToken }, { authorization: `Basic ${basic}` });
    expect(viaBasic.status).toBe(200);
  });

  it("trades an authorization code once, checking redirect_uri and the PKCE verifier", async () => {
    const verifier = "a-verifier-of-forty-three-characters-0123456";
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    mock.addAuthorizationCode("4/code", { refreshToken: "1//second", redirectUri: "http://localhost:8085/callback", codeChallenge: challenge });
    mock.addAuthorizationCode("4/other", { refreshToken: "1//second", codeChallenge: challenge });
    const trade = (code: string, extra: Record<string, string>) => token({ grant_type: "authorization_code", code, ...CLIENT, ...extra });
    const badVerifier = await trade("4/other", { code_verifier: "wrong" });
    expect(await json(badVerifier)).toMatchObject({ error: "invalid_grant" });
    const wrongRedirect = await trade("4/code", { code_verifier: verifier, redirect_uri: "http://localhost:1/cb" });
    expect(await json(wrongRedirect)).toMatchObject({ error: "redirect_uri_mismatch" });
    mock.addAuthorizationCode("4/code", { refreshToken: "1//second", redirectUri: "http://localhost:8085/callback", codeChallenge: challenge });
    const granted = await json<Grant>(await trade("4/code", { code_verifier: verifier, redirect_uri: "http://localhost:8085/callback" }));
    expect(granted.refresh_token).toBe("1//second");
    expect((await loadCodeAssist(granted.access_token)).status).toBe(200);
    const again = await trade("4/code", { code_verifier: verifier, redirect_uri: "http://localhost:8085/callback" });
    expect(again.status).toBe(400);
    expect(await json(again)).toMatchObject({ error: "invalid_grant" });
  });

  it("refuses an unsupported grant type", async () => {
    const response = await token({ grant_type: "password", ...CLIENT });
    expect(response.status).toBe(400);
    expect((await json(response)).error).toBe("unsupported_grant_type");
  });

  it("plays scripted refusals and delays on the token operation's own queue", async () => {
    mock.enqueueOn("token", { kind: "error", status: 400, reason: "invalid_grant", message: "Account has been deleted" }, { kind: "ok", delayMs: 120 });
    expect(await json(await refresh())).toEqual({ error: "invalid_grant", error_description: "Account has been deleted" });
    const started = Date.now();
    expect((await refresh()).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(mock.refreshCount()).toBe(2);
  });

  it("answers tokeninfo and userinfo for tokens it issued", async () => {
    const grant = await json<Grant>(await refresh("1//second"));
    const info = await json(await fetch(`${mock.url}/tokeninfo?access_token=${grant.access_token}`));
    expect(info).toMatchObject({ email: "second@example.com", aud: DEFAULT_MOCK_OAUTH_CLIENT.clientId });
    expect(Number(info.expires_in)).toBeGreaterThan(3590);
    expect(Number(info.expires_in)).toBeLessThanOrEqual(3599);
    expect((await fetch(`${mock.url}/tokeninfo?access_token=ya29.nope`)).status).toBe(400);
    const user = await json(await fetch(`${mock.url}/oauth2/v2/userinfo`, { headers: { authorization: `Bearer ${grant.access_token}` } }));
    expect(user).toMatchObject({ email: "second@example.com", verified_email: true });
    expect((await fetch(`${mock.url}/oauth2/v2/userinfo`)).status).toBe(401);
  });
});
