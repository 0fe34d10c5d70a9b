import { describe, expect, it } from "vitest";
import { median, percentile, summarize } from "./stats.js";

describe("percentile", () => {
  it("returns a sample that exists, by nearest rank", () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile(sorted, 0)).toBe(1);
  });

  it("returns NaN when there are no samples", () => {
    expect(percentile([], 50)).toBeNaN();
  });
});

describe("summarize", () => {
  it("sorts numerically, not as text", () => {
    const summary = summarize([10, 9, 100, 2, 1]);
    expect(summary).toMatchObject({ count: 5, p50: 9, max: 100, p99: 100 });
    expect(summary.mean).toBeCloseTo(24.4);
  });

  it("gives a p99 from the slow tail when more than one request in a hundred is slow", () => {
    const samples = [...Array.from({ length: 197 }, () => 1), 50, 60, 70];
    expect(summarize(samples).p99).toBe(50);
    expect(summarize(samples).p50).toBe(1);
  });
});

describe("median", () => {
  it("takes the middle of unsorted samples", () => {
    expect(median([30, 10, 20])).toBe(20);
  });
});
