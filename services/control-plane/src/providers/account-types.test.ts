import { describe, expect, it } from "vitest";
import { ACCOUNT_TYPES, isAccountType, PLATFORMS, platformOf } from "./account-types.js";

describe("account types", () => {
  it("puts every type on a known platform", () => {
    for (const type of Object.keys(ACCOUNT_TYPES)) expect(PLATFORMS).toContain(platformOf(type as keyof typeof ACCOUNT_TYPES));
  });

  it("tells Gemini types from Claude types", () => {
    expect(platformOf("gemini-api")).toBe("gemini");
    expect(platformOf("gemini-oauth")).toBe("gemini");
    expect(platformOf("claude-oauth")).toBe("claude");
  });

  it("knows only its own type names", () => {
    expect(isAccountType("gemini-oauth")).toBe(true);
    expect(isAccountType("toString")).toBe(false);
    expect(isAccountType("openai-api")).toBe(false);
  });
});
