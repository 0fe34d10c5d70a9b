import { describe, expect, it } from "vitest";
import { parseCodexAuthJson } from "./codex-auth-json.js";

function jwt(payload: unknown): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "RS256" })}.${part(payload)}.sig`;
}

const ACCESS = jwt({ exp: 1_900_000_000, "https://api.openai.com/auth": { chatgpt_account_id: "acct-1" } });
const ID = jwt({ email: "dev@example.test", "https://api.openai.com/auth": { chatgpt_account_id: "acct-1" } });

/** A file shaped like the one Codex CLI writes to ~/.codex/auth.json after a ChatGPT sign-in. */
const FILE = {
  OPENAI_API_KEY: null,
  tokens: { id_token: ID, access_token: ACCESS, refresh_token: "rt-file-refresh-secret", account_id: "acct-1" },
  last_refresh: "2026-11-30T10:00:00.000Z",
};

describe("parseCodexAuthJson", () => {
  it("reads the tokens, the expiry from the access token's exp, and the account id and id_token as hints", () => {
    expect(parseCodexAuthJson(JSON.stringify(FILE))).toEqual({
      ok: true,
      credential: { kind: "oauth", accessToken: ACCESS, refreshToken: "rt-file-refresh-secret", expiresAtMs: 1_900_000_000_000, scopes: [] },
      hints: { idToken: ID, chatgptAccountId: "acct-1" },
    });
  });

  it("ignores an API key beside the tokens", () => {
    const result = parseCodexAuthJson(JSON.stringify({ ...FILE, OPENAI_API_KEY: "sk-proj-ignored" }));
    expect(result.ok && result.credential.refreshToken).toBe("rt-file-refresh-secret");
    expect(JSON.stringify(result)).not.toContain("sk-proj-ignored");
  });

  it("takes a file with only a refresh token as due, so it is refreshed before use", () => {
    expect(parseCodexAuthJson(JSON.stringify({ tokens: { refresh_token: "rt-1", access_token: "opaque" } }))).toEqual({
      ok: true,
      credential: { kind: "oauth", accessToken: "opaque", refreshToken: "rt-1", expiresAtMs: 1, scopes: [] },
      hints: {},
    });
  });

  it("names what is wrong, never a token", () => {
    const cases: [string, RegExp][] = [
      ["{not json", /is not JSON; paste the whole of ~\/.codex\/auth.json/],
      ["[1]", /must be a JSON object/],
      [JSON.stringify({ OPENAI_API_KEY: "sk-secret-key", tokens: null }), /holds an API key, not a ChatGPT sign-in; add it as an openai-api account/],
      [JSON.stringify({ access_token: "ya29.secret", refresh_token: "1//secret" }), /has no tokens; paste the whole/],
      [JSON.stringify({ tokens: "rt-secret" }), /tokens must be an object/],
      [JSON.stringify({ tokens: { ...FILE.tokens, refresh_token: "" } }), /has no tokens.refresh_token; sign in with ChatGPT in Codex again/],
      [JSON.stringify({ tokens: { ...FILE.tokens, refresh_token: undefined } }), /has no tokens.refresh_token/],
      [JSON.stringify({ tokens: { ...FILE.tokens, access_token: 5 } }), /tokens.access_token must be a string/],
      [JSON.stringify({ tokens: { ...FILE.tokens, account_id: "acct 1\nx-injected: y" } }), /tokens.account_id is not a ChatGPT account id/],
      ["x".repeat(70_000), /larger than/],
    ];
    for (const [text, reason] of cases) {
      const result = parseCodexAuthJson(text);
      expect(result.ok, text.slice(0, 40)).toBe(false);
      if (result.ok) continue;
      expect(result.reason).toMatch(reason);
      expect(result.reason).not.toMatch(/secret|rt-file|eyJ/);
    }
  });
});
