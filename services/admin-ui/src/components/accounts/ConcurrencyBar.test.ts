import { mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { describe, expect, it } from "vitest";
import { createAppI18n } from "../../i18n/index.js";
import ConcurrencyBar from "./ConcurrencyBar.vue";
import { concurrencyLevel, concurrencyPercent } from "./concurrency-level.js";

function render(active: number, limit: number, locale: "en" | "zh-CN" = "en") {
  return mount(ConcurrencyBar, { props: { active, limit }, global: { plugins: [createAppI18n(locale), ElementPlus] } });
}

describe("ConcurrencyBar", () => {
  it.each([
    [0, 2, "0 / 2", "0%", "ok"],
    [1, 2, "1 / 2", "50%", "ok"],
    [8, 10, "8 / 10", "80%", "warn"],
    [9, 10, "9 / 10", "90%", "warn"],
    [2, 2, "2 / 2", "100%", "full"],
  ])("shows %i of %i as %s at %s with level %s", (active, limit, text, percent, level) => {
    const wrapper = render(active, limit);
    const bar = wrapper.get('[data-testid="concurrency-bar"]');
    expect(bar.attributes("data-level")).toBe(level);
    expect(wrapper.get('[data-testid="concurrency-text"]').text()).toBe(text);
    expect(wrapper.get('[data-testid="concurrency-percent"]').text()).toBe(percent);
    expect(wrapper.find('[data-testid="unlimited-badge"]').exists()).toBe(false);
  });

  it("colours the fill with the level's class and caps its width at 100 %", () => {
    const wrapper = render(3, 2);
    expect(wrapper.get('[data-testid="concurrency-bar"]').attributes("data-level")).toBe("full");
    expect(wrapper.get('[data-testid="concurrency-percent"]').text()).toBe("150%");
    const fill = wrapper.get(".fill");
    expect(fill.classes()).toContain("full");
    expect(fill.attributes("style")).toContain("width: 100%");
  });

  it("shows an unlimited badge and the active count instead of a bar when the limit is 0", () => {
    const wrapper = render(3, 0);
    expect(wrapper.find('[data-testid="concurrency-bar"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="concurrency-percent"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="unlimited-badge"]').text()).toBe("Unlimited");
    expect(wrapper.get('[data-testid="concurrency-text"]').text()).toBe("3");
  });

  it("translates the unlimited badge", () => {
    expect(render(0, 0, "zh-CN").get('[data-testid="unlimited-badge"]').text()).toBe("不限");
  });

  it("follows prop changes without remounting", async () => {
    const wrapper = render(1, 2);
    await wrapper.setProps({ active: 2 });
    expect(wrapper.get('[data-testid="concurrency-text"]').text()).toBe("2 / 2");
    expect(wrapper.get('[data-testid="concurrency-bar"]').attributes("data-level")).toBe("full");
    await wrapper.setProps({ limit: 0 });
    expect(wrapper.find('[data-testid="unlimited-badge"]').exists()).toBe(true);
  });
});

describe("concurrencyLevel", () => {
  it("switches to warn at exactly 80 % and to full at the limit", () => {
    expect(concurrencyLevel(79, 100)).toBe("ok");
    expect(concurrencyLevel(80, 100)).toBe("warn");
    expect(concurrencyLevel(4, 5)).toBe("warn");
    expect(concurrencyLevel(99, 100)).toBe("warn");
    expect(concurrencyLevel(100, 100)).toBe("full");
    expect(concurrencyLevel(1, 1)).toBe("full");
  });

  it("rounds the percentage to a whole number", () => {
    expect(concurrencyPercent(1, 3)).toBe(33);
    expect(concurrencyPercent(2, 3)).toBe(67);
  });
});
