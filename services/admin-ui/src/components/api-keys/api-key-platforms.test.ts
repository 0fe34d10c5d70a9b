import { create } from "@bufbuild/protobuf";
import { ApiKeySchema, Platform } from "@claude-relay/proto/admin";
import { describe, expect, it } from "vitest";
import {
  allowedPlatforms,
  emptyPlatformScope,
  platformGroupList,
  platformList,
  platformScopeChanges,
  platformScopeProblem,
  scopeFromApiKey,
} from "./api-key-platforms.js";

describe("platforms a key may use", () => {
  it("reads an empty list, or one naming every platform, as every platform", () => {
    expect(allowedPlatforms([])).toEqual(["claude", "gemini", "openai"]);
    expect(allowedPlatforms([Platform.OPENAI, Platform.GEMINI, Platform.CLAUDE])).toEqual(["claude", "gemini", "openai"]);
    expect(allowedPlatforms([Platform.GEMINI])).toEqual(["gemini"]);
    expect(allowedPlatforms([Platform.UNSPECIFIED])).toEqual(["claude", "gemini", "openai"]);
  });

  it("keeps a key limited to Claude and Gemini off OpenAI", () => {
    expect(allowedPlatforms([Platform.CLAUDE, Platform.GEMINI])).toEqual(["claude", "gemini"]);
    expect(platformList(scopeFromApiKey({ platforms: [Platform.CLAUDE, Platform.GEMINI], platformGroups: [] }))).toEqual([Platform.CLAUDE, Platform.GEMINI]);
  });

  it("sends every platform checked as the empty list, and a subset as itself", () => {
    expect(platformList(emptyPlatformScope())).toEqual([]);
    expect(platformList({ ...emptyPlatformScope(), platforms: ["gemini"] })).toEqual([Platform.GEMINI]);
    expect(platformList({ ...emptyPlatformScope(), platforms: ["openai"] })).toEqual([Platform.OPENAI]);
  });

  it("has no problem unless nothing is checked", () => {
    expect(platformScopeProblem(emptyPlatformScope())).toBeUndefined();
    expect(platformScopeProblem({ ...emptyPlatformScope(), platforms: [] })).toBe("apiKeyForm.platformsRequired");
  });
});

describe("per-platform groups", () => {
  it("sends the set groups of the allowed platforms, trimmed", () => {
    const scope = { platforms: ["claude" as const], platformGroups: { claude: " team-c ", gemini: "gem", openai: "oa" } };
    expect(platformGroupList(scope)).toEqual([{ platform: Platform.CLAUDE, group: "team-c" }]);
    expect(platformGroupList(emptyPlatformScope())).toEqual([]);
    expect(platformGroupList({ ...scope, platforms: ["openai"] })).toEqual([{ platform: Platform.OPENAI, group: "oa" }]);
  });

  it("reads a key's groups back by platform, ignoring unknown platforms", () => {
    const key = create(ApiKeySchema, {
      platformGroups: [
        { platform: Platform.GEMINI, group: "gem" },
        { platform: Platform.OPENAI, group: "oa" },
        { platform: 9 as Platform, group: "future" },
      ],
    });
    expect(scopeFromApiKey(key)).toEqual({ platforms: ["claude", "gemini", "openai"], platformGroups: { claude: "", gemini: "gem", openai: "oa" } });
  });
});

describe("platformScopeChanges", () => {
  const key = create(ApiKeySchema, {
    platforms: [Platform.CLAUDE, Platform.GEMINI, Platform.OPENAI],
    platformGroups: [{ platform: Platform.GEMINI, group: "gem" }],
  });

  it("sees no change in a key that names every platform explicitly, or in groups listed in another order", () => {
    expect(platformScopeChanges(scopeFromApiKey(key), key)).toEqual({});
  });

  it("replaces the list when a platform is unchecked, and the groups when one changes or is cleared", () => {
    const scope = scopeFromApiKey(key);
    expect(platformScopeChanges({ ...scope, platforms: ["gemini"] }, key)).toEqual({ platforms: { platforms: [Platform.GEMINI] } });
    expect(platformScopeChanges({ ...scope, platformGroups: { claude: "c", gemini: "gem", openai: "" } }, key)).toEqual({
      platformGroups: { groups: [{ platform: Platform.CLAUDE, group: "c" }, { platform: Platform.GEMINI, group: "gem" }] },
    });
    expect(platformScopeChanges({ ...scope, platformGroups: { claude: "", gemini: "", openai: "" } }, key)).toEqual({ platformGroups: { groups: [] } });
  });

  it("drops the group of a platform the key may no longer use", () => {
    const scope = scopeFromApiKey(key);
    expect(platformScopeChanges({ ...scope, platforms: ["claude"] }, key)).toEqual({
      platforms: { platforms: [Platform.CLAUDE] },
      platformGroups: { groups: [] },
    });
  });
});
