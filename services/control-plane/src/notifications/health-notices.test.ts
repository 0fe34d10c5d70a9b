import { describe, expect, it, vi } from "vitest";
import type { HealthChange } from "../accounts/health-store.js";
import { createHealthNotices, createTimedRecoveryNotices, healthNoticeOf, timedStateOf } from "./health-notices.js";
import type { NotificationEvent } from "./notification-event.js";

const NOW = 1_760_000_000_000;
const block = (status: "rate_limited" | "overloaded" | "unauthorized" | "banned", untilMs = 0) => ({ kind: "block", status, reason: `upstream answered ${status}`, untilMs }) as const;
const healthy = { status: "healthy", untilMs: 0 } as const;

describe("healthNoticeOf", () => {
  it.each<[string, HealthChange, ReturnType<typeof healthNoticeOf>]>([
    ["a Release's 401", { accountId: "a", event: block("unauthorized"), status: "unauthorized", previous: healthy }, { type: "account.unauthorized", reason: "upstream answered unauthorized", untilMs: 0 }],
    ["a 429 with its reset", { accountId: "a", event: block("rate_limited", NOW + 60_000), status: "rate_limited", previous: healthy }, { type: "account.rate_limited", reason: "upstream answered rate_limited", untilMs: NOW + 60_000 }],
    ["a 529", { accountId: "a", event: block("overloaded", NOW + 1), status: "overloaded", previous: healthy }, { type: "account.overloaded", reason: "upstream answered overloaded", untilMs: NOW + 1 }],
    ["a ban", { accountId: "a", event: block("banned"), status: "banned", previous: healthy }, { type: "account.banned", reason: "upstream answered banned", untilMs: 0 }],
    ["a 429 on an unauthorized account (the block did not take)", { accountId: "a", event: block("rate_limited", NOW + 1), status: "unauthorized", previous: { status: "unauthorized", untilMs: 0 } }, undefined],
    ["a second 429 while the first still holds", { accountId: "a", event: block("rate_limited", NOW + 9), status: "rate_limited", previous: { status: "rate_limited", untilMs: NOW + 5 } }, undefined],
    ["a 429 after the last rate limit ran out", { accountId: "a", event: block("rate_limited", NOW + 9), status: "rate_limited", previous: { status: "rate_limited", untilMs: NOW - 5 } }, { type: "account.rate_limited", reason: "upstream answered rate_limited", untilMs: NOW + 9 }],
    ["a failed refresh on an account already unauthorized", { accountId: "a", event: block("unauthorized"), status: "unauthorized", previous: { status: "unauthorized", untilMs: 0 } }, undefined],
    ["a refresh that lifted unauthorized", { accountId: "a", event: { kind: "reauthorized" }, status: "healthy", previous: { status: "unauthorized", untilMs: 0 } }, { type: "account.recovered", from: "unauthorized" }],
    ["an admin's reset of a ban", { accountId: "a", event: { kind: "reset" }, status: "healthy", previous: { status: "banned", untilMs: 0 } }, { type: "account.recovered", from: "banned" }],
    ["a reset of an open breaker", { accountId: "a", event: { kind: "reset" }, status: "healthy", previous: { status: "circuit_open", untilMs: NOW - 1 } }, { type: "account.recovered", from: "circuit_open" }],
    ["a probe that closed the breaker", { accountId: "a", event: { kind: "success" }, status: "healthy", previous: { status: "circuit_open", untilMs: NOW - 1 } }, { type: "account.recovered", from: "circuit_open" }],
    ["a breaker that opens (no event of its own)", { accountId: "a", event: { kind: "failure", reason: "upstream answered 500" }, status: "circuit_open", previous: healthy }, undefined],
    ["a reset of a rate limit already over (the watch reports that one)", { accountId: "a", event: { kind: "reset" }, status: "healthy", previous: { status: "rate_limited", untilMs: NOW - 1 } }, undefined],
    ["a reset of a rate limit still holding", { accountId: "a", event: { kind: "reset" }, status: "healthy", previous: { status: "rate_limited", untilMs: NOW + 1 } }, { type: "account.recovered", from: "rate_limited" }],
    ["a reset of a healthy account", { accountId: "a", event: { kind: "reset" }, status: "healthy", previous: healthy }, undefined],
    ["a success on a healthy account", { accountId: "a", event: { kind: "success" }, status: "healthy", previous: healthy }, undefined],
  ])("%s", (_what, change, notice) => {
    expect(healthNoticeOf(change, NOW)).toEqual(notice);
  });
});

