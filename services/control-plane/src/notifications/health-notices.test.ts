import { describe, expect, it, vi } from "vitest";
import type { HealthChange } from "../accounts/health-store.js";
import { createHealthNotices, healthNoticeOf } from "./health-notices.js";
import type { NotificationEvent } from "./notification-event.js";

const NOW = 1_760_000_000_000;
const block = (status: "rate_limited" | "overloaded" | "unauthorized" | "banned", untilMs = 0) => ({ kind: "block", status, reason: `upstream answered ${status}`, untilMs }) as const;

describe("healthNoticeOf", () => {
  it.each<[string, HealthChange, ReturnType<typeof healthNoticeOf>]>([
    ["a Release's 401", { accountId: "a", event: block("unauthorized"), status: "unauthorized" }, { type: "account.unauthorized", reason: "upstream answered unauthorized", untilMs: 0 }],
    ["a 429 with its reset", { accountId: "a", event: block("rate_limited", NOW + 60_000), status: "rate_limited" }, { type: "account.rate_limited", reason: "upstream answered rate_limited", untilMs: NOW + 60_000 }],
    ["a 529", { accountId: "a", event: block("overloaded", NOW + 1), status: "overloaded" }, { type: "account.overloaded", reason: "upstream answered overloaded", untilMs: NOW + 1 }],
    ["a ban", { accountId: "a", event: block("banned"), status: "banned" }, { type: "account.banned", reason: "upstream answered banned", untilMs: 0 }],
    ["a 429 on an unauthorized account (the block did not take)", { accountId: "a", event: block("rate_limited", NOW + 1), status: "unauthorized" }, undefined],
    ["a failed refresh on an account already unauthorized", { accountId: "a", event: block("unauthorized"), status: "unauthorized", previous: { status: "unauthorized", untilMs: 0 } }, undefined],
    ["a refresh that lifted unauthorized", { accountId: "a", event: { kind: "reauthorized" }, status: "healthy", previous: { status: "unauthorized", untilMs: 0 } }, { type: "account.recovered", from: "unauthorized" }],
    ["an admin's reset of a ban", { accountId: "a", event: { kind: "reset" }, status: "healthy", previous: { status: "banned", untilMs: 0 } }, { type: "account.recovered", from: "banned" }],
    ["a reset of an open breaker", { accountId: "a", event: { kind: "reset" }, status: "healthy", previous: { status: "circuit_open", untilMs: NOW - 1 } }, { type: "account.recovered", from: "circuit_open" }],
    ["a reset of a rate limit already over", { accountId: "a", event: { kind: "reset" }, status: "healthy", previous: { status: "rate_limited", untilMs: NOW - 1 } }, undefined],
    ["a reset of a healthy account", { accountId: "a", event: { kind: "reset" }, status: "healthy", previous: { status: "healthy", untilMs: 0 } }, undefined],
    ["a Release's success (the state before is not read there)", { accountId: "a", event: { kind: "success" }, status: "healthy" }, undefined],
  ])("%s", (_what, change, notice) => {
    expect(healthNoticeOf(change, NOW)).toEqual(notice);
  });
});

describe("createHealthNotices", () => {
  it("names the account from the catalog and emits at the change's time", async () => {
    const emitted: NotificationEvent[] = [];
    const onChange = createHealthNotices({
      emit: (event) => emitted.push(event),
      findAccount: async (id) => ({ id, name: "team-1", type: "claude-oauth" }),
      now: () => NOW,
    });
    onChange({ accountId: "a1", event: block("unauthorized"), status: "unauthorized" });
    onChange({ accountId: "a1", event: { kind: "success" }, status: "healthy" });
    await vi.waitFor(() => expect(emitted).toHaveLength(1));
    expect(emitted[0]).toEqual({ type: "account.unauthorized", atMs: NOW, account: { id: "a1", name: "team-1", platform: "claude" }, reason: "upstream answered unauthorized", untilMs: 0 });
  });
});
