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

describe("Gemini prices", () => {
  it("come with the Claude ones, each table with its own notice", () => {
    expect(table.source).toMatch(/Anthropic API list prices/);
    expect(table.source).toMatch(/Gemini list prices/);
    // gemini-2.5-flash: $0.30 in, $2.50 out, $0.03 cache read; no cache writes are reported, so they cost the input price.
    expect(table.models.get("gemini-2.5-flash")).toEqual({ input: 300, output: 2500, cacheWrite5m: 300, cacheWrite1h: 300, cacheRead: 30 });
    expect(table.models.get("gemini-2.5-pro")).toEqual({
      input: 1250,
      output: 10000,
      cacheWrite5m: 1250,
      cacheWrite1h: 1250,
      cacheRead: 125,
      longPrompt: { aboveTokens: 200_000, input: 2500, output: 15000, cacheWrite5m: 2500, cacheWrite1h: 2500, cacheRead: 250 },
    });
  });

  it.each([
    // 100k in + 50k cached = a 150k prompt: 100,000 × $1.25 + 2,000 × $10 + 50,000 × $0.125 = $0.15125.
    { case: "a prompt under 200k at the base rates", input: 100_000, cacheRead: 50_000, output: 2_000, reasoning: 1_500, nanos: 151_250_000 },
    // Exactly 200k does not exceed it.
    { case: "a prompt of exactly 200k at the base rates", input: 150_000, cacheRead: 50_000, output: 0, reasoning: 0, nanos: 193_750_000 },
    // 150k in + 60k cached = 210k: every token at the long-prompt rates, 150,000 × $2.50 + 2,000 × $15 + 60,000 × $0.25 = $0.42.
    { case: "a prompt over 200k (cache reads counted) at the long-prompt rates", input: 150_000, cacheRead: 60_000, output: 2_000, reasoning: 1_500, nanos: 420_000_000 },
  ])("prices $case, thoughts as part of the output", ({ input, cacheRead, output, reasoning, nanos }) => {
    const tokens = { ...none, inputTokens: input, cacheReadInputTokens: cacheRead, outputTokens: output, reasoningTokens: reasoning };
    expect(priceRequest(table, "gemini-2.5-pro", tokens)).toEqual({ priced: true, pricedAs: "gemini-2.5-pro", nanos });
  });

  it("counts thinking tokens once: the same output costs the same with or without a reasoning count", () => {
    const tokens = { ...none, inputTokens: 1_000, outputTokens: 4_000 };
    const withThoughts = priceRequest(table, "gemini-2.5-flash", { ...tokens, reasoningTokens: 3_500 });
    // 1,000 × $0.30 + 4,000 × $2.50 = $0.0103.
    expect(withThoughts).toMatchObject({ nanos: 10_300_000 });
    expect(priceRequest(table, "gemini-2.5-flash", tokens)).toEqual(withThoughts);
  });

  it("counts cache writes into the prompt that selects the tier", () => {
    const justOver = { ...none, inputTokens: 199_000, cacheCreationInputTokens: 1_001 };
    // 199,000 × $2.50 + 1,001 writes at the tier's input price $2.50.
    expect(priceRequest(table, "gemini-2.5-pro", justOver)).toMatchObject({ nanos: 500_002_500 });
  });

  it("keeps a price finer than a thousandth of a dollar per million, rounding once per request", () => {
    // gemini-2.5-flash-preview-04-17 reads cache at $0.0375 per million: 37.5 nano-dollars a token.
    expect(table.models.get("gemini-2.5-flash-preview-04-17")?.cacheRead).toBe(37.5);
    expect(priceRequest(table, "gemini-2.5-flash-preview-04-17", { ...none, cacheReadInputTokens: 2 })).toMatchObject({ nanos: 75 });
    expect(priceRequest(table, "gemini-2.5-flash-preview-04-17", { ...none, cacheReadInputTokens: 3 })).toMatchObject({ nanos: 113 });
  });

  it("matches Gemini ids with a models/ prefix or a version suffix, and leaves an unlisted one unpriced", () => {
    expect(findPricedModel(table, "models/gemini-2.5-pro")).toBe("gemini-2.5-pro");
    expect(findPricedModel(table, "gemini-2.5-flash-lite-001")).toBe("gemini-2.5-flash-lite");
    expect(findPricedModel(table, "gemini-3-pro-preview")).toBe("gemini-3-pro-preview");
    expect(priceRequest(table, "gemini-1.5-pro", { ...none, inputTokens: 100 })).toEqual({ priced: false });
  });

  it("reads a table kept as published, and refuses a model whose tiers disagree", () => {
    const published = parsePriceTable({ _about: "as published", models: { g: { input: 1, output: 2, cache_read: 0.1, input_above_128k: 2 } } }, { missingCacheWrite: "input" });
    expect(published.source).toBe("as published");
    expect(published.models.get("g")?.longPrompt).toEqual({ aboveTokens: 128_000, input: 2000, output: 2000, cacheWrite5m: 2000, cacheWrite1h: 2000, cacheRead: 100 });
    expect(() => parsePriceTable({ source: "s", models: { g: { input: 1, output: 2, cache_read: 0.1, input_above_200k: 2, output_above_128k: 3 } } }, { missingCacheWrite: "input" })).toThrow(
      /same N/,
    );
  });
});

