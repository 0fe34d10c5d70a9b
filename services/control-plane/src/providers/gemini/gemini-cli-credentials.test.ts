import { describe, expect, it } from "vitest";
import { parseGeminiCliCredentials } from "./gemini-cli-credentials.js";

/** A file shaped like the one the Gemini CLI writes to ~/.gemini/oauth_creds.json. */
const FILE = {
  access_token: "ya29.file-access-secret",
  refresh_token: "1//file-refresh-secret",
  scope: "https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/userinfo.email openid",
  token_type: "Bearer",
  id_token: "eyJhbGciOiJSUzI1NiJ9.e30.sig",
  expiry_date: 1_900_000_000_000,
};

describe("parseGeminiCliCredentials", () => {
  it("reads the tokens, the expiry in ms and the scopes", () => {
    expect(parseGeminiCliCredentials(JSON.stringify(FILE))).toEqual({
      ok: true,
      credential: {
        kind: "oauth",
        accessToken: "ya29.file-access-secret",
        refreshToken: "1//file-refresh-secret",
        expiresAtMs: 1_900_000_000_000,
        scopes: ["https://www.googleapis.com/auth/cloud-platform", "https://www.googleapis.com/auth/userinfo.email", "openid"],
      },
    });
  });

  it("takes a file without an access token or expiry as due, so it is refreshed before use", () => {
    const result = parseGeminiCliCredentials(JSON.stringify({ refresh_token: "1//r" }));
    expect(result).toEqual({ ok: true, credential: { kind: "oauth", accessToken: "", refreshToken: "1//r", expiresAtMs: 1, scopes: [] } });
  });

  it("names what is wrong, never a token", () => {
    const cases: [string, RegExp][] = [
      ["not json {", /is not JSON/],
      ["[1,2]", /must be a JSON object/],
      [JSON.stringify({ ...FILE, refresh_token: undefined }), /has no refresh_token/],
      [JSON.stringify({ ...FILE, expiry_date: "tomorrow" }), /expiry_date must be a time in milliseconds/],
      [JSON.stringify({ ...FILE, token_type: "MAC" }), /token_type must be Bearer/],
      [JSON.stringify({ ...FILE, access_token: 42 }), /access_token must be a string/],
      [JSON.stringify({ type: "service_account", private_key: "-----BEGIN secret", client_email: "x@y" }), /"service_account" credentials file/],
      [JSON.stringify({ type: "authorized_user", client_id: "c", client_secret: "s", refresh_token: "r" }), /application default/],
      ["x".repeat(70_000), /larger than/],
    ];
    for (const [text, reason] of cases) {
      const result = parseGeminiCliCredentials(text);
      expect(result.ok, text.slice(0, 40)).toBe(false);
      if (result.ok) continue;
      expect(result.reason).toMatch(reason);
      expect(result.reason).not.toMatch(/secret|ya29|1\/\//);
    }
  });
});
