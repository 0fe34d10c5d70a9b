import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildAuthorizeUrl, createPkcePair } from "../../accounts/oauth-authorization.js";
import { chatGptAuthorizeConfig, createChatGptTokenClient, OPENAI_DEFAULTS } from "./chatgpt-oauth.js";

describe("the ChatGPT authorize URL", () => {
  it("asks auth.openai.com the way Codex CLI does: its client, redirect, scopes, PKCE S256 and its flow flags", () => {
    const { verifier, challenge } = createPkcePair();
    const url = new URL(buildAuthorizeUrl(chatGptAuthorizeConfig(OPENAI_DEFAULTS), challenge, "state-1"));
    expect(url.origin + url.pathname).toBe("https://auth.openai.com/oauth/authorize");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: "code",
      client_id: "app_EMoamEEZ73f0CkXaXp7hrann",
      redirect_uri: "http://localhost:1455/auth/callback",
      scope: "openid profile email offline_access",
      code_challenge: createHash("sha256").update(verifier).digest("base64url"),
      code_challenge_method: "S256",
      state: "state-1",
      id_token_add_organizations: "true",
      codex_cli_simplified_flow: "true",
      originator: "codex_cli_rs",
    });
  });
});

describe("createChatGptTokenClient", () => {
  /** A fetch that answers `answer` with `status` and keeps what it was sent. */
  function recording(answer: Record<string, unknown>, status = 200) {
    const sent: { url: string; headers: Record<string, string>; body: string }[] = [];
    const fetch = (async (url: unknown, init: { headers: Record<string, string>; body: string }) => {
      sent.push({ url: String(url), headers: init.headers, body: init.body });
      return new Response(JSON.stringify(answer), { status, headers: { "content-type": "application/json" } });
    }) as unknown as NonNullable<Parameters<typeof createChatGptTokenClient>[0]["fetch"]>;
    return { sent, fetch };
  }
  const jwtWithExp = (exp: number) => `h.${Buffer.from(JSON.stringify({ exp })).toString("base64url")}.s`;
  const TOKEN_URL = "https://auth.example.test/oauth/token";

  it("refreshes with a JSON body naming the client, the token and the scope, and keeps the new refresh token and id_token", async () => {
    const { sent, fetch } = recording({ access_token: jwtWithExp(1_900_000_000), refresh_token: "rt_new", id_token: "id.jwt.x", expires_in: 3600 });
    const client = createChatGptTokenClient({ tokenUrl: TOKEN_URL, clientId: "app_x", now: () => 1_000, fetch });
    const result = await client.refresh("rt_old");
    expect(result).toEqual({ ok: true, tokens: { accessToken: jwtWithExp(1_900_000_000), refreshToken: "rt_new", idToken: "id.jwt.x", expiresAtMs: 1_000 + 3_600_000, scopes: [] } });
    expect(sent[0]?.url).toBe(TOKEN_URL);
    expect(sent[0]?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(sent[0]?.body ?? "")).toEqual({ client_id: "app_x", grant_type: "refresh_token", refresh_token: "rt_old", scope: "openid profile email" });
  });

  it("takes the expiry from the access token's exp when the answer has no expires_in", async () => {
    const { fetch } = recording({ access_token: jwtWithExp(1_900_000_000), refresh_token: "rt_new" });
    const result = await createChatGptTokenClient({ tokenUrl: TOKEN_URL, clientId: "app_x", fetch }).refresh("rt_old");
    expect(result.ok && result.tokens.expiresAtMs).toBe(1_900_000_000_000);
  });

  it("trades a code form-encoded, without a state", async () => {
    const { sent, fetch } = recording({ access_token: "opaque", refresh_token: "rt_1", id_token: "id.jwt.y" });
    const result = await createChatGptTokenClient({ tokenUrl: TOKEN_URL, clientId: "app_x", fetch }).exchangeCode({ code: "c-1", codeVerifier: "v-1", redirectUri: "http://localhost:1455/auth/callback", state: "s-1" });
    expect(result).toMatchObject({ ok: true, tokens: { accessToken: "opaque", refreshToken: "rt_1", idToken: "id.jwt.y", expiresAtMs: 0 } });
    expect(sent[0]?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(sent[0]?.body))).toEqual({
      grant_type: "authorization_code",
      code: "c-1",
      code_verifier: "v-1",
      redirect_uri: "http://localhost:1455/auth/callback",
      client_id: "app_x",
    });
  });

  it("names OpenAI's refusal code, never its message", async () => {
    const { fetch } = recording({ error: { message: "Your refresh token has already been used rt_old", type: "invalid_request_error", code: "refresh_token_reused" } }, 401);
    expect(await createChatGptTokenClient({ tokenUrl: TOKEN_URL, clientId: "app_x", fetch }).refresh("rt_old")).toEqual({
      ok: false,
      reason: "token endpoint answered 401: refresh_token_reused",
      sent: true,
    });
  });
});