describe("OpenAI prices", () => {
  it("come with the others under their own notice, cached input at its own price and no cache writes", () => {
    expect(table.source).toMatch(/OpenAI list prices/);
    // gpt-5: $1.25 in, $10 out, $0.125 cached input per million; OpenAI reports no cache writes.
    expect(table.models.get("gpt-5")).toEqual({ input: 1250, output: 10000, cacheWrite5m: 1250, cacheWrite1h: 1250, cacheRead: 125 });
    // gpt-5-pro lists no cached-input price: cached tokens cost the input price.
    expect(table.models.get("gpt-5-pro")).toMatchObject({ input: 15000, cacheRead: 15000 });
  });

  it("prices usage as the relay reports it: input without the cached tokens, output with the reasoning ones", () => {
    // A Responses answer with input_tokens 12,000 of which 8,000 cached, output_tokens 3,000 of which 2,500 reasoning
    // reaches Release as input 4,000, cache reads 8,000, output 3,000 (reasoning 2,500).
    const tokens = { ...none, inputTokens: 4_000, cacheReadInputTokens: 8_000, outputTokens: 3_000, reasoningTokens: 2_500 };
    // 4,000 × $1.25 + 8,000 × $0.125 + 3,000 × $10 = $0.036.
    expect(priceRequest(table, "gpt-5-codex", tokens)).toEqual({ priced: true, pricedAs: "gpt-5-codex", nanos: 36_000_000 });
    expect(priceRequest(table, "gpt-5-codex", { ...tokens, reasoningTokens: 0 })).toMatchObject({ nanos: 36_000_000 });
    // o3-pro has no cached-input price: 4,000 × $20 + 8,000 × $20 + 3,000 × $80 = $0.48.
    expect(priceRequest(table, "o3-pro", tokens)).toMatchObject({ nanos: 480_000_000 });
  });

  it("finds a model by its exact id first, then by its dated id's base, and leaves an unlisted one unpriced", () => {
    expect(findPricedModel(table, "gpt-4o-2024-05-13")).toBe("gpt-4o-2024-05-13");
    expect(findPricedModel(table, "gpt-4o-2024-12-01")).toBe("gpt-4o");
    expect(findPricedModel(table, "gpt-5.1-codex-mini")).toBe("gpt-5.1-codex-mini");
    expect(findPricedModel(table, "o4-mini-2025-04-16")).toBe("o4-mini-2025-04-16");
    expect(findPricedModel(table, "gpt-5.2-2026-01-15")).toBe("gpt-5.2");
    expect(findPricedModel(table, "gpt-5.4")).toBeUndefined();
    expect(priceRequest(table, "chatgpt-4o-latest", { ...none, inputTokens: 1 })).toEqual({ priced: false });
  });

  it("reads cache_read as the input price only when asked to", () => {
    const entry = { models: { m: { input: 2, output: 8 } }, _about: "s" };
    expect(parsePriceTable(entry, { missingCacheWrite: "input", missingCacheRead: "input" }).models.get("m")).toMatchObject({ cacheRead: 2000 });
    expect(() => parsePriceTable(entry, { missingCacheWrite: "input" })).toThrow(/m.cache_read/);
  });
});

describe("isOpusModel", () => {
  it("tells Opus models from the others", () => {
    expect(isOpusModel("claude-opus-4-1-20250805")).toBe(true);
    expect(isOpusModel("claude-3-opus-latest")).toBe(true);
    expect(isOpusModel("claude-sonnet-4-5")).toBe(false);
  });
});
