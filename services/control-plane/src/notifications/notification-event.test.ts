import { describe, expect, it } from "vitest";
import { safeReason, subjectIdOf, summaryOf, type NotificationEvent } from "./notification-event.js";

const ACCOUNT = { id: "a1", name: "team-1", platform: "claude" };

describe("safeReason", () => {
  it.each([
    ["an Anthropic API key", "invalid x-api-key sk-ant-api03-abcdefghijklmnop", "invalid x-api-key [redacted]"],
    ["a bearer token", "sent Authorization: Bearer abc.def-ghi", "sent Authorization: [redacted]"],
    ["a token field", 'token endpoint said {"refresh_token":"rt-123456"}', 'token endpoint said {"refresh_token":"[redacted]"}'],
    ["a JWT", "id eyJhbGciOi.eyJzdWIiOiIx.sig", "id [redacted]"],
    ["a long key-like run", `key ${"A1b2".repeat(10)} refused`, "key [redacted] refused"],
  ])("masks %s", (_what, reason, expected) => {
    expect(safeReason(reason)).toBe(expected);
  });

  it("keeps an ordinary reason and cuts a long one at 300 characters", () => {
    expect(safeReason("upstream answered 401")).toBe("upstream answered 401");
    const long = safeReason("word ".repeat(200));
    expect(long).toHaveLength(300);
    expect(long.endsWith("…")).toBe(true);
  });
});

describe("subjectIdOf and summaryOf", () => {
  it.each<[NotificationEvent, string, string]>([
    [{ type: "account.rate_limited", atMs: 0, account: ACCOUNT, reason: "429", untilMs: Date.UTC(2025, 0, 1) }, "account:a1", "Account team-1 (claude) is rate-limited until 2025-01-01T00:00:00.000Z: 429"],
    [{ type: "account.recovered", atMs: 0, account: ACCOUNT, from: "rate_limited" }, "account:a1", "Account team-1 (claude) recovered from rate limited"],
    [{ type: "oauth.refresh_failed", atMs: 0, account: ACCOUNT, reason: "invalid_grant" }, "account:a1", "Account team-1 (claude): OAuth refresh failed: invalid_grant"],
    [{ type: "key.limit_reached", atMs: 0, key: { id: "k1", name: "ci" }, reason: "daily cost limit reached" }, "key:k1", "API key ci reached a limit: daily cost limit reached"],
    [{ type: "pool.no_account", atMs: 0, platform: "gemini", group: "team-a", model: "gemini-2.5-pro" }, "pool:gemini:team-a", "No gemini account could serve gemini-2.5-pro in group team-a"],
    [{ type: "replica.redis_unreachable", atMs: 0, replica: "cp-0", reason: "ECONNREFUSED" }, "replica:cp-0", "Control plane cp-0 cannot reach Redis: ECONNREFUSED"],
  ])("names the subject and sums up %#", (event, subject, summary) => {
    expect(subjectIdOf(event)).toBe(subject);
    expect(summaryOf({ event, count: 1 })).toBe(summary);
  });

  it("adds the count of a folded message and marks a test", () => {
    const event: NotificationEvent = { type: "account.banned", atMs: 0, account: ACCOUNT, reason: "403 organization disabled", untilMs: 0 };
    expect(summaryOf({ event, count: 10, test: true })).toBe("[test] Account team-1 (claude) is banned: 403 organization disabled (×10)");
  });
});
