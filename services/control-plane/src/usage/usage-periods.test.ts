import { describe, expect, it } from "vitest";
import { dayOf, daysBetween, hourOf, hoursOf, msUntilDayEnd, msUntilWeekEnd, parseDay, weekStartOf } from "./usage-periods.js";

// Wednesday 2025-01-15, 13:45:30.250 UTC.
const WEDNESDAY = Date.parse("2025-01-15T13:45:30.250Z");

describe("usage periods", () => {
  it("names the UTC day and hour of a time", () => {
    expect(dayOf(WEDNESDAY)).toBe("2025-01-15");
    expect(hourOf(WEDNESDAY)).toBe("2025-01-15T13");
  });

  it("starts weeks on Monday, UTC", () => {
    expect(weekStartOf(WEDNESDAY)).toBe("2025-01-13");
    expect(weekStartOf(Date.parse("2025-01-13T00:00:00Z"))).toBe("2025-01-13");
    expect(weekStartOf(Date.parse("2025-01-19T23:59:59Z"))).toBe("2025-01-13");
    expect(weekStartOf(Date.parse("2025-01-20T00:00:00Z"))).toBe("2025-01-20");
  });

  it("counts the time left in the day and in the week", () => {
    expect(msUntilDayEnd(WEDNESDAY)).toBe(Date.parse("2025-01-16T00:00:00Z") - WEDNESDAY);
    expect(msUntilDayEnd(Date.parse("2025-01-16T00:00:00Z"))).toBe(86_400_000);
    expect(msUntilWeekEnd(WEDNESDAY)).toBe(Date.parse("2025-01-20T00:00:00Z") - WEDNESDAY);
  });

  it("parses real days only", () => {
    expect(parseDay("2025-01-15")).toBe(Date.parse("2025-01-15T00:00:00Z"));
    expect(parseDay("2025-02-30")).toBeUndefined();
    expect(parseDay("2025-1-5")).toBeUndefined();
    expect(parseDay("yesterday")).toBeUndefined();
  });

  it("lists the days of a range and the hours of a day", () => {
    expect(daysBetween("2024-12-30", "2025-01-02")).toEqual(["2024-12-30", "2024-12-31", "2025-01-01", "2025-01-02"]);
    expect(daysBetween("2025-01-02", "2025-01-01")).toEqual([]);
    const hours = hoursOf("2025-01-15");
    expect(hours).toHaveLength(24);
    expect([hours[0], hours[23]]).toEqual(["2025-01-15T00", "2025-01-15T23"]);
  });
});