describe("timedStateOf", () => {
  it.each<[string, HealthChange, ReturnType<typeof timedStateOf>]>([
    ["a 429 that took", { accountId: "a", event: block("rate_limited", NOW + 5), status: "rate_limited", previous: healthy }, { status: "rate_limited", untilMs: NOW + 5 }],
    ["a 529 that took", { accountId: "a", event: block("overloaded", NOW + 5), status: "overloaded", previous: healthy }, { status: "overloaded", untilMs: NOW + 5 }],
    ["a 429 under an overload (it did not take)", { accountId: "a", event: block("rate_limited", NOW + 5), status: "overloaded", previous: { status: "overloaded", untilMs: NOW + 9 } }, undefined],
    ["a 401", { accountId: "a", event: block("unauthorized"), status: "unauthorized", previous: healthy }, undefined],
    ["a success", { accountId: "a", event: { kind: "success" }, status: "healthy", previous: healthy }, undefined],
  ])("%s", (_what, change, timed) => {
    expect(timedStateOf(change)).toEqual(timed);
  });
});

describe("createHealthNotices", () => {
  it("names the account from the catalog, emits at the change's time and hands timed states to the watch", async () => {
    const emitted: NotificationEvent[] = [];
    const watched: [string, number][] = [];
    const onChange = createHealthNotices({
      emit: (event) => emitted.push(event),
      findAccount: async (id) => ({ id, name: "team-1", type: "claude-oauth" }),
      watchRecovery: (id, untilMs) => watched.push([id, untilMs]),
      now: () => NOW,
    });
    onChange({ accountId: "a1", event: block("unauthorized"), status: "unauthorized", previous: healthy });
    onChange({ accountId: "a1", event: { kind: "success" }, status: "unauthorized", previous: { status: "unauthorized", untilMs: 0 } });
    onChange({ accountId: "a2", event: block("overloaded", NOW + 60_000), status: "overloaded", previous: healthy });
    await vi.waitFor(() => expect(emitted).toHaveLength(2));
    expect(emitted[0]).toEqual({ type: "account.unauthorized", atMs: NOW, account: { id: "a1", name: "team-1", platform: "claude" }, reason: "upstream answered unauthorized", untilMs: 0 });
    expect(emitted[1]).toMatchObject({ type: "account.overloaded", account: { id: "a2" } });
    expect(watched).toEqual([["a2", NOW + 60_000]]);
  });
});

describe("createTimedRecoveryNotices", () => {
  it("reports the state an account left, named from the catalog (an id only when it is gone)", async () => {
    const emitted: NotificationEvent[] = [];
    const onRecovered = createTimedRecoveryNotices({
      emit: (event) => emitted.push(event),
      findAccount: async (id) => (id === "a1" ? { id, name: "team-1", type: "claude-console" } : undefined),
      now: () => NOW,
    });
    onRecovered("a1", "rate_limited");
    onRecovered("gone", "overloaded");
    await vi.waitFor(() => expect(emitted).toHaveLength(2));
    expect(emitted).toEqual([
      { type: "account.recovered", atMs: NOW, account: { id: "a1", name: "team-1", platform: "claude" }, from: "rate_limited" },
      { type: "account.recovered", atMs: NOW, account: { id: "gone", name: "", platform: "" }, from: "overloaded" },
    ]);
  });
});
