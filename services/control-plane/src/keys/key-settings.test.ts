import { describe, expect, it } from "vitest";
import { checkLimitSettings, limitFields, NO_LIMITS, normalizeClientPatterns, parseLimitFields, pickLimitSettings } from "./key-settings.js";

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
