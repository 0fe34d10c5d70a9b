import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AccountHealth, AccountSchema, AccountService, AccountType, type Account, type UpdateAccountRequest } from "@claude-relay/proto/admin";
import { createRouterTransport } from "@connectrpc/connect";
import { flushPromises, mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { afterEach, describe, expect, it, vi } from "vitest";
import { transportKey } from "../api/transport.js";
import { createAppI18n } from "../i18n/index.js";
import AccountsView from "./AccountsView.vue";

function render() {
  const accounts: Account[] = [
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
    create(AccountSchema, { id: "acc-2", name: "fine", type: AccountType.CLAUDE_CONSOLE, health: AccountHealth.HEALTHY, group: "team-a" }),
  ];
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
      updateAccount: async (req) => {
        updates.push(req);
        const account = accounts.find((a) => a.id === req.id) as Account;
        if (req.group !== undefined) account.group = req.group;
        return { account };
      },
    });
  });
  const wrapper = mount(AccountsView, {
    global: { plugins: [createAppI18n("en"), ElementPlus], provide: { [transportKey as symbol]: transport } },
    attachTo: document.body,
  });
  return { wrapper, resets, updates };
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
});
