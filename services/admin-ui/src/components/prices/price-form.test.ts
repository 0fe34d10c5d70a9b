import { create } from "@bufbuild/protobuf";
import { ModelPriceSchema } from "@claude-relay/proto/admin";
import { describe, expect, it } from "vitest";
import { emptyPriceForm, formFromPrice, parseRate, toSetPriceRequest, type PriceFormState } from "./price-form.js";

const filled = (): PriceFormState => ({
  ...emptyPriceForm(),
  model: " claude-sonnet-9 ",
  rates: { input: "3", output: "15", cacheWriteFiveMinutes: "3.75", cacheWriteOneHour: "6", cacheRead: "0.3" },
});

describe("toSetPriceRequest", () => {
  it("sends the model trimmed and the rates as numbers, with no tier unless asked", () => {
    expect(toSetPriceRequest(filled())).toEqual({
      ok: true,
      request: { model: "claude-sonnet-9", rates: { input: 3, output: 15, cacheWriteFiveMinutes: 3.75, cacheWriteOneHour: 6, cacheRead: 0.3 } },
    });
  });

  it("sends the long-prompt tier with its threshold", () => {
    const form = { ...filled(), longPrompt: true, aboveTokens: "200000", longRates: { input: "6", output: "22.5", cacheWriteFiveMinutes: "7.5", cacheWriteOneHour: "12", cacheRead: ".6" } };
    const result = toSetPriceRequest(form);
    expect(result.ok && result.request.longPrompt).toEqual({ aboveTokens: 200_000n, rates: { input: 6, output: 22.5, cacheWriteFiveMinutes: 7.5, cacheWriteOneHour: 12, cacheRead: 0.6 } });
  });

  it.each([
    [{ model: "  " }, "modelRequired"],
    [{ rates: { ...filled().rates, output: "" } }, "rateInvalid"],
    [{ rates: { ...filled().rates, cacheRead: "-0.3" } }, "rateInvalid"],
    [{ rates: { ...filled().rates, input: "three" } }, "rateInvalid"],
    [{ longPrompt: true, aboveTokens: "0" }, "aboveTokensInvalid"],
    [{ longPrompt: true, aboveTokens: "200k" }, "aboveTokensInvalid"],
    [{ longPrompt: true, aboveTokens: "200000" }, "rateInvalid"],
  ] as const)("refuses %j: %s", (change, problem) => {
    expect(toSetPriceRequest({ ...filled(), ...change })).toEqual({ ok: false, problem });
  });
});

describe("the form's values", () => {
  it("reads rates as typed: decimals yes, blanks, signs and words no", () => {
    expect(parseRate(" 0.0375 ")).toBe(0.0375);
    expect(parseRate("0")).toBe(0);
    expect(parseRate("")).toBeUndefined();
    expect(parseRate("-1")).toBeUndefined();
    expect(parseRate("1e3")).toBeUndefined();
  });

  it("fills in from a price, its tier included, and starts blank otherwise", () => {
    const price = create(ModelPriceSchema, {
      model: "gemini-2.5-pro",
      rates: { input: 1.25, output: 10, cacheWriteFiveMinutes: 1.25, cacheWriteOneHour: 1.25, cacheRead: 0.125 },
      longPrompt: { aboveTokens: 200_000n, rates: { input: 2.5, output: 15, cacheWriteFiveMinutes: 2.5, cacheWriteOneHour: 2.5, cacheRead: 0.25 } },
    });
    const form = formFromPrice(price);
    expect(form).toMatchObject({ model: "gemini-2.5-pro", longPrompt: true, aboveTokens: "200000" });
    expect(form.rates).toEqual({ input: "1.25", output: "10", cacheWriteFiveMinutes: "1.25", cacheWriteOneHour: "1.25", cacheRead: "0.125" });
    expect(form.longRates.cacheRead).toBe("0.25");
    expect(emptyPriceForm()).toMatchObject({ model: "", longPrompt: false, rates: { input: "" } });
  });
});
