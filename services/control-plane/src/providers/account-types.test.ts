import { describe, expect, it } from "vitest";
import { ACCOUNT_TYPES, isAccountType, isChatGptAccountId, PLATFORMS, platformOf } from "./account-types.js";

describe("account types", () => {
  it("puts every type on a known platform", () => {
    for (const type of Object.keys(ACCOUNT_TYPES)) expect(PLATFORMS).toContain(platformOf(type as keyof typeof ACCOUNT_TYPES));
  });

  it("tells Gemini types from Claude types", () => {
    expect(platformOf("gemini-api")).toBe("gemini");
    expect(platformOf("gemini-oauth")).toBe("gemini");
    expect(platformOf("claude-oauth")).toBe("claude");
  });

  it("puts OpenAI keys and ChatGPT sign-ins on the openai platform, only the sign-in naming a ChatGPT account", () => {
    expect(platformOf("openai-api")).toBe("openai");
    expect(platformOf("openai-oauth")).toBe("openai");
    expect(PLATFORMS).toEqual(["claude", "gemini", "openai"]);
    expect(ACCOUNT_TYPES["openai-api"]).toEqual({ platform: "openai", credential: "api-key", defaultBaseUrl: "https://api.openai.com/v1" });
    expect(ACCOUNT_TYPES["openai-oauth"]).toEqual({ platform: "openai", credential: "oauth", defaultBaseUrl: "https://chatgpt.com/backend-api/codex", namesChatGptAccount: true });
  });

  it("takes ChatGPT account ids of a safe alphabet only", () => {
    expect(isChatGptAccountId("6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b")).toBe(true);
    expect(isChatGptAccountId("acct 1")).toBe(false);
    expect(isChatGptAccountId("a\r\nx-injected: 1")).toBe(false);
    expect(isChatGptAccountId("")).toBe(false);
  });

  it("knows only its own type names", () => {
    expect(isAccountType("gemini-oauth")).toBe(true);
    expect(isAccountType("toString")).toBe(false);
    expect(isAccountType("openai-api")).toBe(true);
    expect(isAccountType("openai-responses")).toBe(false);
  });
});
