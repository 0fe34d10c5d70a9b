import { describe, expect, it } from "vitest";
import { nearestRank, summarizeWaits } from "./wait-stats.js";

describe("nearestRank", () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it("picks the value at rank ⌈p × n⌉, never an interpolation", () => {
    expect(nearestRank(hundred, 50)).toBe(50);
    expect(nearestRank(hundred, 90)).toBe(90);
    expect(nearestRank(hundred, 99)).toBe(99);
    expect(nearestRank(hundred, 100)).toBe(100);
    // The classic example: 15, 20, 35, 40, 50 → p30 is 20, p40 is 20, p50 is 35.
    expect([30, 40, 50, 100].map((p) => nearestRank([15, 20, 35, 40, 50], p))).toEqual([20, 20, 35, 50]);
  });

  it("gives the only value for one, the first for a tiny percent, and nothing for none", () => {
    expect(nearestRank([7], 50)).toBe(7);
    expect(nearestRank([7], 99)).toBe(7);
    expect(nearestRank([1, 2, 3], 0.001)).toBe(1);
    expect(nearestRank([], 50)).toBeUndefined();
  });
});

describe("summarizeWaits", () => {
  it("sorts the times itself and reports count, p50, p90, p99 and max", () => {
    const times = [900, 100, 500, 300, 700, 200, 400, 600, 800, 1_000];
    expect(summarizeWaits(times)).toEqual({ count: 10, p50Ms: 500, p90Ms: 900, p99Ms: 1_000, maxMs: 1_000 });
    expect(times[0]).toBe(900);
  });

  it("makes every percentile of few waits the longest once the rank reaches it", () => {
    expect(summarizeWaits([40, 10])).toEqual({ count: 2, p50Ms: 10, p90Ms: 40, p99Ms: 40, maxMs: 40 });
  });

  it("has nothing to say about no waits", () => {
    expect(summarizeWaits([])).toBeUndefined();
  });
});
