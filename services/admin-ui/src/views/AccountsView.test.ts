import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  AccountHealth,
  AccountSchema,
  AccountService,
  AccountType,
  Platform,
  QueueService,
  type Account,
  type GetQueueResponseSchema,
  type UpdateAccountRequest,
} from "@claude-relay/proto/admin";
import { createRouterTransport } from "@connectrpc/connect";
import { flushPromises, mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { afterEach, describe, expect, it, vi } from "vitest";
import { transportKey } from "../api/transport.js";
import { createAppI18n } from "../i18n/index.js";
import AccountsView from "./AccountsView.vue";

function twoClaudeAccounts(): Account[] {
  return [
    create(AccountSchema, {
      id: "acc-1",
      name: "limited",
      type: AccountType.CLAUDE_OAUTH,
      health: AccountHealth.RATE_LIMITED,
      healthReason: "upstream answered 429",
      healthUntil: timestampFromMs(Date.now() + 600_000),
      windows: [{ name: "5h", utilization: 0.5, status: "allowed" }],
      allowedModels: ["claude-opus-*"],
    }),
    create(AccountSchema, {
      id: "acc-2",
      name: "fine",
      type: AccountType.CLAUDE_CONSOLE,
      health: AccountHealth.HEALTHY,
      group: "team-a",
      usageToday: { requests: 42n, tokens: 12_500n, costUsd: 0.75 },
    }),
  ];
}

/** One account of each platform's types; the server names the platform of all but one. */
function mixedAccounts(): Account[] {
  return [
    create(AccountSchema, { id: "c-1", name: "claude-key", type: AccountType.CLAUDE_CONSOLE, platform: Platform.CLAUDE, baseUrl: "https://api.anthropic.com", health: AccountHealth.HEALTHY }),
    create(AccountSchema, {
      id: "g-1",
      name: "gemini-key",
      type: AccountType.GEMINI_API,
      platform: Platform.GEMINI,
      baseUrl: "https://generativelanguage.googleapis.com",
      health: AccountHealth.HEALTHY,
    }),
    create(AccountSchema, { id: "g-2", name: "gemini-login", type: AccountType.GEMINI_OAUTH, projectId: "proj-42", health: AccountHealth.HEALTHY, maxConcurrentTasks: 4, activeLeases: 1 }),
    create(AccountSchema, { id: "g-3", name: "gemini-login-2", type: AccountType.GEMINI_OAUTH, platform: Platform.GEMINI, health: AccountHealth.OVERLOADED }),
  ];
}

/** An OpenAI API key account and a banned ChatGPT sign-in with Codex windows, beside one Claude account. */
function openaiAccounts(): Account[] {
  return [
    create(AccountSchema, { id: "c-1", name: "claude-key", type: AccountType.CLAUDE_CONSOLE, platform: Platform.CLAUDE, health: AccountHealth.HEALTHY }),
    create(AccountSchema, { id: "o-1", name: "openai-key", type: AccountType.OPENAI_API, platform: Platform.OPENAI, baseUrl: "https://api.openai.com/v1", health: AccountHealth.HEALTHY }),
    create(AccountSchema, {
      id: "o-2",
      name: "chatgpt-team",
      type: AccountType.OPENAI_OAUTH,
      chatgptAccountId: "7c1f2d3e-acct",
      health: AccountHealth.BANNED,
      healthReason: "upstream: account_deactivated",
      windows: [
        { name: "primary", utilization: 0.2, windowMinutes: 300, resetsAt: timestampFromMs(Date.now() + 3_600_000) },
        { name: "secondary", utilization: 0.6, windowMinutes: 10_080, resetsAt: timestampFromMs(Date.now() + 86_400_000) },
      ],
    }),
  ];
}

/** Without `queue` the server has no QueueService, as an older one. */
function render(accounts: Account[] = twoClaudeAccounts(), queue?: MessageInitShape<typeof GetQueueResponseSchema>) {
  const tests: string[] = [];
  const resets: string[] = [];
  const updates: UpdateAccountRequest[] = [];
  const transport = createRouterTransport(({ service }) => {
    service(AccountService, {
      listAccounts: async () => ({ accounts }),
      resetAccountHealth: async (req) => {
        resets.push(req.id);
        const account = accounts.find((a) => a.id === req.id) as Account;
        Object.assign(account, { health: AccountHealth.HEALTHY, healthReason: "", healthUntil: undefined });
        return { account };
      },
      testAccount: async (req) => {
        tests.push(req.id);
        return req.id === "acc-2"
          ? { ok: true, httpStatus: 200, latencyMs: 345, model: "claude-haiku-4-5" }
          : { ok: false, httpStatus: 401, latencyMs: 90, errorType: "authentication_error", errorMessage: "invalid bearer token", model: "claude-haiku-4-5" };
      },
      updateAccount: async (req) => {
        updates.push(req);
        const account = accounts.find((a) => a.id === req.id) as Account;
        if (req.group !== undefined) account.group = req.group;
        return { account };
      },
    });
    if (queue) service(QueueService, { getQueue: async () => queue });
  });
  const wrapper = mount(AccountsView, {
    global: { plugins: [createAppI18n("en"), ElementPlus], provide: { [transportKey as symbol]: transport } },
    attachTo: document.body,
  });
  return { wrapper, resets, updates, tests };
}

afterEach(() => {
  document.body.innerHTML = "";
});

describe("AccountsView", { timeout: 30_000 }, () => {
  it("shows each account's health, windows, group and models, and resets an unhealthy one", async () => {
    const { wrapper, resets } = render();
    await flushPromises();
    const tags = () => wrapper.findAll('[data-testid="health-tag"]').map((tag) => tag.attributes("data-health"));
    expect(tags()).toEqual(["rate_limited", "healthy"]);
    expect(wrapper.get('[data-testid="window-percent"]').text()).toBe("50%");
    expect(wrapper.get('[data-testid="account-group"]').text()).toBe("team-a");
    expect(wrapper.text()).toContain("claude-opus-*");
    // Only the unhealthy account offers a reset.
    expect(wrapper.findAll('[data-testid="reset-health"]')).toHaveLength(1);
    await wrapper.get('[data-testid="reset-health"]').trigger("click");
    await vi.waitFor(() => expect(tags()).toEqual(["healthy", "healthy"]), { timeout: 5_000 });
    expect(resets).toEqual(["acc-1"]);
    expect(wrapper.findAll('[data-testid="reset-health"]')).toHaveLength(0);
    wrapper.unmount();
  });

  it("moves an account to a group from its More menu", async () => {
    const { wrapper, updates } = render();
    await flushPromises();
    await wrapper.findAll('[data-testid="account-more"]')[0]?.trigger("click");
    await vi.waitFor(() => expect(document.querySelector('[data-testid="move-group"]')).not.toBeNull(), { timeout: 5_000 });
    (document.querySelector('[data-testid="move-group"]') as HTMLElement).click();
    await vi.waitFor(() => expect(document.querySelector('[data-testid="move-group-input"]')).not.toBeNull(), { timeout: 5_000 });
    await flushPromises();
    (document.querySelector('[data-testid="move-group-input"] .el-select__wrapper') as HTMLElement).click();
    await flushPromises();
    const option = [...document.querySelectorAll(".el-select-dropdown__item")].find((el) => el.textContent?.trim() === "team-a") as HTMLElement;
    option.click();
    await flushPromises();
    (document.querySelector('[data-testid="move-group-submit"]') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(updates).toEqual([expect.objectContaining({ id: "acc-1", group: "team-a" })]), { timeout: 5_000 });
    await vi.waitFor(() => expect(wrapper.findAll('[data-testid="account-group"]').map((g) => g.text())).toEqual(["team-a", "team-a"]), { timeout: 5_000 });
    wrapper.unmount();
  });

  it("shows each account's usage today, or that none was reported", async () => {
    const { wrapper } = render();
    await flushPromises();
    const cells = wrapper.findAll('[data-testid="account-usage-today"]').map((cell) => cell.text());
    expect(cells[0]).toBe("Not reported");
    expect(cells[1]).toContain("42 requests");
    expect(cells[1]).toContain("12.5K tokens");
    expect(cells[1]).toContain("$0.75");
    wrapper.unmount();
  });

  it("tests an account and shows the latency on success or the upstream's error on failure", async () => {
    const { wrapper, tests } = render();
    await flushPromises();
    const buttons = wrapper.findAll('[data-testid="test-account"]');
    expect(buttons).toHaveLength(2);
    await buttons[1]?.trigger("click");
    await vi.waitFor(() => expect(document.querySelector(".el-message--success")?.textContent).toContain("345 ms"), { timeout: 5_000 });
    await buttons[0]?.trigger("click");
    await vi.waitFor(() => expect(document.querySelector(".el-message--error")?.textContent).toContain("HTTP 401"), { timeout: 5_000 });
    expect(document.querySelector(".el-message--error")?.textContent).toContain("authentication_error: invalid bearer token");
    expect(tests).toEqual(["acc-2", "acc-1"]);
    wrapper.unmount();
  });

  it("shows each account's platform and type, and a Gemini OAuth account's project", async () => {
    const { wrapper } = render(mixedAccounts());
    await flushPromises();
    const names = wrapper.findAll('[data-testid="account-name"]').map((n) => n.text());
    expect(names).toEqual(["claude-key", "gemini-key", "gemini-login", "gemini-login-2"]);
    const platforms = wrapper.findAll('[data-testid="account-table"] [data-testid="platform-tag"]').map((tag) => tag.attributes("data-platform"));
    expect(platforms).toEqual(["claude", "gemini", "gemini", "gemini"]);
    expect(wrapper.findAll('[data-testid="account-type"]').map((tag) => tag.text())).toEqual(["Console", "API key", "OAuth", "OAuth"]);
    const projects = wrapper.findAll('[data-testid="account-project"]').map((p) => p.text());
    expect(projects).toEqual(["Project: proj-42", "Project: found automatically"]);
    expect(wrapper.text()).toContain("https://generativelanguage.googleapis.com");
    // Health and concurrency read the same for every platform.
    expect(wrapper.findAll('[data-testid="health-tag"]').map((tag) => tag.attributes("data-health"))).toEqual(["healthy", "healthy", "healthy", "overloaded"]);
    expect(wrapper.findAll('[data-testid="concurrency-text"]').map((c) => c.text())).toContain("1 / 4");
    wrapper.unmount();
  });

  it("narrows the list to one platform, with each platform's count on its choice", async () => {
    const { wrapper } = render(mixedAccounts());
    await flushPromises();
    const filter = wrapper.get('[data-testid="account-platform-filter"]');
    expect(filter.text()).toContain("All (4)");
    expect(filter.text()).toContain("Claude (1)");
    expect(filter.text()).toContain("Gemini (3)");
    const names = () => wrapper.findAll('[data-testid="account-name"]').map((n) => n.text());
    await filter.findAll("input")[2]?.setValue(true);
    await flushPromises();
    expect(names()).toEqual(["gemini-key", "gemini-login", "gemini-login-2"]);
    await filter.findAll("input")[1]?.setValue(true);
    await flushPromises();
    expect(names()).toEqual(["claude-key"]);
    wrapper.unmount();
  });

  it("shows OpenAI accounts: platform, type, ChatGPT account id, a banned tag and the Codex windows by length", async () => {
    const { wrapper } = render(openaiAccounts());
    await flushPromises();
    const platforms = wrapper.findAll('[data-testid="account-table"] [data-testid="platform-tag"]').map((tag) => [tag.attributes("data-platform"), tag.text()]);
    expect(platforms).toEqual([
      ["claude", "Claude"],
      ["openai", "OpenAI"],
      ["openai", "OpenAI"],
    ]);
    expect(wrapper.findAll('[data-testid="account-type"]').map((tag) => tag.text())).toEqual(["Console", "API key", "OAuth"]);
    expect(wrapper.text()).toContain("https://api.openai.com/v1");
    expect(wrapper.get('[data-testid="account-chatgpt-id"]').text()).toBe("ChatGPT account: 7c1f2d3e-acct");
    expect(wrapper.findAll('[data-testid="health-tag"]').map((tag) => tag.attributes("data-health"))).toEqual(["healthy", "healthy", "banned"]);
    expect(wrapper.findAll('[data-testid="reset-health"]')).toHaveLength(1);
    const windows = wrapper.findAll('[data-testid="window-bar"]').map((bar) => [bar.attributes("data-window"), bar.get(".name").text()]);
    expect(windows).toEqual([
      ["primary", "5h"],
      ["secondary", "7d"],
    ]);
    const filter = wrapper.get('[data-testid="account-platform-filter"]');
    expect(filter.text()).toContain("OpenAI (2)");
    await filter.findAll("input")[3]?.setValue(true);
    await flushPromises();
    expect(wrapper.findAll('[data-testid="account-name"]').map((n) => n.text())).toEqual(["openai-key", "chatgpt-team"]);
    wrapper.unmount();
  });

  it("says when a platform has no accounts", async () => {
    const { wrapper } = render();
    await flushPromises();
    await wrapper.get('[data-testid="account-platform-filter"]').findAll("input")[2]?.setValue(true);
    await flushPromises();
    expect(wrapper.findAll('[data-testid="account-name"]')).toHaveLength(0);
    expect(wrapper.get('[data-testid="account-table"]').text()).toContain("No Gemini accounts");
    wrapper.unmount();
  });

  it("shows the requests waiting for each account beside its concurrency, and the wait queue card", async () => {
    const { wrapper } = render(twoClaudeAccounts(), {
      groups: [
        { name: "claude/pool", platform: Platform.CLAUDE, waiting: 3, accountIds: ["acc-1", "acc-2"], oldestWaitMs: 2_500 },
        { name: "claude/group:team-a", platform: Platform.CLAUDE, waiting: 2, accountIds: ["acc-2"], oldestWaitMs: 900 },
        { name: "gemini/pool", platform: Platform.GEMINI, waiting: 0, accountIds: [] },
      ],
      keys: [{ id: "k1", name: "ci", count: 40, p50Ms: 850, p90Ms: 2_500, p99Ms: 12_000, maxMs: 14_000 }],
      accounts: [{ id: "acc-2", name: "fine", count: 12, p50Ms: 300, p90Ms: 1_000, p99Ms: 65_000, maxMs: 65_000 }],
    });
    await flushPromises();
    expect(wrapper.findAll('[data-testid="account-waiting"]').map((tag) => tag.text())).toEqual(["3 waiting", "5 waiting"]);
    const card = wrapper.get('[data-testid="wait-queue-card"]');
    expect(card.findAll('[data-testid="wait-group-name"]').map((n) => n.text())).toEqual(["claude/pool", "claude/group:team-a"]);
    expect(card.findAll('[data-testid="wait-group-waiting"]').map((n) => n.text())).toEqual(["3", "2"]);
    expect(card.text()).toContain("2.5 s");
    const keys = card.get('[data-testid="wait-stats-keys"]');
    expect(keys.get('[data-testid="wait-stats-name"]').text()).toBe("ci");
    expect([keys.get('[data-testid="wait-p50"]').text(), keys.get('[data-testid="wait-p90"]').text(), keys.get('[data-testid="wait-p99"]').text()]).toEqual(["850 ms", "2.5 s", "12 s"]);
    expect(card.get('[data-testid="wait-stats-accounts"] [data-testid="wait-p99"]').text()).toBe("1 min 5 s");
    wrapper.unmount();
  });

  it("says nobody waits when the lines are empty, and leaves the card out without a queue service", async () => {
    const idle = render(twoClaudeAccounts(), { groups: [{ name: "claude/pool", waiting: 0, accountIds: ["acc-1"] }] });
    await flushPromises();
    expect(idle.wrapper.findAll('[data-testid="account-waiting"]')).toHaveLength(0);
    expect(idle.wrapper.get('[data-testid="wait-queue-groups"]').text()).toContain("Nobody is waiting");
    expect(idle.wrapper.get('[data-testid="wait-stats-keys"]').text()).toContain("No waits recorded");
    idle.wrapper.unmount();

    const older = render();
    await flushPromises();
    expect(older.wrapper.findAll('[data-testid="concurrency-text"]')).toHaveLength(2);
    expect(older.wrapper.find('[data-testid="wait-queue-card"]').exists()).toBe(false);
    older.wrapper.unmount();
  });
});
