import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type MockOpenAI, startMockOpenAI } from "./mock-openai.js";
import { CODEX_CLIENT_ID, DEFAULT_MOCK_CHATGPT_ACCOUNT, s256 } from "./mock-openai-auth.js";

let mock: MockOpenAI;

beforeEach(async () => {
  mock = await startMockOpenAI({ accounts: [{}, { accountId: "acct-second", email: "second@example.com", refreshToken: "rt_second" }] });
});

afterEach(async () => {
  await mock.close();
});

interface Grant {
  id_token: string;
  access_token: string;
  refresh_token: string;
  expires_in?: number;
}

const REDIRECT = "http://localhost:1455/auth/callback";
const VERIFIER = "a-long-random-pkce-code-verifier-0123456789";

function form(fields: Record<string, string>): Promise<Response> {
  return fetch(mock.tokenUrl, { method: "POST", body: new URLSearchParams(fields) });
}

function refresh(refreshToken: string, encoding: "json" | "form" = "json"): Promise<Response> {
  const fields = { client_id: CODEX_CLIENT_ID, grant_type: "refresh_token", refresh_token: refreshToken, scope: "openid profile email" };
  if (encoding === "form") return form(fields);
  return fetch(mock.tokenUrl, { method: "POST", body: JSON.stringify(fields), headers: { "content-type": "application/json" } });
}

