import { describe, expect, it } from "vitest";
import type { AccountCondition } from "../accounts/account-health.js";
import { createLastReads } from "./last-reads.js";

const limited: AccountCondition = { health: { status: "rate_limited", reason: "429", untilMs: 5_000 }, probeInFlight: false, windows: [] };

describe("createLastReads", () => {
  it("replaces what it knew of the accounts read, and only of those", () => {
    const reads = createLastReads();
    reads.remember({ readAtMs: 100, accountIds: ["a", "b"], active: new Map([["a", 2]]), conditions: new Map([["b", limited]]), sessionHash: "", stickyAccountId: undefined });
    expect([...reads.active]).toEqual([["a", 2], ["b", 0]]);
    expect(reads.conditions.get("b")).toBe(limited);

    reads.remember({ readAtMs: 200, accountIds: ["b"], active: new Map([["b", 1]]), conditions: new Map(), sessionHash: "", stickyAccountId: undefined });
    expect(reads.active.get("a")).toBe(2);
    expect(reads.active.get("b")).toBe(1);
    expect(reads.conditions.has("b")).toBe(false);
    expect(reads.readSince(["a", "b"], 100)).toBe(true);
    expect(reads.readSince(["a", "b"], 150)).toBe(false);
    expect(reads.readSince(["b"], 150)).toBe(true);
    expect(reads.readSince(["c"], 0)).toBe(false);
  });

  it("calls an account read healthy only when it was read, healthy, with no probe in flight", () => {
    const reads = createLastReads();
    const halfOpen: AccountCondition = { health: { status: "circuit_open", reason: "5xx", untilMs: 0 }, probeInFlight: true, windows: [] };
    const probing: AccountCondition = { health: { status: "healthy", reason: "", untilMs: 0 }, probeInFlight: true, windows: [] };
    const windowed: AccountCondition = { health: { status: "healthy", reason: "", untilMs: 0 }, probeInFlight: false, windows: [] };
    const conditions = new Map([["limited", limited], ["half-open", halfOpen], ["probing", probing], ["windowed", windowed]]);
    reads.remember({ readAtMs: 1, accountIds: ["plain", "limited", "half-open", "probing", "windowed"], active: new Map(), conditions, sessionHash: "", stickyAccountId: undefined });
    expect(["plain", "limited", "half-open", "probing", "windowed", "unread"].filter((id) => reads.readHealthy(id))).toEqual(["plain", "windowed"]);
  });

  it("keeps sticky bindings as read and as bound, and forgets a binding read as gone", () => {
    const reads = createLastReads();
    reads.remember({ readAtMs: 1, accountIds: [], active: new Map(), conditions: undefined, sessionHash: "s1", stickyAccountId: "a" });
    expect(reads.sticky("s1")).toBe("a");
    reads.bound("s1", "b");
    expect(reads.sticky("s1")).toBe("b");
    reads.remember({ readAtMs: 2, accountIds: [], active: new Map(), conditions: undefined, sessionHash: "s1", stickyAccountId: undefined });
    expect(reads.sticky("s1")).toBeUndefined();
  });

  it("holds at most its limit of sessions, dropping the least recently stored", () => {
    const reads = createLastReads(2);
    reads.bound("s1", "a");
    reads.bound("s2", "a");
    reads.bound("s1", "b");
    reads.bound("s3", "a");
    expect(reads.sticky("s2")).toBeUndefined();
    expect(reads.sticky("s1")).toBe("b");
    expect(reads.sticky("s3")).toBe("a");
  });
});
