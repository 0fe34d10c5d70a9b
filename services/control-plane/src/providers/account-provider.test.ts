import { describe, expect, it } from "vitest";
import { upstreamUrl } from "./account-provider.js";
import { buildAccountProviders } from "./registry.js";
import { GEMINI_DEFAULTS } from "./gemini/google-oauth.js";

describe("buildAccountProviders", () => {
  const providers = buildAccountProviders({ gemini: { ...GEMINI_DEFAULTS, codeAssistUrl: "https://ca.example.test", tokenUrl: "https://google.example.test/token" } });

  it("finds each type's provider", () => {
    expect(providers.forType("claude-console").platform).toBe("claude");
    expect(providers.forType("claude-oauth").platform).toBe("claude");
    expect(providers.forType("gemini-api").platform).toBe("gemini");
    expect(providers.forType("gemini-oauth").platform).toBe("gemini");
    expect(providers.forType("openai-api").platform).toBe("openai");
    expect(providers.forType("openai-oauth").platform).toBe("openai");
  });

  it("offers one OAuth flow per OAuth type", () => {
    expect(Object.keys(providers.oauthFlows()).sort()).toEqual(["claude-oauth", "gemini-oauth", "openai-oauth"]);
  });

  it("has a token client for OAuth types only", () => {
    expect(providers.tokenClient({ type: "gemini-oauth", tokenUrl: "" })).toBeDefined();
    expect(providers.tokenClient({ type: "claude-oauth", tokenUrl: "https://own.example.test/token" })).toBeDefined();
    expect(providers.tokenClient({ type: "gemini-api", tokenUrl: "" })).toBeUndefined();
    expect(providers.tokenClient({ type: "claude-console", tokenUrl: "" })).toBeUndefined();
    expect(providers.tokenClient({ type: "openai-oauth", tokenUrl: "" })).toBeDefined();
    expect(providers.tokenClient({ type: "openai-api", tokenUrl: "" })).toBeUndefined();
  });

  it("takes each type's default base URL from its provider's configuration", () => {
    expect(providers.defaultBaseUrls()).toEqual({
      "claude-console": "https://api.anthropic.com",
      "claude-oauth": "https://api.anthropic.com",
      "gemini-api": "https://generativelanguage.googleapis.com",
      "gemini-oauth": "https://ca.example.test",
      "openai-api": "https://api.openai.com/v1",
      "openai-oauth": "https://chatgpt.com/backend-api/codex",
    });
  });
});

describe("upstreamUrl", () => {
  it("keeps the base URL's path and reads a colon in the first segment as part of the path", () => {
    expect(upstreamUrl("https://x.test/prefix", "v1internal:loadCodeAssist").href).toBe("https://x.test/prefix/v1internal:loadCodeAssist");
    expect(upstreamUrl("https://x.test/", "v1/messages").href).toBe("https://x.test/v1/messages");
  });
});
