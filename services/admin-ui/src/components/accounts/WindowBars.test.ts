import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { RateLimitWindowSchema } from "@claude-relay/proto/admin";
import { mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { describe, expect, it } from "vitest";
import { createAppI18n } from "../../i18n/index.js";
import WindowBars from "./WindowBars.vue";

const NOW = 1_750_000_000_000;

function render(windows: Parameters<typeof create<typeof RateLimitWindowSchema>>[1][], locale: "en" | "zh-CN" = "en") {
  return mount(WindowBars, {
    props: { windows: windows.map((w) => create(RateLimitWindowSchema, w)), nowMs: NOW },
    global: { plugins: [createAppI18n(locale), ElementPlus] },
  });
}

describe("WindowBars", () => {
  it("draws a bar per window with its percent and level, the fill capped at 100 %", () => {
    const wrapper = render([
      { name: "5h", utilization: 0.42, status: "allowed", resetsAt: timestampFromMs(NOW + 3_600_000) },
      { name: "7d", utilization: 1.2, status: "rejected" },
    ]);
    const bars = wrapper.findAll('[data-testid="window-bar"]');
    expect(bars.map((b) => [b.attributes("data-window"), b.attributes("data-level"), b.get('[data-testid="window-percent"]').text()])).toEqual([
      ["5h", "ok", "42%"],
      ["7d", "full", "120%"],
    ]);
    expect(bars[1]?.get(".fill").attributes("style")).toContain("width: 100%");
  });

  it("names the overall window in the page's language and shows a bare status", () => {
    expect(render([{ name: "unified", status: "allowed_warning" }]).text()).toContain("Overall");
    const zh = render([{ name: "unified", status: "allowed_warning" }], "zh-CN");
    expect(zh.text()).toContain("总体");
    expect(zh.get('[data-testid="window-status"]').text()).toBe("接近上限");
    expect(render([{ name: "unified", status: "something_new" }]).get('[data-testid="window-status"]').text()).toBe("something_new");
    expect(zh.get('[data-testid="window-bar"]').attributes("data-level")).toBe("warn");
  });

  it("shows a placeholder when the upstream reported no window", () => {
    const wrapper = render([]);
    expect(wrapper.findAll('[data-testid="window-bar"]')).toHaveLength(0);
    expect(wrapper.text()).toBe("—");
  });
});
