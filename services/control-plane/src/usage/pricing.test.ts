import { describe, expect, it } from "vitest";
import { costNanos, findPricedModel, isOpusModel, loadPriceTable, nanosToUsd, parsePriceTable, PriceTableError, priceRequest } from "./pricing.js";

const table = loadPriceTable();
const none = { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };

describe("the price table", () => {
  it("names where its figures come from and prices every listed model in nano-dollars per token", () => {
    expect(table.source).toMatch(/LiteLLM/);
    expect(table.models.size).toBeGreaterThan(20);
    // claude-sonnet-4-5: $3 in, $15 out, $3.75 5-minute write, $0.30 read per million; a 1-hour write is 2x input.
    expect(table.models.get("claude-sonnet-4-5")).toEqual({ input: 3000, output: 15000, cacheWrite5m: 3750, cacheWrite1h: 6000, cacheRead: 300 });
    expect(table.models.get("claude-3-haiku-20240307")).toEqual({ input: 250, output: 1250, cacheWrite5m: 300, cacheWrite1h: 500, cacheRead: 30 });
  });

  it("refuses a table without a source or with a bad price", () => {
    expect(() => parsePriceTable({ models: {} })).toThrow(PriceTableError);
    expect(() => parsePriceTable({ source: "s", models: { m: { input: -1, output: 1, cache_write_5m: 1, cache_read: 1 } } })).toThrow(/m.input/);
    expect(() => parsePriceTable({ source: "s", models: { m: { input: 1, output: 1, cache_read: 1 } } })).toThrow(/cache_write_5m/);
  });
});

describe("priceRequest", () => {
  it("adds input, output, cache writes and cache reads at their own prices", () => {
    const tokens = { inputTokens: 1_000, outputTokens: 500, cacheCreationInputTokens: 2_000, cacheReadInputTokens: 10_000 };
    // 1000 × $3 + 500 × $15 + 2000 × $3.75 + 10000 × $0.30 = $21,000 per million = $0.021.
    const cost = priceRequest(table, "claude-sonnet-4-5", tokens);
    expect(cost).toEqual({ priced: true, pricedAs: "claude-sonnet-4-5", nanos: 21_000_000 });
    expect(nanosToUsd(21_000_000)).toBeCloseTo(0.021, 12);
  });

  it("prices 1-hour cache writes at twice the input price and the rest at the 5-minute price", () => {
    const tokens = { inputTokens: 1_000, outputTokens: 500, cacheCreationInputTokens: 2_000, cacheReadInputTokens: 10_000, cacheCreation1hInputTokens: 800 };
    // 1200 × $3.75 + 800 × $6 = $9,300 per million in place of 2000 × $3.75 = $7,500.
    expect(priceRequest(table, "claude-sonnet-4-5", tokens)).toMatchObject({ nanos: 22_800_000 });
    // More 1-hour writes than writes is read as all of them.
    expect(costNanos(table.models.get("claude-sonnet-4-5")!, { ...none, cacheCreationInputTokens: 10, cacheCreation1hInputTokens: 50 })).toBe(60_000);
  });

  it("keeps sub-cent prices exact", () => {
    // claude-3-haiku: one cache read is $0.03 per million = 30 nano-dollars; 7 inputs at $0.25 = 1750.
    expect(priceRequest(table, "claude-3-haiku-20240307", { ...none, inputTokens: 7, cacheReadInputTokens: 1 })).toMatchObject({ nanos: 1_780 });
    expect(priceRequest(table, "claude-opus-4-1", { ...none, outputTokens: 3 })).toMatchObject({ nanos: 225_000 });
  });

  it("reports a model without a price as unpriced instead of guessing", () => {
    expect(priceRequest(table, "claude-sonnet-9", { ...none, inputTokens: 100 })).toEqual({ priced: false });
    expect(priceRequest(table, "", { ...none, inputTokens: 100 })).toEqual({ priced: false });
  });
});

describe("findPricedModel", () => {
  it("matches dated, versioned and provider-prefixed ids to their longest listed prefix", () => {
    expect(findPricedModel(table, "claude-sonnet-4-5-20250929")).toBe("claude-sonnet-4-5-20250929");
    expect(findPricedModel(table, "claude-opus-4-6-20270101")).toBe("claude-opus-4-6");
    expect(findPricedModel(table, "claude-opus-4-6-thinking")).toBe("claude-opus-4-6-thinking");
    expect(findPricedModel(table, "claude-sonnet-4-5@20250929")).toBe("claude-sonnet-4-5");
    expect(findPricedModel(table, "us.anthropic.claude-sonnet-4-5-20250929-v1:0")).toBe("claude-sonnet-4-5-20250929");
    expect(findPricedModel(table, "anthropic/claude-haiku-4-5")).toBe("claude-haiku-4-5");
    expect(findPricedModel(table, " Claude-Haiku-4-5 ")).toBe("claude-haiku-4-5");
  });

  it("does not take a longer version number for a shorter one", () => {
    expect(findPricedModel(table, "claude-opus-4-10")).toBeUndefined();
    expect(findPricedModel(table, "claude-sonnet-4-50")).toBeUndefined();
  });
});

describe("isOpusModel", () => {
  it("tells Opus models from the others", () => {
    expect(isOpusModel("claude-opus-4-1-20250805")).toBe(true);
    expect(isOpusModel("claude-3-opus-latest")).toBe(true);
    expect(isOpusModel("claude-sonnet-4-5")).toBe(false);
  });
});
