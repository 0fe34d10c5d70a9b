import { describe, expect, it } from "vitest";
import { readPriceImport } from "./price-import.js";

describe("readPriceImport", () => {
  it("takes a JSON object of model entries, trimmed, and counts them", () => {
    const text = ` {"claude-x": {"mode": "chat", "input_cost_per_token": 3e-6, "output_cost_per_token": 1.5e-5}, "sample_spec": {}}\n`;
    expect(readPriceImport(text)).toEqual({ ok: true, json: text.trim(), entries: 2 });
  });

  it.each([
    ["", "importEmpty"],
    ["   \n", "importEmpty"],
    ["{ not json", "importNotJson"],
    ["[1, 2]", "importNotObject"],
    ["null", "importNotObject"],
    ['"text"', "importNotObject"],
  ])("refuses %j: %s", (text, problem) => {
    expect(readPriceImport(text)).toEqual({ ok: false, problem });
  });
});