function claimsOf(jwt: string): Record<string, unknown> {
  const parts = jwt.split(".");
  expect(parts).toHaveLength(3);
  return JSON.parse(Buffer.from(parts[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
}

function exchange(code: string, verifier = VERIFIER, redirectUri = REDIRECT): Promise<Response> {
  return form({ grant_type: "authorization_code", code, redirect_uri: redirectUri, client_id: CODEX_CLIENT_ID, code_verifier: verifier });
}

describe("the mock's OpenAI token endpoint: authorization codes", () => {
  it("trades a code once for tokens of its account, checking the PKCE verifier", async () => {
    mock.addAuthorizationCode("code-1", { codeVerifier: VERIFIER, redirectUri: REDIRECT, accountId: "acct-second" });
    const response = await exchange("code-1");
    expect(response.status).toBe(200);
    const grant = (await response.json()) as Grant;
    expect(grant.refresh_token).toBe("rt_second");
    const claims = claimsOf(grant.id_token);
    expect(claims.email).toBe("second@example.com");
    expect(claims["https://api.openai.com/auth"]).toMatchObject({ chatgpt_account_id: "acct-second", chatgpt_plan_type: "plus" });
    expect(claimsOf(grant.access_token)["https://api.openai.com/auth"]).toMatchObject({ chatgpt_account_id: "acct-second" });
    const again = await exchange("code-1");
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: "invalid_grant" });
  });

  it("refuses a wrong verifier, a wrong redirect_uri and a wrong client", async () => {
    mock.addAuthorizationCode("code-2", { codeChallenge: s256(VERIFIER), redirectUri: REDIRECT });
    expect(await (await exchange("code-2", "another-verifier")).json()).toMatchObject({ error: "invalid_grant" });
    mock.addAuthorizationCode("code-3", { codeVerifier: VERIFIER, redirectUri: REDIRECT });
    expect((await exchange("code-3", VERIFIER, "http://localhost:9999/cb")).status).toBe(400);
    mock.addAuthorizationCode("code-4", { codeVerifier: VERIFIER });
    const client = await form({ grant_type: "authorization_code", code: "code-4", client_id: "app_other", code_verifier: VERIFIER });
    expect(client.status).toBe(401);
    expect(await client.json()).toMatchObject({ error: "invalid_client" });
  });
});

describe("the mock's OpenAI token endpoint: refresh", () => {
  it("rotates the refresh token; the new access token works on the Codex backend", async () => {
    const response = await refresh(DEFAULT_MOCK_CHATGPT_ACCOUNT.refreshToken);
    expect(response.status).toBe(200);
    const grant = (await response.json()) as Grant;
    expect(grant.refresh_token).not.toBe(DEFAULT_MOCK_CHATGPT_ACCOUNT.refreshToken);
    expect(mock.accounts[0]?.refreshToken).toBe(grant.refresh_token);
    expect(claimsOf(grant.id_token)).toMatchObject({ email: DEFAULT_MOCK_CHATGPT_ACCOUNT.email, "https://api.openai.com/auth": { chatgpt_account_id: DEFAULT_MOCK_CHATGPT_ACCOUNT.accountId } });
    const body = { model: "gpt-5", instructions: "x", input: "hi", store: false, stream: true };
    const headers = { authorization: `Bearer ${grant.access_token}`, "chatgpt-account-id": DEFAULT_MOCK_CHATGPT_ACCOUNT.accountId, "content-type": "application/json" };
    expect((await fetch(`${mock.codexBaseUrl}/responses`, { method: "POST", body: JSON.stringify(body), headers })).status).toBe(200);
    expect((await refresh(grant.refresh_token, "form")).status).toBe(200);
  });

  it("refuses a used refresh token as refresh_token_reused, and counts every attempt", async () => {
    expect((await refresh(DEFAULT_MOCK_CHATGPT_ACCOUNT.refreshToken)).status).toBe(200);
    const reused = await refresh(DEFAULT_MOCK_CHATGPT_ACCOUNT.refreshToken);
    expect(reused.status).toBe(401);
    expect(await reused.json()).toEqual({
      error: { message: expect.stringContaining("already been used"), type: "invalid_request_error", param: null, code: "refresh_token_reused" },
    });
    expect(mock.refreshCount(DEFAULT_MOCK_CHATGPT_ACCOUNT.refreshToken)).toBe(2);
    expect(mock.refreshCount()).toBe(2);
  });

  it("refuses a revoked refresh token as refresh_token_invalidated and an unknown one as invalid_grant", async () => {
    mock.revokeRefreshToken("rt_second");
    const revoked = await refresh("rt_second");
    expect(revoked.status).toBe(401);
    expect(await revoked.json()).toMatchObject({ error: { code: "refresh_token_invalidated" } });
    const unknown = await refresh("rt_unknown");
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error: "invalid_grant" });
  });

  it("plays scripted token errors before looking at the grant", async () => {
    mock.enqueueOn("token", { kind: "error", status: 503, message: "upstream unavailable" });
    const response = await refresh(DEFAULT_MOCK_CHATGPT_ACCOUNT.refreshToken);
    expect(response.status).toBe(503);
    expect(mock.accounts[0]?.refreshToken).toBe(DEFAULT_MOCK_CHATGPT_ACCOUNT.refreshToken);
  });
});

describe("authJson", () => {
  it("writes a Codex auth.json whose access token the backend accepts for that account", async () => {
    const auth = JSON.parse(mock.authJson("acct-second")) as { OPENAI_API_KEY: null; tokens: Record<string, string>; last_refresh: string };
    expect(auth.OPENAI_API_KEY).toBeNull();
    expect(Object.keys(auth.tokens).sort()).toEqual(["access_token", "account_id", "id_token", "refresh_token"]);
    expect(auth.tokens).toMatchObject({ account_id: "acct-second", refresh_token: "rt_second" });
    expect(new Date(auth.last_refresh).toISOString()).toBe(auth.last_refresh);
    expect(claimsOf(auth.tokens.id_token ?? "")).toMatchObject({ email: "second@example.com" });
    const body = { model: "gpt-5", instructions: "x", input: "hi", store: false, stream: true };
    const headers = { authorization: `Bearer ${auth.tokens.access_token}`, "chatgpt-account-id": "acct-second", "content-type": "application/json" };
    expect((await fetch(`${mock.codexBaseUrl}/responses`, { method: "POST", body: JSON.stringify(body), headers })).status).toBe(200);
  });
});
