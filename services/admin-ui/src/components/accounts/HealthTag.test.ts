import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AccountHealth, AccountSchema } from "@claude-relay/proto/admin";
import { flushPromises, mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createAppI18n } from "../../i18n/index.js";
import HealthTag from "./HealthTag.vue";

const NOW = 1_750_000_000_000;

function render(health: AccountHealth, reason = "", untilMs?: number, locale: "en" | "zh-CN" = "en") {
  const account = create(AccountSchema, { health, healthReason: reason, ...(untilMs !== undefined && { healthUntil: timestampFromMs(untilMs) }) });
  return mount(HealthTag, { props: { account, nowMs: NOW }, global: { plugins: [createAppI18n(locale), ElementPlus] }, attachTo: document.body });
}

afterEach(() => {
  document.body.innerHTML = "";
});

describe("HealthTag", () => {
  it.each([
    [AccountHealth.HEALTHY, "healthy", "green", "Healthy"],
    [AccountHealth.RATE_LIMITED, "rate_limited", "orange", "Rate limited"],
    [AccountHealth.OVERLOADED, "overloaded", "orange", "Overloaded"],
    [AccountHealth.UNAUTHORIZED, "unauthorized", "red", "Unauthorized"],
    [AccountHealth.CIRCUIT_OPEN, "circuit_open", "red", "Circuit open"],
    [AccountHealth.CIRCUIT_HALF_OPEN, "half_open", "yellow", "Half open"],
    [AccountHealth.BANNED, "banned", "darkred", "Banned"],
  ] as const)("shows health %i as a %s tag coloured %s", (health, state, color, label) => {
    const wrapper = render(health);
    const tag = wrapper.get('[data-testid="health-tag"]');
    expect(tag.attributes("data-health")).toBe(state);
    expect(tag.classes()).toContain(color);
    expect(tag.text()).toBe(label);
    wrapper.unmount();
  });

  it("shows the reason and the time left when hovered", async () => {
    const wrapper = render(AccountHealth.RATE_LIMITED, "upstream answered 429", NOW + 90_000);
    const tag = wrapper.get('[data-testid="health-tag"]');
    expect(tag.attributes("aria-label")).toBe("Rate limited. Reason: upstream answered 429. Usable again in 1 min 30 s.");
    await tag.trigger("mouseenter");
    await vi.waitFor(
      async () => {
        await flushPromises();
        expect(document.querySelector('[data-testid="health-tooltip"]')?.textContent).toContain("Reason: upstream answered 429");
      },
      { timeout: 5_000, interval: 50 },
    );
    expect(document.querySelector('[data-testid="health-tooltip"]')?.textContent).toContain("Usable again in 1 min 30 s.");
    wrapper.unmount();
  });

  it("tells a banned account from an unauthorized one, with its reason", () => {
    const banned = render(AccountHealth.BANNED, "upstream: account_deactivated");
    const tag = banned.get('[data-testid="health-tag"]');
    expect(tag.classes()).not.toContain("red");
    expect(tag.attributes("aria-label")).toMatch(/^Banned\. Reason: upstream: account_deactivated\. The provider disabled/);
    banned.unmount();
  });

    it("is translated into Chinese", () => {
    const wrapper = render(AccountHealth.CIRCUIT_OPEN, "upstream answered 503", NOW + 5_000, "zh-CN");
    expect(wrapper.get('[data-testid="health-tag"]').text()).toBe("熔断");
    expect(wrapper.get('[data-testid="health-tag"]').attributes("aria-label")).toContain("5 秒后放行一个探测请求。");
    wrapper.unmount();
  });
});
