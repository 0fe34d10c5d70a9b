import { describe, expect, it } from "vitest";
import { chatGptClaims, jwtExpiresAtMs, jwtPayload } from "./chatgpt-token-claims.js";

/** An unsigned JWT with `payload`, shaped like the ones OpenAI's token endpoint issues. */
function jwt(payload: unknown): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "RS256", typ: "JWT" })}.${part(payload)}.c2lnbmF0dXJl`;
}

describe("chatGptClaims", () => {
  it("reads the account id and plan under the auth claim and the top-level email", () => {
    const token = jwt({ email: "dev@example.test", "https://api.openai.com/auth": { chatgpt_account_id: "acct-123", chatgpt_plan_type: "pro", chatgpt_user_id: "user-1" } });
    expect(chatGptClaims(token)).toEqual({ accountId: "acct-123", email: "dev@example.test", planType: "pro" });
  });

  it("falls back to the profile claim's email, as access tokens carry it", () => {
    const token = jwt({ "https://api.openai.com/profile": { email: "p@example.test" }, "https://api.openai.com/auth": { chatgpt_account_id: "acct-9" } });
    expect(chatGptClaims(token)).toEqual({ accountId: "acct-9", email: "p@example.test", planType: "" });
  });

  it("reads nothing from what is not a JWT, or a claim of the wrong shape", () => {
    const empty = { accountId: "", email: "", planType: "" };
    expect(chatGptClaims("not-a-jwt")).toEqual(empty);
    expect(chatGptClaims("a.b.c")).toEqual(empty);
    expect(chatGptClaims("a.!!!.c")).toEqual(empty);
    expect(chatGptClaims(jwt(["array"]))).toEqual(empty);
    expect(chatGptClaims(jwt({ "https://api.openai.com/auth": "acct-1", email: 7 }))).toEqual(empty);
    expect(chatGptClaims(`x.${"A".repeat(20_000)}.y`)).toEqual(empty);
  });
});

describe("jwtExpiresAtMs", () => {
  it("turns exp seconds into ms", () => {
    expect(jwtExpiresAtMs(jwt({ exp: 1_900_000_000 }))).toBe(1_900_000_000_000);
  });

  it("is 0 without a usable exp", () => {
    expect(jwtExpiresAtMs(jwt({ exp: "soon" }))).toBe(0);
    expect(jwtExpiresAtMs(jwt({ exp: -5 }))).toBe(0);
    expect(jwtExpiresAtMs(jwt({}))).toBe(0);
    expect(jwtExpiresAtMs("sk-not-a-jwt")).toBe(0);
  });
});

describe("jwtPayload", () => {
  it("decodes the middle part", () => {
    expect(jwtPayload(jwt({ sub: "u", n: 1 }))).toEqual({ sub: "u", n: 1 });
  });
});
