import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { RateLimitWindowSchema } from "@claude-relay/proto/admin";
import { flushPromises, mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createAppI18n } from "../../i18n/index.js";
import WindowBars from "./WindowBars.vue";

const NOW = 1_750_000_000_000;

afterEach(() => {
  document.body.innerHTML = "";
});

function render(windows: Parameters<typeof create<typeof RateLimitWindowSchema>>[1][], locale: "en" | "zh-CN" = "en", attach = false) {
  return mount(WindowBars, {
    props: { windows: windows.map((w) => create(RateLimitWindowSchema, w)), nowMs: NOW },
    global: { plugins: [createAppI18n(locale), ElementPlus] },
    ...(attach && { attachTo: document.body }),
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

  it("labels Codex's windows by their length and names them, with the reset, on hover", async () => {
    const wrapper = render(
      [
        { name: "primary", utilization: 0.3, windowMinutes: 300, resetsAt: timestampFromMs(NOW + 2 * 3_600_000) },
        { name: "secondary", utilization: 0.85, windowMinutes: 10_080, resetsAt: timestampFromMs(NOW + 3 * 86_400_000) },
      ],
      "en",
      true,
    );
    const bars = wrapper.findAll('[data-testid="window-bar"]');
    expect(bars.map((b) => [b.attributes("data-window"), b.get(".name").text(), b.attributes("data-level"), b.get('[data-testid="window-percent"]').text()])).toEqual([
      ["primary", "5h", "ok", "30%"],
      ["secondary", "7d", "warn", "85%"],
    ]);
    await bars[1]?.trigger("mouseenter");
    await vi.waitFor(
      async () => {
        await flushPromises();
        expect(document.body.textContent).toContain("Secondary window (7d) · Resets in 3 d 0 h");
      },
      { timeout: 5_000, interval: 50 },
    );
    wrapper.unmount();
  });

  it("names a Codex window without a length, in the page's language", () => {
    expect(render([{ name: "primary", utilization: 0.1 }]).get(".name").text()).toBe("Primary");
    expect(render([{ name: "secondary", utilization: 0.1 }], "zh-CN").get(".name").text()).toBe("次要窗口");
  });

  it("shows a placeholder when the upstream reported no window", () => {
    const wrapper = render([]);
    expect(wrapper.findAll('[data-testid="window-bar"]')).toHaveLength(0);
    expect(wrapper.text()).toBe("—");
  });
});
