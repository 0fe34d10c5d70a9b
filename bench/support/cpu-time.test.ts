import { describe, expect, it } from "vitest";
import { cpuMsFromStat } from "./cpu-time.js";

describe("cpuMsFromStat", () => {
  it("adds user and system ticks and turns them into milliseconds", () => {
    const stat = "4242 (node) S 1 4242 4242 0 -1 4194560 5000 0 0 0 250 37 0 0 20 0 11 0 100 1000 100";
    expect(cpuMsFromStat(stat)).toBe(2870);
  });

  it("reads the fields after a process name that holds spaces and parentheses", () => {
    const stat = "77 (my (odd) name) R 1 77 77 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 5 10 1";
    expect(cpuMsFromStat(stat)).toBe(70);
  });
});
