import { describe, expect, it } from "vitest";
import { createGeminiAccountProvider, geminiTestRequest, GEMINI_TEST_MODEL, readGoogleErrorBody } from "./gemini-accounts.js";
import { GEMINI_DEFAULTS } from "./google-oauth.js";

const oauth = { kind: "oauth" as const, accessToken: "ya29.t", refreshToken: "1//r", expiresAtMs: 0, scopes: [] };

describe("geminiTestRequest", () => {
  it("asks the Gemini API for one token with the key in x-goog-api-key", () => {
    const request = geminiTestRequest({ type: "gemini-api", baseUrl: "https://gw.example.test/google/", credential: { kind: "api-key", apiKey: "AIza-k" }, model: "models/gemini-2.5-flash", projectId: "" });
    expect(request.url.href).toBe("https://gw.example.test/google/v1beta/models/gemini-2.5-flash:generateContent");
    expect(request.headers).toEqual({ "content-type": "application/json", "x-goog-api-key": "AIza-k" });
    expect(JSON.parse(request.body)).toEqual({ contents: [{ role: "user", parts: [{ text: "ping" }] }], generationConfig: { maxOutputTokens: 1 } });
  });

  it("wraps the request in the Code Assist envelope with the project for a Google sign-in", () => {
    const request = geminiTestRequest({ type: "gemini-oauth", baseUrl: "https://cloudcode-pa.googleapis.com", credential: oauth, model: GEMINI_TEST_MODEL, projectId: "proj-1" });
    expect(request.url.href).toBe("https://cloudcode-pa.googleapis.com/v1internal:generateContent");
    expect(request.headers.authorization).toBe("Bearer ya29.t");
    expect(JSON.parse(request.body)).toEqual({
      model: "gemini-2.5-flash",
      project: "proj-1",
      request: { contents: [{ role: "user", parts: [{ text: "ping" }] }], generationConfig: { maxOutputTokens: 1 } },
    });
  });
});

describe("readGoogleErrorBody", () => {
  it("reads the status and message of a Google error, alone or in an array", () => {
    const error = { error: { code: 403, message: "The caller does not have permission", status: "PERMISSION_DENIED" } };
    expect(readGoogleErrorBody(JSON.stringify(error))).toEqual({ type: "PERMISSION_DENIED", message: "The caller does not have permission" });
    expect(readGoogleErrorBody(JSON.stringify([error]))).toEqual({ type: "PERMISSION_DENIED", message: "The caller does not have permission" });
    expect(readGoogleErrorBody("<html>")).toEqual({ type: "", message: "" });
  });
});

describe("createGeminiAccountProvider", () => {
  it("signs gemini-oauth accounts in at Google and serves each type from its own default base URL", () => {
    const provider = createGeminiAccountProvider();
    expect(provider.oauth?.type).toBe("gemini-oauth");
    expect(provider.oauth?.flow.config).toMatchObject({ authorizeUrl: GEMINI_DEFAULTS.authorizeUrl, redirectUri: "https://codeassist.google.com/authcode" });
    expect(provider.defaultBaseUrls).toEqual({ "gemini-api": "https://generativelanguage.googleapis.com", "gemini-oauth": "https://cloudcode-pa.googleapis.com" });
  });

  it("needs no setup for a gemini-api account, and keeps a named project without calling upstream", async () => {
    const provider = createGeminiAccountProvider({ ...GEMINI_DEFAULTS, codeAssistUrl: "http://127.0.0.1:9", tokenUrl: "http://127.0.0.1:9/token" });
    const key = { kind: "api-key" as const, apiKey: "AIza-k" };
    expect(await provider.setUp?.({ type: "gemini-api", baseUrl: "", proxyUrl: "", tokenUrl: "", credential: key, projectId: "" })).toEqual({ ok: true, credential: key, projectId: "" });
    const fresh = { ...oauth, expiresAtMs: Date.now() + 3_600_000 };
    expect(await provider.setUp?.({ type: "gemini-oauth", baseUrl: "", proxyUrl: "", tokenUrl: "", credential: fresh, projectId: "named-1" })).toEqual({ ok: true, credential: fresh, projectId: "named-1" });
  });

  it("refuses setup of an expired token without a refresh token", async () => {
    const provider = createGeminiAccountProvider();
    const expired = { ...oauth, refreshToken: "", expiresAtMs: 1 };
    expect(await provider.setUp?.({ type: "gemini-oauth", baseUrl: "", proxyUrl: "", tokenUrl: "", credential: expired, projectId: "" })).toEqual({
      ok: false,
      reason: "the access token has expired and there is no refresh token",
    });
  });
});
