import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { GEMINI_DEFAULTS, googleAuthorizeConfig } from "../providers/gemini/google-oauth.js";
import { buildAuthorizeUrl, createPkcePair, parsePastedCode } from "./oauth-authorization.js";

describe("createPkcePair", () => {
  it("makes a 43-character base64url verifier whose S256 challenge is its SHA-256 in base64url", () => {
    const { verifier, challenge } = createPkcePair();
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(challenge).toBe(createHash("sha256").update(verifier).digest("base64url"));
    expect(createPkcePair().verifier).not.toBe(verifier);
  });
});

describe("buildAuthorizeUrl", () => {
  it("carries the client, redirect, scopes, S256 challenge and state", () => {
    const url = new URL(
      buildAuthorizeUrl(
        {
          authorizeUrl: "https://claude.ai/oauth/authorize",
          clientId: "client-1",
          redirectUri: "https://example.test/cb",
          scopes: "org:create_api_key user:profile user:inference",
          extraParams: { code: "true" },
        },
        "challenge-1",
        "state-1",
      ),
    );
    expect(url.origin + url.pathname).toBe("https://claude.ai/oauth/authorize");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      code: "true",
      client_id: "client-1",
      response_type: "code",
      redirect_uri: "https://example.test/cb",
      scope: "org:create_api_key user:profile user:inference",
      code_challenge: "challenge-1",
      code_challenge_method: "S256",
      state: "state-1",
    });
  });
});

describe("buildAuthorizeUrl for a Google sign-in", () => {
  it("asks for offline access and consent, as the Gemini CLI's paste-the-code flow does", () => {
    const url = new URL(buildAuthorizeUrl(googleAuthorizeConfig(GEMINI_DEFAULTS), "challenge-1", "state-1"));
    expect(url.origin + url.pathname).toBe("https://accounts.google.com/o/oauth2/v2/auth");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      access_type: "offline",
      prompt: "consent",
      client_id: GEMINI_DEFAULTS.clientId,
      response_type: "code",
      redirect_uri: "https://codeassist.google.com/authcode",
      scope: "https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile",
      code_challenge: "challenge-1",
      code_challenge_method: "S256",
      state: "state-1",
    });
  });
});

describe("parsePastedCode", () => {
  it("accepts a bare code, the code#state the callback page shows, and the callback URL", () => {
    expect(parsePastedCode("  abc  ")).toEqual({ code: "abc" });
    expect(parsePastedCode("abc#st")).toEqual({ code: "abc", state: "st" });
    expect(parsePastedCode("https://console.anthropic.com/oauth/code/callback?code=abc&state=st")).toEqual({ code: "abc", state: "st" });
  });

  it("finds no code in an empty paste or a URL without one", () => {
    expect(parsePastedCode("   ")).toBeUndefined();
    expect(parsePastedCode("#state-only")).toBeUndefined();
    expect(parsePastedCode("https://example.test/cb?state=st")).toBeUndefined();
  });
});
