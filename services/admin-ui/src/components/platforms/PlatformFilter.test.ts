import { flushPromises, mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { describe, expect, it } from "vitest";
import { createAppI18n } from "../../i18n/index.js";
import PlatformFilter from "./PlatformFilter.vue";
import PlatformTag from "./PlatformTag.vue";

const global = { plugins: [createAppI18n("en"), ElementPlus] };

describe("PlatformFilter", () => {
  it("offers every platform after All, with counts when given, and reports the choice", async () => {
    const wrapper = mount(PlatformFilter, { props: { modelValue: "all", counts: { all: 4, claude: 1, gemini: 2, openai: 1 } }, global });
    expect(wrapper.findAll("label").map((label) => label.text())).toEqual(["All (4)", "Claude (1)", "Gemini (2)", "OpenAI (1)"]);
    await wrapper.findAll("input")[2]?.setValue(true);
    await flushPromises();
    expect(wrapper.emitted("update:modelValue")).toEqual([["gemini"]]);
  });

  it("shows bare names without counts", () => {
    const wrapper = mount(PlatformFilter, { props: { modelValue: "claude" }, global });
    expect(wrapper.text()).not.toContain("(");
  });
});

describe("PlatformTag", () => {
  it("names the platform and keeps its id for styling and tests", () => {
    const tag = mount(PlatformTag, { props: { platform: "gemini" }, global });
    expect(tag.text()).toBe("Gemini");
    expect(tag.get('[data-testid="platform-tag"]').attributes("data-platform")).toBe("gemini");
  });

  it("names OpenAI with its own colour, and calls a platform this UI does not know Other", () => {
    const openai = mount(PlatformTag, { props: { platform: "openai" }, global });
    expect(openai.text()).toBe("OpenAI");
    expect(openai.get('[data-testid="platform-tag"]').classes()).toContain("openai");
    expect(mount(PlatformTag, { props: { platform: "mistral" }, global }).text()).toBe("Other");
  });

  it("is translated into Chinese", () => {
    const wrapper = mount(PlatformFilter, { props: { modelValue: "all" }, global: { plugins: [createAppI18n("zh-CN"), ElementPlus] } });
    expect(wrapper.text()).toContain("全部");
  });
});
