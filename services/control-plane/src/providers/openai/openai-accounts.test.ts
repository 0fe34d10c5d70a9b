import { describe, expect, it } from "vitest";
import { defaultTestModelOf } from "../account-provider.js";
import { OPENAI_DEFAULTS } from "./chatgpt-oauth.js";
import { CHATGPT_TEST_MODEL, createOpenAIAccountProvider, OPENAI_TEST_MODEL } from "./openai-accounts.js";

function jwt(payload: unknown): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "RS256" })}.${part(payload)}.sig`;
}

const NOW = 1_800_000_000_000;
// Nothing listens there: a setup that tried to refresh would fail, so these cases prove it did not.
const provider = createOpenAIAccountProvider({ ...OPENAI_DEFAULTS, tokenUrl: "http://127.0.0.1:9/oauth/token", now: () => NOW });
const auth = (accountId: string) => ({ "https://api.openai.com/auth": { chatgpt_account_id: accountId } });
const fresh = (accessToken: string) => ({ kind: "oauth" as const, accessToken, refreshToken: "rt_1", expiresAtMs: NOW + 3_600_000, scopes: [] });
const base = { baseUrl: "", proxyUrl: "", tokenUrl: "", projectId: "" };

describe("createOpenAIAccountProvider", () => {
  it("signs openai-oauth accounts in at auth.openai.com and serves each type from its own default base URL and test model", () => {
    expect(provider.oauth?.type).toBe("openai-oauth");
    expect(provider.oauth?.flow.config).toMatchObject({ authorizeUrl: "https://auth.openai.com/oauth/authorize", clientId: "app_EMoamEEZ73f0CkXaXp7hrann" });
    expect(provider.defaultBaseUrls).toEqual({ "openai-api": "https://api.openai.com/v1", "openai-oauth": "https://chatgpt.com/backend-api/codex" });
    expect(defaultTestModelOf(provider, "openai-api")).toBe(OPENAI_TEST_MODEL);
    expect(defaultTestModelOf(provider, "openai-oauth")).toBe(CHATGPT_TEST_MODEL);
    expect(provider.namesAccounts).toEqual(["openai-oauth"]);
  });

  it("needs no setup for an API key", async () => {
    const key = { kind: "api-key" as const, apiKey: "sk-test" };
    expect(await provider.setUp?.({ ...base, type: "openai-api", credential: key })).toEqual({ ok: true, credential: key, projectId: "" });
  });

  it("takes the ChatGPT account from a pasted file first, then the id_token, then the access token, and the email as the name", async () => {
    const access = jwt({ ...auth("from-access"), "https://api.openai.com/profile": { email: "access@example.test" } });
    const idToken = jwt({ ...auth("from-id"), email: "id@example.test" });
    const credential = fresh(access);
    expect(await provider.setUp?.({ ...base, type: "openai-oauth", credential, hints: { chatgptAccountId: "from-file", idToken } })).toEqual({
      ok: true,
      credential,
      projectId: "",
      chatgptAccountId: "from-file",
      suggestedName: "id@example.test",
    });
    expect(await provider.setUp?.({ ...base, type: "openai-oauth", credential, hints: { idToken } })).toMatchObject({ chatgptAccountId: "from-id" });
    expect(await provider.setUp?.({ ...base, type: "openai-oauth", credential })).toMatchObject({ chatgptAccountId: "from-access", suggestedName: "access@example.test" });
  });

  it("keeps the stored ChatGPT account when the new tokens name none", async () => {
    expect(await provider.setUp?.({ ...base, type: "openai-oauth", credential: fresh("opaque"), chatgptAccountId: "stored-1" })).toMatchObject({ ok: true, chatgptAccountId: "stored-1" });
  });

  it("refuses a sign-in without a refresh token, or naming no ChatGPT account", async () => {
    expect(await provider.setUp?.({ ...base, type: "openai-oauth", credential: { ...fresh("opaque"), refreshToken: "" } })).toEqual({
      ok: false,
      reason: "the sign-in has no refresh token; sign in again",
    });
    expect(await provider.setUp?.({ ...base, type: "openai-oauth", credential: fresh("opaque") })).toEqual({
      ok: false,
      reason: "the sign-in names no ChatGPT account (no chatgpt_account_id in its tokens)",
    });
    expect(await provider.setUp?.({ ...base, type: "openai-oauth", credential: fresh(jwt(auth("bad id\r\n"))) })).toMatchObject({ ok: false, reason: "the sign-in's ChatGPT account id is not one" });
  });

  it("refreshes a token that is due before setup, and says why when that fails", async () => {
    const due = { ...fresh(jwt(auth("a-1"))), expiresAtMs: NOW + 10_000 };
    const result = await provider.setUp?.({ ...base, type: "openai-oauth", credential: due });
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/^the access token could not be refreshed: token endpoint unreachable/) });
  });
});
