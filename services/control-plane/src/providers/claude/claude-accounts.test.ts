import { describe, expect, it } from "vitest";
import { claudeTestHeaders, claudeTestRequest, createClaudeAccountProvider, readAnthropicErrorBody } from "./claude-accounts.js";

describe("readAnthropicErrorBody", () => {
  it("reads the type and message of an Anthropic error body", () => {
    expect(readAnthropicErrorBody('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}')).toEqual({ type: "overloaded_error", message: "Overloaded" });
  });

  it("returns empty strings for a body that is not an error object", () => {
    expect(readAnthropicErrorBody("<html>bad gateway</html>")).toEqual({ type: "", message: "" });
  });
});

describe("claudeTestHeaders", () => {
  it("puts a console key in x-api-key and an OAuth token in a bearer with the beta", () => {
    expect(claudeTestHeaders({ kind: "api-key", apiKey: "k" })).toMatchObject({ "x-api-key": "k", "anthropic-version": "2023-06-01" });
    const oauth = claudeTestHeaders({ kind: "oauth", accessToken: "t", refreshToken: "", expiresAtMs: 0, scopes: [] });
    expect(oauth).toMatchObject({ authorization: "Bearer t", "anthropic-beta": "oauth-2025-04-20" });
    expect(oauth["x-api-key"]).toBeUndefined();
  });
});

describe("claudeTestRequest", () => {
  it("sends one token of Messages under the base URL's path", () => {
    const request = claudeTestRequest({ type: "claude-console", baseUrl: "https://gw.example.test/anthropic", credential: { kind: "api-key", apiKey: "k" }, model: "claude-haiku-4-5", projectId: "" });
    expect(request.url.href).toBe("https://gw.example.test/anthropic/v1/messages");
    expect(JSON.parse(request.body)).toEqual({ model: "claude-haiku-4-5", max_tokens: 1, messages: [{ role: "user", content: "ping" }] });
  });
});

describe("createClaudeAccountProvider", () => {
  it("signs claude-oauth accounts in on claude.ai with the code shown for pasting", () => {
    const oauth = createClaudeAccountProvider().oauth;
    expect(oauth?.type).toBe("claude-oauth");
    expect(oauth?.flow.config).toMatchObject({ authorizeUrl: "https://claude.ai/oauth/authorize", extraParams: { code: "true" } });
  });
});
