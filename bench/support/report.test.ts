import { describe, expect, it } from "vitest";
import { formatNumber, formatResultLine, formatTable } from "./report.js";

describe("formatNumber", () => {
  it("keeps at most three decimals and drops trailing zeros", () => {
    expect(formatNumber(0.27049)).toBe("0.27");
    expect(formatNumber(15.5)).toBe("15.5");
    expect(formatNumber(2)).toBe("2");
    expect(formatNumber(1234.5678)).toBe("1234.568");
  });

  it("prints a negative zero as zero and a missing figure as n/a", () => {
    expect(formatNumber(-0.0001)).toBe("0");
    expect(formatNumber(Number.NaN)).toBe("n/a");
  });
});

describe("formatResultLine", () => {
  it("prints the fields in order as name=value with nan for unmeasured figures", () => {
    expect(formatResultLine({ added_p50_ms: 0.31234, throughput_ratio: 0.5, errors: 0, mem_per_stream_kb: Number.NaN })).toBe(
      "RESULT added_p50_ms=0.312 throughput_ratio=0.5 errors=0 mem_per_stream_kb=nan",
    );
  });
});

describe("formatTable", () => {
  it("left-aligns the label columns it is told about", () => {
    const table = formatTable(["target", "scenario", "req/s"], [["relay", "json c=1", 3], ["relay", "sse c=64", 12.5]], 2);
    expect(table.split("\n").slice(2)).toEqual(["relay   json c=1      3", "relay   sse c=64   12.5"]);
  });

  it("pads labels to the left and figures to the right under a rule", () => {
    const table = formatTable(["target", "req/s"], [["baseline", 1234.5], ["relay", 7]]);
    expect(table.split("\n")).toEqual(["target     req/s", "--------  ------", "baseline  1234.5", "relay          7"]);
  });
});
