import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { RateLimitWindowSchema } from "@claude-relay/proto/admin";
import { describe, expect, it } from "vitest";
import { windowBars, windowLength } from "./window-bars.js";

const window = (name: string, utilization?: number, status = "", resetMs?: number, windowMinutes?: number) =>
  create(RateLimitWindowSchema, {
    name,
    status,
    ...(utilization !== undefined && { utilization }),
    ...(resetMs !== undefined && { resetsAt: timestampFromMs(resetMs) }),
    ...(windowMinutes !== undefined && { windowMinutes }),
  });

describe("windowBars", () => {
  it("turns each window's share into a whole percent with the concurrency bar's levels", () => {
    const bars = windowBars([window("5h", 0.123), window("7d", 0.8), window("7d_opus", 1)]);
    expect(bars.map((b) => [b.name, b.percent, b.level])).toEqual([
      ["5h", 12, "ok"],
      ["7d", 80, "warn"],
      ["7d_opus", 100, "full"],
    ]);
  });

  it("lets the upstream's status raise the level but never lower it", () => {
    expect(windowBars([window("5h", 0.1, "rejected")])[0]?.level).toBe("full");
    expect(windowBars([window("5h", 0.1, "allowed_warning")])[0]?.level).toBe("warn");
    expect(windowBars([window("5h", 0.95, "allowed")])[0]?.level).toBe("warn");
  });

  it("keeps a window that has only a status, without a percent", () => {
    expect(windowBars([window("unified", undefined, "allowed", 5_000)])).toEqual([
      { name: "unified", length: undefined, percent: undefined, level: "ok", status: "allowed", resetsAtMs: 5_000 },
    ]);
  });

  it("leaves out windows with neither a share nor a status", () => {
    expect(windowBars([window("unified"), window("5h", 0)])).toEqual([{ name: "5h", length: undefined, percent: 0, level: "ok", status: "", resetsAtMs: undefined }]);
  });
});

describe("Codex windows", () => {
  it("keeps the primary and secondary windows with their share, length and reset", () => {
    const bars = windowBars([window("primary", 0.25, "", 9_000, 300), window("secondary", 0.91, "", 99_000, 10_080)]);
    expect(bars).toEqual([
      { name: "primary", length: "5h", percent: 25, level: "ok", status: "", resetsAtMs: 9_000 },
      { name: "secondary", length: "7d", percent: 91, level: "warn", status: "", resetsAtMs: 99_000 },
    ]);
  });

  it("leaves the length unset when the upstream did not send one", () => {
    expect(windowBars([window("primary", 0.5)])[0]?.length).toBeUndefined();
    expect(windowBars([window("primary", 0.5, "", undefined, 0)])[0]?.length).toBeUndefined();
  });
});

describe("windowLength", () => {
  it.each([
    [300, "5h"],
    [10_080, "7d"],
    [1_440, "1d"],
    [60, "1h"],
    [90, "90m"],
    [2_880 + 60, "49h"],
    [45, "45m"],
  ])("writes %i minutes as %s", (minutes, text) => {
    expect(windowLength(minutes)).toBe(text);
  });
});
