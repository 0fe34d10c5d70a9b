import { describe, expect, it } from "vitest";
import type { AccountCondition, HealthStatus } from "./account-health.js";
import { hasRoom, pickAccount, type PickCandidate } from "./pick-account.js";
import type { RateWindow } from "./rate-limit-headers.js";

function acct(id: string, over: Partial<PickCandidate> = {}): PickCandidate {
  return { id, priority: 50, maxConcurrentTasks: 0, schedulable: true, lastUsedAtMs: 0, ...over };
}

const none = new Map<string, number>();

describe("pickAccount", () => {
  it("keeps the sticky account while it is schedulable, not excluded and has room", () => {
    const result = pickAccount({ candidates: [acct("a", { priority: 1 }), acct("b", { priority: 9 })], stickyAccountId: "b", active: none });
    expect(result).toEqual({ ok: true, account: expect.objectContaining({ id: "b" }), sticky: true, probe: false });
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

describe("pickAccount with health, windows, models and bindings", () => {
  const NOW = 1_900_000_000_000;
  const cond = (status: HealthStatus, untilMs = 0, windows: RateWindow[] = [], probeInFlight = false): AccountCondition => ({
    health: { status, reason: "r", untilMs },
    probeInFlight,
    windows,
  });

  it("never picks a rate-limited, overloaded, unauthorized or open account", () => {
    const conditions = new Map([
      ["limited", cond("rate_limited", NOW + 1_000)],
      ["overloaded", cond("overloaded", NOW + 1_000)],
      ["unauthorized", cond("unauthorized")],
      ["open", cond("circuit_open", NOW + 1_000)],
    ]);
    const candidates = [...conditions.keys()].map((id) => acct(id, { priority: 1 })).concat(acct("spare", { priority: 9 }));
    expect(pickAccount({ candidates, active: none, conditions, nowMs: NOW })).toMatchObject({ ok: true, account: { id: "spare" }, probe: false });
  });

  it("picks an account again once its block is over", () => {
    const conditions = new Map([["a", cond("rate_limited", NOW)]]);
    expect(pickAccount({ candidates: [acct("a")], active: none, conditions, nowMs: NOW })).toMatchObject({ ok: true, account: { id: "a" } });
  });

  it("offers a half-open account as the probe only while no probe is in flight", () => {
    const free = new Map([["a", cond("circuit_open", NOW)]]);
    expect(pickAccount({ candidates: [acct("a")], active: none, conditions: free, nowMs: NOW })).toMatchObject({ ok: true, account: { id: "a" }, probe: true });
    const busy = new Map([["a", cond("circuit_open", NOW, [], true)]]);
    expect(pickAccount({ candidates: [acct("a")], active: none, conditions: busy, nowMs: NOW })).toEqual({ ok: false, reason: "none" });
  });

  it("never picks an account whose windows the upstream said are exhausted, until their reset", () => {
    const conditions = new Map([
      ["rejected", cond("healthy", 0, [{ name: "unified", status: "rejected", resetMs: NOW + 5_000 }])],
      ["used-up", cond("healthy", 0, [{ name: "7d", status: "", utilization: 1, resetMs: NOW + 8_000 }])],
    ]);
    const candidates = [acct("rejected"), acct("used-up")];
    expect(pickAccount({ candidates, active: none, conditions, nowMs: NOW })).toEqual({ ok: false, reason: "none", retryAfterMs: 5_000 });
    expect(pickAccount({ candidates, active: none, conditions, nowMs: NOW + 5_000 })).toMatchObject({ ok: true, account: { id: "rejected" } });
  });

  it("prefers more headroom after priority, before active leases", () => {
    const conditions = new Map([
      ["hot", cond("healthy", 0, [{ name: "5h", status: "allowed", utilization: 0.9, resetMs: NOW + 1e6 }])],
      ["cool", cond("healthy", 0, [{ name: "5h", status: "allowed", utilization: 0.2, resetMs: NOW + 1e6 }])],
      ["first", cond("healthy", 0, [{ name: "5h", status: "allowed", utilization: 0.99, resetMs: NOW + 1e6 }])],
    ]);
    const active = new Map([["cool", 4]]);
    expect(pickAccount({ candidates: [acct("hot"), acct("cool")], active, conditions, nowMs: NOW })).toMatchObject({ account: { id: "cool" } });
    expect(pickAccount({ candidates: [acct("hot"), acct("cool"), acct("first", { priority: 1 })], active, conditions, nowMs: NOW })).toMatchObject({ account: { id: "first" } });
  });

  it("passes over an account near a window's end for one of equal priority with headroom, however busy", () => {
    const window = (name: string, utilization: number, status = ""): RateWindow => ({ name, status, utilization, resetMs: NOW + 1e6 });
    const conditions = new Map([
      ["codex-near", cond("healthy", 0, [window("primary", 0.2), window("secondary", 0.92)])],
      ["claude-near", cond("healthy", 0, [window("5h", 0.1), window("7d", 0.9)])],
      ["overage", cond("healthy", 0, [{ name: "overage", status: "rejected", resetMs: NOW + 1e6 }])],
      ["roomy", cond("healthy", 0, [window("primary", 0.6), window("secondary", 0.89)])],
    ]);
    const candidates = ["codex-near", "claude-near", "overage", "roomy"].map((id) => acct(id, { lastUsedAtMs: id === "roomy" ? 9 : 0 }));
    // "roomy" is the busiest and the most used in its primary window, yet the only one with headroom in every window.
    const active = new Map([["roomy", 7]]);
    expect(pickAccount({ candidates, active, conditions, nowMs: NOW })).toMatchObject({ ok: true, account: { id: "roomy" } });
    // Once every account is near an end, the usual order applies among them: the least used window first.
    const rest = candidates.filter((a) => a.id !== "roomy");
    expect(pickAccount({ candidates: rest, active, conditions, nowMs: NOW })).toMatchObject({ ok: true, account: { id: "overage" } });
    // Priority still comes first, and a sticky session stays where it is.
    expect(pickAccount({ candidates: [...rest, acct("roomy", { priority: 60 })], active, conditions, nowMs: NOW })).toMatchObject({ account: { id: "overage" } });
    expect(pickAccount({ candidates, stickyAccountId: "codex-near", active, conditions, nowMs: NOW })).toMatchObject({ account: { id: "codex-near" }, sticky: true });
  });

  it("takes a near-end account again once its window has reset", () => {
    const conditions = new Map([["near", cond("healthy", 0, [{ name: "primary", status: "", utilization: 0.97, resetMs: NOW + 1_000 }])]]);
    const candidates = [acct("near"), acct("busy")];
    const active = new Map([["busy", 3]]);
    expect(pickAccount({ candidates, active, conditions, nowMs: NOW })).toMatchObject({ account: { id: "busy" } });
    expect(pickAccount({ candidates, active, conditions, nowMs: NOW + 1_000 })).toMatchObject({ account: { id: "near" } });
  });

  it("never picks a banned account and gives no time it comes back", () => {
    const conditions = new Map([["banned", cond("banned")]]);
    expect(pickAccount({ candidates: [acct("banned")], active: none, conditions, nowMs: NOW })).toEqual({ ok: false, reason: "none" });
    expect(pickAccount({ candidates: [acct("banned", { priority: 1 }), acct("other")], active: none, conditions, nowMs: NOW })).toMatchObject({ account: { id: "other" } });
  });

  it("replaces a sticky account that became unhealthy", () => {
    const conditions = new Map([["sticky", cond("overloaded", NOW + 1_000)]]);
    const result = pickAccount({ candidates: [acct("sticky"), acct("other")], stickyAccountId: "sticky", active: none, conditions, nowMs: NOW });
    expect(result).toMatchObject({ ok: true, account: { id: "other" }, sticky: false });
  });

  it("answers with the time until the earliest blocked account comes back, when knowable", () => {
    const conditions = new Map([
      ["a", cond("rate_limited", NOW + 30_000)],
      ["b", cond("overloaded", NOW + 12_000)],
      ["c", cond("unauthorized")],
    ]);
    const candidates = [acct("a"), acct("b"), acct("c")];
    expect(pickAccount({ candidates, active: none, conditions, nowMs: NOW })).toEqual({ ok: false, reason: "none", retryAfterMs: 12_000 });
    expect(pickAccount({ candidates: [acct("c")], active: none, conditions, nowMs: NOW })).toEqual({ ok: false, reason: "none" });
  });

  it("never picks an account that may not serve the model", () => {
    const candidates = [acct("haiku-only", { priority: 1, allowedModels: ["claude-haiku-*"] }), acct("all", { priority: 2, allowedModels: [] })];
    expect(pickAccount({ candidates, active: none, model: "claude-opus-4-1" })).toMatchObject({ account: { id: "all" } });
    expect(pickAccount({ candidates, active: none, model: "claude-haiku-4-5" })).toMatchObject({ account: { id: "haiku-only" } });
    expect(pickAccount({ candidates: [candidates[0]!], active: none, model: "claude-opus-4-1" })).toEqual({ ok: false, reason: "none" });
  });

  it("stays inside a bound account or a bound group", () => {
    const candidates = [acct("pool", { priority: 1 }), acct("team-1", { priority: 5, group: "team" }), acct("team-2", { priority: 6, group: "team" })];
    expect(pickAccount({ candidates, active: none, binding: { group: "team" } })).toMatchObject({ account: { id: "team-1" } });
    expect(pickAccount({ candidates, active: none, binding: { accountId: "team-2" } })).toMatchObject({ account: { id: "team-2" } });
    expect(pickAccount({ candidates, active: none, binding: { accountId: "team-2" }, exclude: new Set(["team-2"]) })).toEqual({ ok: false, reason: "none" });
    expect(pickAccount({ candidates, active: none, binding: { group: "nobody" } })).toEqual({ ok: false, reason: "none" });
  });
});

describe("hasRoom", () => {
  it("treats a limit of 0 as unlimited", () => {
    expect(hasRoom(acct("a"), 10_000)).toBe(true);
    expect(hasRoom(acct("a", { maxConcurrentTasks: 3 }), 2)).toBe(true);
    expect(hasRoom(acct("a", { maxConcurrentTasks: 3 }), 3)).toBe(false);
  });
});
