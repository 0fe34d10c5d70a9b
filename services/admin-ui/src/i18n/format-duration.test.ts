import { describe, expect, it } from "vitest";
import { durationParts, formatDuration } from "./format-duration.js";
import { createAppI18n } from "./index.js";

const en = createAppI18n("en").global.t;
const zh = createAppI18n("zh-CN").global.t;

describe("durationParts", () => {
  it("splits a span into days, hours, minutes and seconds", () => {
    expect(durationParts(((26 * 60 + 3) * 60 + 4) * 1000)).toEqual({ days: 1, hours: 2, minutes: 3, seconds: 4 });
  });

  it("rounds seconds up, so time left never reads as zero", () => {
    expect(durationParts(1)).toEqual({ days: 0, hours: 0, minutes: 0, seconds: 1 });
    expect(durationParts(59_001)).toEqual({ days: 0, hours: 0, minutes: 1, seconds: 0 });
  });

  it("reads a negative span as zero", () => {
    expect(durationParts(-5_000)).toEqual({ days: 0, hours: 0, minutes: 0, seconds: 0 });
  });
});

describe("formatDuration", () => {
  it("shows the two largest units in English", () => {
    expect(formatDuration(9_000, en)).toBe("9 s");
    expect(formatDuration(245_000, en)).toBe("4 min 5 s");
    expect(formatDuration(2 * 3_600_000 + 5 * 60_000, en)).toBe("2 h 5 min");
    expect(formatDuration(27 * 3_600_000, en)).toBe("1 d 3 h");
  });

  it("uses the Chinese units in zh-CN", () => {
    expect(formatDuration(245_000, zh)).toBe("4 分 5 秒");
    expect(formatDuration(27 * 3_600_000, zh)).toBe("1 天 3 小时");
  });
});
