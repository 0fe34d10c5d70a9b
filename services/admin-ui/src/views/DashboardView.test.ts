import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  AccountHealth,
  AccountSchema,
  AccountService,
  AccountType,
  ApiKeySchema,
  ApiKeyService,
  UsageCountersSchema,
  UsageService,
  type GetDailyUsageRequest,
  type GetHourlyUsageRequest,
  type GetUsageSummaryRequest,
} from "@claude-relay/proto/admin";
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { flushPromises, mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { afterEach, describe, expect, it, vi } from "vitest";
import { transportKey } from "../api/transport.js";
import ModelChart from "../components/dashboard/ModelChart.vue";
import TrendChart from "../components/dashboard/TrendChart.vue";
import { createAppI18n } from "../i18n/index.js";
import DashboardView from "./DashboardView.vue";

/** "Today" as the fake server counts it. */
const TODAY = "2025-03-14";

const counters = (requests: number, inputTokens: number, costUsd: number, unpricedRequests = 0) =>
  create(UsageCountersSchema, { requests: BigInt(requests), inputTokens: BigInt(inputTokens), outputTokens: 500n, costUsd, unpricedRequests: BigInt(unpricedRequests) });

function render(withUsage = true, locale: "en" | "zh-CN" = "en", withFrontDoors = true) {
  const summaries: GetUsageSummaryRequest[] = [];
  const hourlyDays: string[] = [];
  const hourlyRequests: GetHourlyUsageRequest[] = [];
  const dailyRequests: GetDailyUsageRequest[] = [];
  const transport = createRouterTransport(({ service }) => {
    service(AccountService, {
      listAccounts: async () => ({
        accounts: [AccountHealth.HEALTHY, AccountHealth.HEALTHY, AccountHealth.RATE_LIMITED, AccountHealth.UNAUTHORIZED].map((health, i) =>
          create(AccountSchema, { id: `acc-${i}`, name: `account-${i}`, health, type: i === 3 ? AccountType.GEMINI_OAUTH : AccountType.CLAUDE_CONSOLE }),
        ),
      }),
    });
    service(ApiKeyService, {
      listApiKeys: async () => ({
        apiKeys: [
          create(ApiKeySchema, { id: "k1", name: "ci", enabled: true }),
          create(ApiKeySchema, { id: "k2", name: "off", enabled: false }),
          create(ApiKeySchema, { id: "k3", name: "gone", enabled: true, revokedAt: timestampFromMs(1) }),
        ],
      }),
    });
    if (withUsage) {
      service(UsageService, {
        getUsageSummary: async (req) => {
          summaries.push(req);
          const range = req.fromDay !== "";
          return {
            fromDay: req.fromDay || TODAY,
            toDay: req.toDay || TODAY,
            total: range ? counters(40, 100_000, 12.5) : counters(7, 12_000, 0.0042, 2),
            days: range ? Array.from({ length: 14 }, (_, i) => ({ day: `2025-03-${String(i + 1).padStart(2, "0")}`, usage: counters(i, 10, 0) })) : [],
            models: [{ id: "claude-sonnet-4-5", name: "claude-sonnet-4-5", usage: counters(range ? 30 : 5, 10, 1) }, { id: "claude-haiku-4-5", name: "claude-haiku-4-5", usage: counters(range ? 10 : 2, 10, 1) }],
            // Today one model had no price; the range had none.
            unpricedModels: range ? [] : ["claude-sonnet-9"],
            topKeys: [{ id: "k1", name: range ? "ci (14 days)" : "ci", usage: counters(range ? 40 : 7, 12_000, 0.0042) }],
            topAccounts: [{ id: "acc-0", name: "", usage: counters(7, 12_000, 0.0042) }],
            platforms: range
              ? [{ id: "gemini", name: "gemini", usage: counters(10, 40_000, 2.5) }, { id: "claude", name: "claude", usage: counters(30, 60_000, 10) }]
              : [{ id: "claude", name: "claude", usage: counters(5, 10_000, 0.004) }, { id: "gemini", name: "gemini", usage: counters(2, 2_000, 0.0002) }],
            // By cost then requests, as the server sends them; today one request came from a relay that names no front door.
            frontDoors: !withFrontDoors
              ? []
              : range
                ? [
                    { id: "openai-chat", name: "openai-chat", usage: counters(25, 50_000, 8) },
                    { id: "anthropic", name: "anthropic", usage: counters(5, 10_000, 2) },
                    { id: "gemini", name: "gemini", usage: counters(10, 40_000, 2.5) },
                  ]
                : [{ id: "anthropic", name: "anthropic", usage: counters(4, 8_000, 0.003) }, { id: "openai-chat", name: "openai-chat", usage: counters(2, 3_000, 0.0012) }],
          };
        },
        getHourlyUsage: async (req) => {
          hourlyDays.push(req.day);
          hourlyRequests.push(req);
          const platform = req.subject?.subject.case === "platform" ? req.subject.subject.value : "";
          // The Claude drill-down fails, to show how a failure reads.
          if (platform === "claude") throw new ConnectError("usage by platform is not ready", Code.Unavailable);
          const gemini = platform === "gemini";
          return { hours: Array.from({ length: 24 }, (_, hour) => ({ hour, usage: counters(gemini ? (hour === 3 ? 2 : 0) : hour === 9 ? 7 : 0, 0, 0) })) };
        },
        getDailyUsage: async (req) => {
          dailyRequests.push(req);
          return { days: [{ day: "2025-03-13", usage: counters(4, 0, 0) }, { day: TODAY, usage: counters(6, 0, 0) }] };
        },
      });
    }
  });
  const wrapper = mount(DashboardView, {
    global: {
      plugins: [createAppI18n(locale), ElementPlus],
      provide: { [transportKey as symbol]: transport },
      // Chart.js needs a real canvas; the charts' data is checked through their props.
      stubs: { TrendChart: true, ModelChart: true },
    },
    attachTo: document.body,
  });
  return { wrapper, summaries, hourlyDays, hourlyRequests, dailyRequests };
}

type Wrapper = ReturnType<typeof render>["wrapper"];
const card = (wrapper: Wrapper, testid: string) => wrapper.get(`[data-testid="${testid}"]`);

afterEach(() => {
  document.body.innerHTML = "";
});

describe("DashboardView", { timeout: 30_000 }, () => {
  it("shows today's keys, accounts by health, requests, tokens and cost in the cards", async () => {
    const { wrapper, summaries } = render();
    await flushPromises();
    expect(card(wrapper, "stat-keys").get('[data-testid="stat-value"]').text()).toBe("1");
    expect(card(wrapper, "stat-keys").text()).toContain("2 not revoked");
    expect(card(wrapper, "stat-accounts").get('[data-testid="stat-value"]').text()).toBe("4");
    const byHealth = wrapper.findAll('[data-testid="accounts-by-health"]').map((el) => [el.attributes("data-health"), el.text()]);
    expect(byHealth).toEqual([
      ["healthy", "2 Healthy"],
      ["rate_limited", "1 Rate limited"],
      ["unauthorized", "1 Unauthorized"],
    ]);
    expect(card(wrapper, "stat-requests").get('[data-testid="stat-value"]').text()).toBe("7");
    expect(card(wrapper, "stat-tokens").get('[data-testid="stat-value"]').text()).toBe("12.5K");
    expect(card(wrapper, "stat-cost").get('[data-testid="stat-value"]').text()).toBe("$0.0042");
    expect(card(wrapper, "stat-cost").text()).toContain("2 requests of unpriced models not included");
    // Today as the server counts it, then the 14 days and the hours up to that day.
    expect(summaries.map((s) => [s.fromDay, s.toDay])).toEqual([
      ["", ""],
      ["2025-03-01", TODAY],
    ]);
    wrapper.unmount();
  });

  it("charts today by hour and the last 14 days by day, with the model split and top lists of the same period", async () => {
    const { wrapper, hourlyDays } = render();
    await flushPromises();
    expect(hourlyDays).toEqual([TODAY]);
    const trend = wrapper.findComponent(TrendChart);
    expect(trend.props("labels")).toHaveLength(24);
    expect(trend.props("values")[9]).toBe(7);
    expect(wrapper.findComponent(ModelChart).props("labels")).toEqual(["claude-sonnet-4-5", "claude-haiku-4-5"]);
    expect(wrapper.findComponent(ModelChart).props("values")).toEqual([5, 2]);
    expect(wrapper.get('[data-testid="top-keys"]').text()).toContain("ci");
    expect(wrapper.get('[data-testid="top-accounts"]').text()).toContain("Deleted (acc-0)");

    await wrapper.findAll('[data-testid="dashboard-period"] input')[1]?.setValue(true);
    await flushPromises();
    expect(wrapper.findComponent(TrendChart).props("labels")).toEqual(Array.from({ length: 14 }, (_, i) => `03-${String(i + 1).padStart(2, "0")}`));
    expect(wrapper.findComponent(ModelChart).props("values")).toEqual([30, 10]);
    expect(wrapper.get('[data-testid="top-keys"]').text()).toContain("ci (14 days)");

    await wrapper.findAll('[data-testid="dashboard-metric"] input')[2]?.setValue(true);
    await flushPromises();
    expect(wrapper.findComponent(TrendChart).props("label")).toBe("Cost");
    expect(wrapper.findComponent(TrendChart).props("format")(1.5)).toBe("$1.50");
    wrapper.unmount();
  });

  it("names the period's models that have no price as unpriced beside the model split", async () => {
    const { wrapper } = render();
    await flushPromises();
    expect(wrapper.findAll('[data-testid="unpriced-model"]').map((tag) => tag.text())).toEqual(["claude-sonnet-9 · unpriced"]);
    await wrapper.findAll('[data-testid="dashboard-period"] input')[1]?.setValue(true);
    await flushPromises();
    expect(wrapper.find('[data-testid="unpriced-models"]').exists()).toBe(false);
    wrapper.unmount();
  });

  it("still shows keys and accounts when the server reports no usage", async () => {
    const { wrapper } = render(false);
    await flushPromises();
    expect(wrapper.find('[data-testid="usage-error"]').exists()).toBe(true);
    expect(card(wrapper, "stat-accounts").get('[data-testid="stat-value"]').text()).toBe("4");
    expect(card(wrapper, "stat-requests").get('[data-testid="stat-value"]').text()).toBe("–");
    expect(wrapper.findComponent(TrendChart).exists()).toBe(false);
    wrapper.unmount();
  });

  it("is translated into Chinese", async () => {
    const { wrapper } = render(true, "zh-CN");
    await flushPromises();
    expect(wrapper.text()).toContain("今日请求");
    expect(wrapper.text()).toContain("用量最高的账户");
    wrapper.unmount();
  });

  it("splits today's requests, tokens and cost, and the accounts, by platform", async () => {
    const { wrapper } = render();
    await flushPromises();
    const split = (testid: string) => card(wrapper, testid).findAll('[data-testid="platform-split-item"]').map((el) => el.text());
    expect(split("stat-requests")).toEqual(["Claude 5", "Gemini 2"]);
    expect(split("stat-tokens")).toEqual(["Claude 10.5K", "Gemini 2,500"]);
    expect(split("stat-cost")).toEqual(["Claude $0.004", "Gemini $0.0002"]);
    expect(split("stat-accounts")).toEqual(["Claude 3", "Gemini 1", "OpenAI 0"]);
    wrapper.unmount();
  });

  it("shows each platform's usage and share for the chosen period, Claude first", async () => {
    const { wrapper } = render();
    await flushPromises();
    const cards = () => wrapper.findAll('[data-testid="platform-usage-card"]');
    expect(cards().map((c) => c.attributes("data-platform"))).toEqual(["claude", "gemini"]);
    expect(cards()[0]?.get('[data-testid="platform-requests"]').text()).toBe("5");
    expect(cards()[0]?.get('[data-testid="platform-share"]').text()).toBe("71% of Requests");
    await wrapper.findAll('[data-testid="dashboard-period"] input')[1]?.setValue(true);
    await flushPromises();
    expect(cards()[1]?.get('[data-testid="platform-requests"]').text()).toBe("10");
    expect(cards()[1]?.get('[data-testid="platform-cost"]').text()).toBe("$2.50");
    wrapper.unmount();
  });

  it("shows each front door's usage and share for the chosen period, in the server's order", async () => {
    const { wrapper } = render();
    await flushPromises();
    const rows = () =>
      wrapper.get('[data-testid="front-door-usage"]').findAll(".el-table__body tr").map((row) => ({
        id: row.get('[data-testid="front-door-name"]').attributes("data-front-door"),
        name: row.get('[data-testid="front-door-name"]').text(),
        requests: row.get('[data-testid="front-door-requests"]').text(),
        tokens: row.get('[data-testid="front-door-tokens"]').text(),
        cost: row.get('[data-testid="front-door-cost"]').text(),
        share: row.get('[data-testid="front-door-share"]').text(),
      }));
    expect(wrapper.get('[data-testid="front-door-usage"]').text()).toContain("By client API");
    expect(rows()).toEqual([
      { id: "anthropic", name: "Anthropic API", requests: "4", tokens: "8,500", cost: "$0.003", share: "67%" },
      { id: "openai-chat", name: "OpenAI-compatible", requests: "2", tokens: "3,500", cost: "$0.0012", share: "33%" },
    ]);
    // Today's 7 requests, 6 of them through a front door.
    expect(wrapper.get('[data-testid="front-door-unattributed"]').text()).toContain("1 requests from relays that do not report the client API");

    await wrapper.findAll('[data-testid="dashboard-period"] input')[1]?.setValue(true);
    await wrapper.findAll('[data-testid="dashboard-metric"] input')[2]?.setValue(true);
    await flushPromises();
    expect(rows().map((row) => [row.name, row.requests, row.cost, row.share])).toEqual([
      ["OpenAI-compatible", "25", "$8.00", "64%"],
      ["Anthropic API", "5", "$2.00", "16%"],
      ["Gemini API", "10", "$2.50", "20%"],
    ]);
    expect(wrapper.get('[data-testid="front-door-usage"]').text()).toContain("Share of Cost");
    expect(wrapper.find('[data-testid="front-door-unattributed"]').exists()).toBe(false);
    wrapper.unmount();
  });

  it("names the front doors in Chinese, and leaves the card out when no front door is reported", async () => {
    const zh = render(true, "zh-CN");
    await flushPromises();
    expect(zh.wrapper.findAll('[data-testid="front-door-name"]').map((el) => el.text())).toEqual(["Anthropic API", "OpenAI 兼容"]);
    expect(zh.wrapper.get('[data-testid="front-door-usage"]').text()).toContain("按客户端接口");
    zh.wrapper.unmount();

    const { wrapper } = render(true, "en", false);
    await flushPromises();
    expect(wrapper.find('[data-testid="platform-usage"]').exists()).toBe(true);
    expect(wrapper.find('[data-testid="front-door-usage"]').exists()).toBe(false);
    wrapper.unmount();
  });

  it("drills the trend into one platform by hour today and by day over the range", async () => {
    const { wrapper, hourlyRequests, dailyRequests } = render();
    await flushPromises();
    const trendPlatform = wrapper.get('[data-testid="trend-platform"]');
    await trendPlatform.findAll("input")[2]?.setValue(true);
    await vi.waitFor(() => expect(wrapper.findComponent(TrendChart).props("values")[3]).toBe(2), { timeout: 5_000 });
    expect(hourlyRequests.at(-1)).toMatchObject({ day: TODAY, subject: { subject: { case: "platform", value: "gemini" } } });
    expect(wrapper.findComponent(TrendChart).props("values")[9]).toBe(0);

    await wrapper.findAll('[data-testid="dashboard-period"] input')[1]?.setValue(true);
    await vi.waitFor(() => expect(wrapper.findComponent(TrendChart).props("labels")).toEqual(["03-13", "03-14"]), { timeout: 5_000 });
    expect(wrapper.findComponent(TrendChart).props("values")).toEqual([4, 6]);
    expect(dailyRequests).toEqual([expect.objectContaining({ fromDay: "2025-03-01", toDay: TODAY, subject: expect.objectContaining({ subject: { case: "platform", value: "gemini" } }) })]);

    // Back to every platform: the summary's own days again, without another call.
    await trendPlatform.findAll("input")[0]?.setValue(true);
    await flushPromises();
    expect(wrapper.findComponent(TrendChart).props("labels")).toHaveLength(14);
    expect(dailyRequests).toHaveLength(1);
    wrapper.unmount();
  });

  it("says so when a platform's trend cannot be loaded, and draws nothing for it", async () => {
    const { wrapper } = render();
    await flushPromises();
    await wrapper.get('[data-testid="trend-platform"]').findAll("input")[1]?.setValue(true);
    await vi.waitFor(() => expect(wrapper.find('[data-testid="trend-error"]').text()).toContain("usage by platform is not ready"), { timeout: 5_000 });
    expect(wrapper.findComponent(TrendChart).props("values")).toEqual([]);
    await wrapper.get('[data-testid="trend-platform"]').findAll("input")[0]?.setValue(true);
    await flushPromises();
    expect(wrapper.find('[data-testid="trend-error"]').exists()).toBe(false);
    expect(wrapper.findComponent(TrendChart).props("values")[9]).toBe(7);
    wrapper.unmount();
  });
});
