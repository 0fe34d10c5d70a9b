import { describe, expect, it } from "vitest";
import { formatCompact, formatCount, formatUsd } from "./format-number.js";

describe("formatUsd", () => {
  it("shows cents from a dollar up and up to four decimals below, so small spends are not $0.00", () => {
    expect(formatUsd(12.5, "en")).toBe("$12.50");
    expect(formatUsd(0.0042, "en")).toBe("$0.0042");
    expect(formatUsd(0.1, "en")).toBe("$0.10");
    expect(formatUsd(0, "en")).toBe("$0.00");
  });

  it("follows the page's language", () => {
    expect(formatUsd(3, "zh-CN")).toBe("US$3.00");
  });
});

describe("counts", () => {
  it("groups whole counts and takes bigints", () => {
    expect(formatCount(12_345, "en")).toBe("12,345");
    expect(formatCount(7n, "en")).toBe("7");
  });

  it("shortens large counts only", () => {
    expect(formatCompact(9_999, "en")).toBe("9,999");
    expect(formatCompact(12_500, "en")).toBe("12.5K");
    expect(formatCompact(3_400_000n, "en")).toBe("3.4M");
    expect(formatCompact(12_500, "zh-CN")).toBe("1.3万");
  });
});
