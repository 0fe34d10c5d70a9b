import { create } from "@bufbuild/protobuf";
import { ModelPriceSchema, Platform } from "@claude-relay/proto/admin";
import { describe, expect, it } from "vitest";
import { filterPrices, platformCounts } from "./price-filter.js";

const prices = [
  create(ModelPriceSchema, { model: "claude-sonnet-4-5", platform: Platform.CLAUDE }),
  create(ModelPriceSchema, { model: "gemini-2.5-pro", platform: Platform.GEMINI }),
  create(ModelPriceSchema, { model: "gpt-5", platform: Platform.OPENAI }),
  create(ModelPriceSchema, { model: "house-model" }),
];

describe("filterPrices", () => {
  it("finds models by a part of their name, in any case, and by platform", () => {
    expect(filterPrices(prices, " SONNET ", "all").map((p) => p.model)).toEqual(["claude-sonnet-4-5"]);
    expect(filterPrices(prices, "", "gemini").map((p) => p.model)).toEqual(["gemini-2.5-pro"]);
    expect(filterPrices(prices, "e", "openai").map((p) => p.model)).toEqual([]);
    expect(filterPrices(prices, "", "all")).toHaveLength(4);
  });

  it("counts each platform's prices", () => {
    expect(platformCounts(prices)).toEqual({ all: 4, claude: 1, gemini: 1, openai: 1 });
  });
});
