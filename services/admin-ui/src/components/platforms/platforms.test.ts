import { AccountType, Platform } from "@claude-relay/proto/admin";
import { describe, expect, it } from "vitest";
import { ACCOUNT_TYPES, accountPlatform, accountTypeInfo, isOAuthType, platformEnum, platformId, platformLabelKey } from "./platforms.js";

describe("account types", () => {
  it("lists the six types by platform, Claude first, each on one platform", () => {
    expect(ACCOUNT_TYPES.map((info) => [info.type, info.platform, info.credential])).toEqual([
      [AccountType.CLAUDE_CONSOLE, "claude", "api-key"],
      [AccountType.CLAUDE_OAUTH, "claude", "oauth"],
      [AccountType.GEMINI_API, "gemini", "api-key"],
      [AccountType.GEMINI_OAUTH, "gemini", "oauth"],
      [AccountType.OPENAI_API, "openai", "api-key"],
      [AccountType.OPENAI_OAUTH, "openai", "oauth"],
    ]);
  });

  it("knows nothing of UNSPECIFIED and treats it as no OAuth type", () => {
    expect(accountTypeInfo(AccountType.UNSPECIFIED)).toBeUndefined();
    expect(isOAuthType(AccountType.UNSPECIFIED)).toBe(false);
    expect(isOAuthType(AccountType.GEMINI_OAUTH)).toBe(true);
    expect(isOAuthType(AccountType.OPENAI_OAUTH)).toBe(true);
    expect(isOAuthType(AccountType.OPENAI_API)).toBe(false);
  });
});

describe("platforms", () => {
  it("maps the enum to wire ids and back", () => {
    expect(platformId(Platform.GEMINI)).toBe("gemini");
    expect(platformId(Platform.UNSPECIFIED)).toBeUndefined();
    expect(platformEnum("claude")).toBe(Platform.CLAUDE);
    expect(platformEnum("gemini")).toBe(Platform.GEMINI);
    expect(platformId(Platform.OPENAI)).toBe("openai");
    expect(platformEnum("openai")).toBe(Platform.OPENAI);
  });

  it("takes an account's platform from the server, else from its type, else Claude", () => {
    expect(accountPlatform({ platform: Platform.GEMINI, type: AccountType.UNSPECIFIED })).toBe("gemini");
    expect(accountPlatform({ platform: Platform.UNSPECIFIED, type: AccountType.GEMINI_API })).toBe("gemini");
    expect(accountPlatform({ platform: Platform.UNSPECIFIED, type: AccountType.CLAUDE_OAUTH })).toBe("claude");
    expect(accountPlatform({ platform: Platform.UNSPECIFIED, type: AccountType.OPENAI_OAUTH })).toBe("openai");
    expect(accountPlatform({ platform: Platform.UNSPECIFIED, type: AccountType.UNSPECIFIED })).toBe("claude");
  });

  it("names unknown platform ids as other", () => {
    expect(platformLabelKey("gemini")).toBe("platform.gemini");
    expect(platformLabelKey("openai")).toBe("platform.openai");
    expect(platformLabelKey("mistral")).toBe("platform.other");
  });
});
