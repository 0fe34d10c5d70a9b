import { create } from "@bufbuild/protobuf";
import { AccountUsageSchema } from "@claude-relay/proto/admin";
import { mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { describe, expect, it } from "vitest";
import { createAppI18n } from "../../i18n/index.js";
import UsageToday from "./UsageToday.vue";

function render(usage: Parameters<typeof create<typeof AccountUsageSchema>>[1] | undefined, locale: "en" | "zh-CN" = "en") {
  return mount(UsageToday, {
    props: { usage: usage === undefined ? undefined : create(AccountUsageSchema, usage) },
    global: { plugins: [createAppI18n(locale), ElementPlus] },
  });
}

describe("UsageToday", () => {
  it("shows requests, tokens in short form and the cost", () => {
    const wrapper = render({ requests: 1234n, tokens: 56_789n, costUsd: 3.5 });
    expect(wrapper.get('[data-testid="account-usage-requests"]').text()).toBe("1,234 requests");
    expect(wrapper.get('[data-testid="account-usage-tokens"]').text()).toBe("56.8K tokens");
    expect(wrapper.get('[data-testid="account-usage-cost"]').text()).toBe("$3.50");
  });

  it("says the usage is not reported when the server sent none, in Chinese too", () => {
    expect(render(undefined).text()).toBe("Not reported");
    expect(render(undefined, "zh-CN").text()).toBe("未提供");
  });
});
