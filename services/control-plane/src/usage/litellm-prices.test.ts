import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { countSkipReasons, LiteLlmFormatError, parseLiteLlmPrices } from "./litellm-prices.js";

const fixture = readFileSync(new URL("./litellm-prices.fixture.json", import.meta.url), "utf8");

describe("parseLiteLlmPrices", () => {
  it("reads per-token costs as per-million prices under our model ids", () => {
    const { prices } = parseLiteLlmPrices(fixture);
    expect(prices).toEqual([
      // Claude: a 1-hour write the entry does not name costs twice the input price.
      { model: "claude-import-test-1", platform: "claude", price: { input: 3, output: 15, cacheWrite5m: 3.75, cacheWrite1h: 6, cacheRead: 0.3 } },
      {
        model: "gemini-import-test-pro",
        platform: "gemini",
        // No cache-write price: writes cost the input price, in the tier too; the tier keeps the cache read it does not name.
        price: {
          input: 1.25,
          output: 10,
          cacheWrite5m: 1.25,
          cacheWrite1h: 1.25,
          cacheRead: 0.3125,
          longPrompt: { aboveTokens: 200_000, input: 2.5, output: 15, cacheWrite5m: 2.5, cacheWrite1h: 2.5, cacheRead: 0.3125 },
        },
      },
      { model: "gpt-import-test-2", platform: "openai", price: { input: 1.25, output: 10, cacheWrite5m: 1.25, cacheWrite1h: 1.25, cacheRead: 0.125 } },
    ]);
  });

  it("skips what is not a chat model on a platform served here with a price, and entries listed twice", () => {
    const { skipped } = parseLiteLlmPrices(fixture);
    expect(skipped).toEqual([
      { name: "sample_spec", reason: "not a chat model" },
      { name: "anthropic/claude-import-test-1", reason: "listed twice" },
      { name: "text-embedding-3-small", reason: "not a chat model" },
      { name: "gpt-import-test-free", reason: "no price" },
      { name: "bedrock/anthropic.claude-import-test-1", reason: "not a platform served here" },
    ]);
    expect(countSkipReasons(skipped)).toEqual([
      { reason: "not a chat model", count: 2 },
      { reason: "listed twice", count: 1 },
      { reason: "no price", count: 1 },
      { reason: "not a platform served here", count: 1 },
    ]);
  });

  it("keeps the entry without a provider prefix when a model is listed twice, whichever comes first", () => {
    const doc = {
      "gemini/gemini-x": { mode: "chat", litellm_provider: "gemini", input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 },
      "gemini-x": { mode: "chat", litellm_provider: "vertex_ai-language-models", input_cost_per_token: 3e-6, output_cost_per_token: 4e-6 },
    };
    const { prices, skipped } = parseLiteLlmPrices(JSON.stringify(doc));
    expect(prices.map((p) => [p.model, p.price.input])).toEqual([["gemini-x", 3]]);
    expect(skipped).toEqual([{ name: "gemini/gemini-x", reason: "listed twice" }]);
  });

  it("reads the platform from the name when the entry names no provider, and refuses bad costs or disagreeing tiers", () => {
    const doc = {
      "Claude-Upper": { mode: "chat", input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 },
      "mystery-model": { mode: "chat", input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 },
      "claude-odd-provider": { mode: "chat", litellm_provider: "constructor", input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 },
      "claude-negative": { mode: "chat", litellm_provider: "anthropic", input_cost_per_token: -1e-6, output_cost_per_token: 2e-6 },
      "claude-text": { mode: "chat", litellm_provider: "anthropic", input_cost_per_token: "cheap", output_cost_per_token: 2e-6 },
      "gemini-tiers": {
        mode: "chat",
        litellm_provider: "gemini",
        input_cost_per_token: 1e-6,
        output_cost_per_token: 2e-6,
        input_cost_per_token_above_128k_tokens: 2e-6,
        output_cost_per_token_above_200k_tokens: 4e-6,
      },
    };
    const { prices, skipped } = parseLiteLlmPrices(JSON.stringify(doc));
    expect(prices.map((p) => [p.model, p.platform])).toEqual([["claude-upper", "claude"]]);
    expect(skipped.map((s) => [s.name, s.reason])).toEqual([
      ["mystery-model", "not a platform served here"],
      ["claude-odd-provider", "not a platform served here"],
      ["claude-negative", "not a valid price"],
      ["claude-text", "not a valid price"],
      ["gemini-tiers", "not a valid price"],
    ]);
  });

  it("refuses a document that is not a JSON object", () => {
    expect(() => parseLiteLlmPrices("{not json")).toThrow(LiteLlmFormatError);
    expect(() => parseLiteLlmPrices("[1, 2]")).toThrow(/JSON object/);
    expect(() => parseLiteLlmPrices("null")).toThrow(/JSON object/);
  });
});
