import { describe, expect, it } from "vitest";
import {
  checkLimitSettings,
  checkPlatformSettings,
  limitFields,
  NO_LIMITS,
  normalizeClientPatterns,
  normalizePlatformSettings,
  parseLimitFields,
  parsePlatformFields,
  pickLimitSettings,
  platformFields,
} from "./key-settings.js";

describe("key limit settings", () => {
  it("accepts no limits and a full set of valid ones", () => {
    expect(checkLimitSettings(NO_LIMITS)).toBeUndefined();
    expect(
      checkLimitSettings({
        expireAfterFirstUseSeconds: 86_400,
        allowedClients: ["claude-cli/*"],
        rateWindowSeconds: 60,
        rateLimitRequests: 10,
        rateLimitTokens: 100_000,
        dailyCostLimitUsd: 5.5,
        totalCostLimitUsd: 100,
        weeklyOpusCostLimitUsd: 20,
      }),
    ).toBeUndefined();
  });

  it("names the setting that is wrong", () => {
    expect(checkLimitSettings({ rateLimitRequests: -1 })).toMatch(/^rateLimitRequests/);
    expect(checkLimitSettings({ expireAfterFirstUseSeconds: 1.5 })).toMatch(/^expireAfterFirstUseSeconds/);
    expect(checkLimitSettings({ dailyCostLimitUsd: Number.NaN })).toMatch(/^dailyCostLimitUsd/);
    expect(checkLimitSettings({ rateLimitTokens: 5 })).toMatch(/^rateWindowSeconds must be set/);
    expect(checkLimitSettings({ rateWindowSeconds: 32 * 24 * 3600 })).toMatch(/^rateWindowSeconds must be at most/);
    expect(checkLimitSettings({ allowedClients: ["x".repeat(201)] })).toMatch(/^allowedClients/);
  });

  it("round-trips through the record's hash fields, reading missing fields as no limit", () => {
    const settings = { ...NO_LIMITS, rateWindowSeconds: 60, rateLimitRequests: 3, dailyCostLimitUsd: 0.25, allowedClients: ["a/*"], firstUsedAtMs: 1_700_000_000_000 };
    const fields = limitFields(settings);
    expect(fields).toMatchObject({ rateWindowSeconds: "60", rateLimitRequests: "3", dailyCostLimitUsd: "0.25", allowedClients: '["a/*"]', firstUsedAtMs: "1700000000000" });
    expect(parseLimitFields(fields)).toEqual(settings);
    expect(parseLimitFields({})).toEqual({ ...NO_LIMITS, firstUsedAtMs: 0 });
    expect(parseLimitFields({ allowedClients: "not json" }).allowedClients).toEqual([]);
  });

  it("picks the settings out of a larger object and tidies client patterns", () => {
    expect(pickLimitSettings({ rateWindowSeconds: 5, name: "k" } as never)).toEqual({ rateWindowSeconds: 5 });
    expect(normalizeClientPatterns([" claude-cli/* ", "", "claude-cli/*", "curl/*"])).toEqual(["claude-cli/*", "curl/*"]);
  });
});

describe("key platform settings", () => {
  it("tidies platforms into a stable order and drops empty groups", () => {
    expect(normalizePlatformSettings({ platforms: ["gemini", "claude", "gemini"], platformGroups: { gemini: " g-team ", claude: "" } })).toEqual({
      platforms: ["claude", "gemini"],
      platformGroups: { gemini: "g-team" },
    });
    expect(normalizePlatformSettings({})).toEqual({ platforms: [], platformGroups: {} });
  });

  it("names what is wrong: a platform it does not know, or a bad group name", () => {
    expect(checkPlatformSettings({ platforms: ["claude", "gemini"], platformGroups: { gemini: "team.a:1" } })).toBeUndefined();
    expect(checkPlatformSettings(normalizePlatformSettings({ platforms: ["mistral"] }))).toMatch(/^platforms: "mistral" is not a platform/);
    expect(checkPlatformSettings({ platformGroups: { mistral: "x" } as never })).toMatch(/^platformGroups: "mistral" is not a platform/);
    expect(checkPlatformSettings({ platformGroups: { gemini: "no spaces" } })).toMatch(/^platformGroups.gemini must be/);
  });

  it("round-trips through the record's hash fields, reading a key made before platforms as every platform", () => {
    const settings = { platforms: ["gemini" as const], platformGroups: { gemini: "g-team" } };
    const fields = platformFields(settings);
    expect(fields).toEqual({ platforms: '["gemini"]', platformGroups: '{"gemini":"g-team"}' });
    expect(parsePlatformFields(fields)).toEqual(settings);
    expect(parsePlatformFields({})).toEqual({ platforms: [], platformGroups: {} });
    expect(parsePlatformFields({ platforms: "not json", platformGroups: "[1]" })).toEqual({ platforms: [], platformGroups: {} });
  });

  it("keeps a platform a newer version wrote in the list, so the key stays limited rather than widened", () => {
    expect(parsePlatformFields({ platforms: '["mistral"]' }).platforms).toEqual(["mistral"]);
  });
});
