import { mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { describe, expect, it } from "vitest";
import { createAppI18n } from "../../i18n/index.js";
import UnpricedModels from "./UnpricedModels.vue";

function render(models: string[], locale: "en" | "zh-CN" = "en") {
  return mount(UnpricedModels, { props: { models }, global: { plugins: [createAppI18n(locale), ElementPlus] } });
}

describe("UnpricedModels", () => {
  it("names every model without a price as unpriced", () => {
    const wrapper = render(["claude-sonnet-9", "gemini-9-pro"]);
    expect(wrapper.findAll('[data-testid="unpriced-model"]').map((tag) => tag.text())).toEqual(["claude-sonnet-9 · unpriced", "gemini-9-pro · unpriced"]);
    expect(wrapper.text()).toContain("set their prices on the Prices page");
  });

  it("shows nothing when every model has a price", () => {
    expect(render([]).find('[data-testid="unpriced-models"]').exists()).toBe(false);
  });

  it("is translated into Chinese", () => {
    expect(render(["claude-sonnet-9"], "zh-CN").text()).toContain("claude-sonnet-9 · 无价格");
  });
});
