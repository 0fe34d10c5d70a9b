import { describe, expect, it } from "vitest";
import { loadPriceTable, loadShippedTables } from "./pricing.js";
import { modelIdProblem, normalizeModelId, priceProblem, shippedPrices, toModelPrice, toUsdPrice } from "./price-record.js";

const rates = { input: 3, output: 15, cacheWrite5m: 3.75, cacheWrite1h: 6, cacheRead: 0.3 };

describe("prices in dollars per million tokens", () => {
  it("convert to the nano-dollar rates requests are priced with, and back", () => {
    expect(toModelPrice(rates)).toEqual({ input: 3000, output: 15000, cacheWrite5m: 3750, cacheWrite1h: 6000, cacheRead: 300 });
    const tiered = { ...rates, longPrompt: { aboveTokens: 200_000, input: 6, output: 22.5, cacheWrite5m: 7.5, cacheWrite1h: 12, cacheRead: 0.0375 } };
    expect(toModelPrice(tiered).longPrompt).toEqual({ aboveTokens: 200_000, input: 6000, output: 22500, cacheWrite5m: 7500, cacheWrite1h: 12000, cacheRead: 37.5 });
    expect(toUsdPrice(toModelPrice(tiered))).toEqual(tiered);
  });

  it("give every shipped model back exactly as the shipped tables price it", () => {
    const table = loadPriceTable();
    const shipped = shippedPrices(loadShippedTables());
    expect(shipped.size).toBe(table.models.size);
    for (const [model, price] of table.models) expect(toModelPrice(shipped.get(model)!.price)).toEqual(price);
    expect(shipped.get("claude-sonnet-4-5")).toEqual({ platform: "claude", price: rates });
    expect(shipped.get("gemini-2.5-pro")?.platform).toBe("gemini");
    expect(shipped.get("gemini-2.5-pro")?.price.longPrompt).toMatchObject({ aboveTokens: 200_000, input: 2.5, output: 15 });
    expect(shipped.get("gpt-5")?.platform).toBe("openai");
  });
});

describe("priceProblem", () => {
  it.each([
    [{ ...rates, input: -1 }, "rates.input"],
    [{ ...rates, output: Number.NaN }, "rates.output"],
    [{ ...rates, cacheWrite1h: Number.POSITIVE_INFINITY }, "rates.cache_write_one_hour"],
    [{ ...rates, cacheRead: 100_001 }, "rates.cache_read"],
    [{ ...rates, longPrompt: { ...rates, aboveTokens: 0 } }, "long_prompt.above_tokens"],
    [{ ...rates, longPrompt: { ...rates, aboveTokens: 1.5 } }, "long_prompt.above_tokens"],
    [{ ...rates, longPrompt: { ...rates, aboveTokens: 200_000, cacheWrite5m: -0.1 } }, "long_prompt.rates.cache_write_five_minutes"],
  ])("names the field of %j", (price, field) => {
    expect(priceProblem(price)?.field).toBe(field);
  });

  it("accepts free models and long-prompt tiers", () => {
    expect(priceProblem({ input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 })).toBeUndefined();
    expect(priceProblem({ ...rates, longPrompt: { ...rates, aboveTokens: 128_000 } })).toBeUndefined();
  });
});

describe("model ids", () => {
  it("are kept trimmed and in lower case, without a provider prefix", () => {
    expect(normalizeModelId(" Claude-Sonnet-9 ")).toBe("claude-sonnet-9");
    expect(modelIdProblem("claude-sonnet-9")).toBeUndefined();
    expect(modelIdProblem("ft:gpt-4o:acme::x1")).toBeUndefined();
    expect(modelIdProblem("")).toMatch(/empty/);
    expect(modelIdProblem("anthropic/claude-sonnet-9")).toMatch(/only letters/);
    expect(modelIdProblem("x".repeat(129))).toMatch(/at most 128/);
  });
});
