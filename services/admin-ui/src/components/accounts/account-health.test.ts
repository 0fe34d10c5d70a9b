import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AccountHealth, AccountSchema } from "@claude-relay/proto/admin";
import { describe, expect, it } from "vitest";
import { createAppI18n } from "../../i18n/index.js";
import { healthColor, healthLabelKey, healthState, healthTooltip, timeLeftMs } from "./account-health.js";

const en = createAppI18n("en").global.t;
const zh = createAppI18n("zh-CN").global.t;
const NOW = 1_750_000_000_000;

function account(health: AccountHealth, healthReason = "", untilMs?: number) {
  return create(AccountSchema, { health, healthReason, ...(untilMs !== undefined && { healthUntil: timestampFromMs(untilMs) }) });
}

describe("healthState and healthColor", () => {
  it.each([
    [AccountHealth.HEALTHY, "healthy", "green"],
    [AccountHealth.RATE_LIMITED, "rate_limited", "orange"],
    [AccountHealth.OVERLOADED, "overloaded", "orange"],
    [AccountHealth.UNAUTHORIZED, "unauthorized", "red"],
    [AccountHealth.CIRCUIT_OPEN, "circuit_open", "red"],
    [AccountHealth.CIRCUIT_HALF_OPEN, "half_open", "yellow"],
    [AccountHealth.BANNED, "banned", "darkred"],
    [AccountHealth.UNSPECIFIED, "unknown", "grey"],
  ] as const)("reads %i as %s in %s", (health, state, color) => {
    expect(healthState(health)).toBe(state);
    expect(healthColor(healthState(health))).toBe(color);
  });

  it("reads a value newer than this UI as unknown", () => {
    expect(healthState(99 as AccountHealth)).toBe("unknown");
  });

  it("has a label in both languages for every state", () => {
    for (const health of [0, 1, 2, 3, 4, 5, 6, 7] as AccountHealth[]) {
      const key = healthLabelKey(healthState(health));
      expect(en(key)).not.toBe(key);
      expect(zh(key)).not.toBe(key);
    }
  });
});

describe("timeLeftMs", () => {
  it("is the time to the end, or undefined when unset or past", () => {
    expect(timeLeftMs(timestampFromMs(NOW + 30_000), NOW)).toBe(30_000);
    expect(timeLeftMs(timestampFromMs(NOW - 1), NOW)).toBeUndefined();
    expect(timeLeftMs(undefined, NOW)).toBeUndefined();
  });
});

describe("healthTooltip", () => {
  it("says a healthy account takes requests", () => {
    expect(healthTooltip(account(AccountHealth.HEALTHY), en, NOW)).toEqual(["Healthy", "Taking requests."]);
  });

  it("gives a rate-limited account's reason and the time until it is usable", () => {
    expect(healthTooltip(account(AccountHealth.RATE_LIMITED, "upstream answered 429", NOW + 245_000), en, NOW)).toEqual([
      "Rate limited",
      "Reason: upstream answered 429",
      "Usable again in 4 min 5 s.",
    ]);
  });

  it("says an overloaded account whose time just ran out is usable shortly", () => {
    expect(healthTooltip(account(AccountHealth.OVERLOADED, "upstream answered 529", NOW - 10), en, NOW)).toEqual([
      "Overloaded",
      "Reason: upstream answered 529",
      "Usable again shortly.",
    ]);
  });

  it("gives an open circuit's probe time and explains half open and unauthorized", () => {
    expect(healthTooltip(account(AccountHealth.CIRCUIT_OPEN, "upstream answered 503", NOW + 9_000), en, NOW)[2]).toBe(
      "One probe request is let through in 9 s.",
    );
    expect(healthTooltip(account(AccountHealth.CIRCUIT_HALF_OPEN, "connection failure"), en, NOW)[2]).toMatch(/^The next request is a probe/);
    expect(healthTooltip(account(AccountHealth.UNAUTHORIZED, "upstream answered 401"), en, NOW)).toEqual([
      "Unauthorized",
      "Reason: upstream answered 401",
      "Out of rotation until the credential is replaced, a token refresh succeeds or an admin resets it.",
    ]);
  });

  it("says a banned account waits for an admin, with the upstream's reason, and no time", () => {
    const lines = healthTooltip(account(AccountHealth.BANNED, "upstream: account_deactivated", NOW + 60_000), en, NOW);
    expect(lines).toEqual([
      "Banned",
      "Reason: upstream: account_deactivated",
      "The provider disabled the account or its organisation. Out of rotation until an admin resolves it with the provider and resets it.",
    ]);
    expect(healthTooltip(account(AccountHealth.BANNED), zh, NOW)[0]).toBe("已封禁");
  });

  it("is translated, with the server's reason as it came", () => {
    expect(healthTooltip(account(AccountHealth.RATE_LIMITED, "upstream answered 429", NOW + 60_000), zh, NOW)).toEqual([
      "限流中",
      "原因：upstream answered 429",
      "1 分 0 秒后恢复可用。",
    ]);
  });
});
