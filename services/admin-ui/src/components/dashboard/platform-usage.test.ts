import { create } from "@bufbuild/protobuf";
import { AccountType, NamedUsageSchema, Platform, UsageCountersSchema } from "@claude-relay/proto/admin";
import { describe, expect, it } from "vitest";
import { accountsByPlatform, platformShare, platformSubject, platformUsage } from "./platform-usage.js";

const named = (id: string, requests: number, costUsd: number) =>
  create(NamedUsageSchema, { id, name: id, usage: create(UsageCountersSchema, { requests: BigInt(requests), costUsd }) });

describe("platformUsage", () => {
  it("orders Claude, Gemini, OpenAI, then platforms this UI does not know", () => {
    const rows = platformUsage([named("mistral", 4, 0), named("openai", 1, 0), named("gemini", 2, 0), named("claude", 3, 0)]);
    expect(rows.map((row) => row.id)).toEqual(["claude", "gemini", "openai", "mistral"]);
  });

  it("gives each platform's share of a metric, 0 when nothing was used", () => {
    const rows = platformUsage([named("claude", 3, 0.5), named("gemini", 1, 1.5)]);
    expect(platformShare(rows, "claude", "requests")).toBe(75);
    expect(platformShare(rows, "gemini", "cost")).toBe(75);
    expect(platformShare(platformUsage([named("claude", 0, 0)]), "claude", "requests")).toBe(0);
  });
});

describe("accountsByPlatform", () => {
  it("counts every platform, by the server's platform or else the type", () => {
    expect(
      accountsByPlatform([
        { platform: Platform.UNSPECIFIED, type: AccountType.CLAUDE_CONSOLE },
        { platform: Platform.GEMINI, type: AccountType.GEMINI_OAUTH },
        { platform: Platform.UNSPECIFIED, type: AccountType.GEMINI_API },
        { platform: Platform.OPENAI, type: AccountType.OPENAI_API },
        { platform: Platform.UNSPECIFIED, type: AccountType.OPENAI_OAUTH },
      ]),
    ).toEqual({ claude: 1, gemini: 2, openai: 2 });
    expect(accountsByPlatform([])).toEqual({ claude: 0, gemini: 0, openai: 0 });
  });
});

describe("platformSubject", () => {
  it("narrows a series by the platform's wire id", () => {
    expect(platformSubject("gemini")).toEqual({ subject: { case: "platform", value: "gemini" } });
  });
});
