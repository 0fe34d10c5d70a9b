import { describe, expect, it } from "vitest";
import { hasRoom, pickAccount, type PickCandidate } from "./pick-account.js";

function acct(id: string, over: Partial<PickCandidate> = {}): PickCandidate {
  return { id, priority: 50, maxConcurrentTasks: 0, schedulable: true, lastUsedAtMs: 0, ...over };
}

const none = new Map<string, number>();

describe("pickAccount", () => {
  it("keeps the sticky account while it is schedulable, not excluded and has room", () => {
    const result = pickAccount({ candidates: [acct("a", { priority: 1 }), acct("b", { priority: 9 })], stickyAccountId: "b", active: none });
    expect(result).toEqual({ ok: true, account: expect.objectContaining({ id: "b" }), sticky: true });
  });

  it("moves off the sticky account when it is full", () => {
    const result = pickAccount({ candidates: [acct("a"), acct("b", { maxConcurrentTasks: 2 })], stickyAccountId: "b", active: new Map([["b", 2]]) });
    expect(result).toMatchObject({ ok: true, account: { id: "a" }, sticky: false });
  });

  it("moves off the sticky account when it is excluded", () => {
    const result = pickAccount({ candidates: [acct("a"), acct("b")], stickyAccountId: "b", exclude: new Set(["b"]), active: none });
    expect(result).toMatchObject({ ok: true, account: { id: "a" }, sticky: false });
  });

  it("moves off the sticky account when it is not schedulable", () => {
    const result = pickAccount({ candidates: [acct("a"), acct("b", { schedulable: false })], stickyAccountId: "b", active: none });
    expect(result).toMatchObject({ ok: true, account: { id: "a" }, sticky: false });
  });

  it("ignores a sticky account that is no longer a candidate", () => {
    expect(pickAccount({ candidates: [acct("a")], stickyAccountId: "deleted", active: none })).toMatchObject({ ok: true, account: { id: "a" }, sticky: false });
  });

  it("prefers the lowest priority number", () => {
    const result = pickAccount({ candidates: [acct("a", { priority: 20 }), acct("b", { priority: 10 }), acct("c", { priority: 30 })], active: none });
    expect(result).toMatchObject({ account: { id: "b" } });
  });

  it("prefers priority over fewer active leases", () => {
    const result = pickAccount({ candidates: [acct("busy", { priority: 1 }), acct("idle", { priority: 2 })], active: new Map([["busy", 5]]) });
    expect(result).toMatchObject({ account: { id: "busy" } });
  });

  it("breaks a priority tie by the fewest active leases", () => {
    const result = pickAccount({ candidates: [acct("a"), acct("b"), acct("c")], active: new Map([["a", 3], ["b", 1], ["c", 2]]) });
    expect(result).toMatchObject({ account: { id: "b" } });
  });

  it("breaks a tie on priority and leases by the least recent use", () => {
    const result = pickAccount({ candidates: [acct("a", { lastUsedAtMs: 300 }), acct("b", { lastUsedAtMs: 100 }), acct("c", { lastUsedAtMs: 200 })], active: none });
    expect(result).toMatchObject({ account: { id: "b" } });
  });

  it("skips accounts that are full, excluded or not schedulable", () => {
    const result = pickAccount({
      candidates: [acct("full", { priority: 1, maxConcurrentTasks: 1 }), acct("off", { priority: 2, schedulable: false }), acct("ex", { priority: 3 }), acct("ok", { priority: 4 })],
      exclude: new Set(["ex"]),
      active: new Map([["full", 1]]),
    });
    expect(result).toMatchObject({ ok: true, account: { id: "ok" } });
  });

  it("says full when usable accounts exist but none has room", () => {
    const result = pickAccount({ candidates: [acct("a", { maxConcurrentTasks: 1 }), acct("b", { schedulable: false })], active: new Map([["a", 1]]) });
    expect(result).toEqual({ ok: false, reason: "full" });
  });

  it("says none when no account is schedulable and not excluded", () => {
    expect(pickAccount({ candidates: [], active: none })).toEqual({ ok: false, reason: "none" });
    expect(pickAccount({ candidates: [acct("a", { schedulable: false }), acct("b")], exclude: new Set(["b"]), active: none })).toEqual({ ok: false, reason: "none" });
  });
});

describe("hasRoom", () => {
  it("treats a limit of 0 as unlimited", () => {
    expect(hasRoom(acct("a"), 10_000)).toBe(true);
    expect(hasRoom(acct("a", { maxConcurrentTasks: 3 }), 2)).toBe(true);
    expect(hasRoom(acct("a", { maxConcurrentTasks: 3 }), 3)).toBe(false);
  });
});
