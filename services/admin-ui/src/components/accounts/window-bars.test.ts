import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { RateLimitWindowSchema } from "@claude-relay/proto/admin";
import { describe, expect, it } from "vitest";
import { windowBars } from "./window-bars.js";

const window = (name: string, utilization?: number, status = "", resetMs?: number) =>
  create(RateLimitWindowSchema, {
    name,
    status,
    ...(utilization !== undefined && { utilization }),
    ...(resetMs !== undefined && { resetsAt: timestampFromMs(resetMs) }),
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
      { name: "unified", percent: undefined, level: "ok", status: "allowed", resetsAtMs: 5_000 },
    ]);
  });

  it("leaves out windows with neither a share nor a status", () => {
    expect(windowBars([window("unified"), window("5h", 0)])).toEqual([{ name: "5h", percent: 0, level: "ok", status: "", resetsAtMs: undefined }]);
  });
});
