import { create } from "@bufbuild/protobuf";
import {
  AccountSchema,
  AccountService,
  ApiKeySchema,
  ApiKeyService,
  AccountType,
  Platform,
  UsageService,
  type ApiKey,
  type CreateApiKeyRequest,
  type UpdateApiKeyRequest,
} from "@claude-relay/proto/admin";
import { createRouterTransport } from "@connectrpc/connect";
import { flushPromises, mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { afterEach, describe, expect, it, vi } from "vitest";
import { transportKey } from "../api/transport.js";
import { createAppI18n } from "../i18n/index.js";
import ApiKeysView from "./ApiKeysView.vue";

function render() {
  const keys: ApiKey[] = [
    create(ApiKeySchema, {
      id: "k1",
      name: "ci",
      keyPrefix: "cr_AbCd",
      enabled: true,
      boundGroup: "team-a",
      queueWaitMs: 30_000,
      costLimits: { dailyUsd: 5, totalUsd: 0, weeklyOpusUsd: 0 },
      rateLimit: { windowSeconds: 3_600, maxRequests: 100, maxTokens: 0n },
      spend: { todayUsd: 1.25, totalUsd: 40, opusThisWeekUsd: 0, windowRequests: 3, windowTokens: 900n, todayRequests: 12n, todayTokens: 32_000n, totalRequests: 340n, totalTokens: 1_200_000n },
    }),
    create(ApiKeySchema, {
      id: "k2",
      name: "gemini-only",
      keyPrefix: "cr_GgGg",
      enabled: true,
      platforms: [Platform.GEMINI],
      platformGroups: [{ platform: Platform.GEMINI, group: "gem-team" }],
    }),
  ];
  const updates: UpdateApiKeyRequest[] = [];
  const creates: CreateApiKeyRequest[] = [];
  const transport = createRouterTransport(({ service }) => {
    service(ApiKeyService, {
      listApiKeys: async () => ({ apiKeys: keys }),
      updateApiKey: async (req) => {
        updates.push(req);
        const key = keys.find((k) => k.id === req.id) as ApiKey;
        if (req.enabled !== undefined) key.enabled = req.enabled;
        if (req.rateLimit) key.rateLimit = req.rateLimit;
        if (req.clearQueueWaitMs) key.queueWaitMs = undefined;
        return { apiKey: key };
      },
      createApiKey: async (req) => {
        creates.push(req);
        return { apiKey: create(ApiKeySchema, { id: "k3", name: req.name, enabled: true }), plaintextKey: "cr_new" };
      },
    });
    service(AccountService, {
      listAccounts: async () => ({
        accounts: [
          create(AccountSchema, { id: "acc-1", name: "primary", group: "team-a", type: AccountType.CLAUDE_CONSOLE }),
          create(AccountSchema, { id: "acc-2", name: "gemini", group: "gem-team", type: AccountType.GEMINI_API, platform: Platform.GEMINI }),
        ],
      }),
    });
    service(UsageService, {
      getUsageSummary: async () => ({ topKeys: [{ id: "k1", name: "ci", usage: { requests: 12n, inputTokens: 30_000n, outputTokens: 2_000n } }] }),
    });
  });
  const wrapper = mount(ApiKeysView, {
    global: { plugins: [createAppI18n("en"), ElementPlus], provide: { [transportKey as symbol]: transport } },
    attachTo: document.body,
  });
  return { wrapper, updates, creates };
}

const q = (selector: string) => document.querySelector(selector) as HTMLElement | null;

/** Ticks or unticks a platform in the open key dialog. */
async function togglePlatform(platform: "claude" | "gemini" | "openai"): Promise<void> {
  (q(`[data-testid="api-key-form-platforms"] [data-platform="${platform}"] input`) as HTMLInputElement).click();
  await flushPromises();
}

async function openCreate(wrapper: ReturnType<typeof render>["wrapper"]): Promise<void> {
  await wrapper.get('[data-testid="add-api-key"]').trigger("click");
  await vi.waitFor(() => expect(q('[data-testid="api-key-form-platforms"]')).not.toBeNull(), { timeout: 5_000 });
  const name = q('[data-testid="api-key-form-name"] input') as HTMLInputElement;
  name.value = "new-key";
  name.dispatchEvent(new Event("input"));
  await flushPromises();
}

afterEach(() => {
  document.body.innerHTML = "";
});

describe("ApiKeysView", { timeout: 30_000 }, () => {
  it("lists each key's binding, spend against its limits and usage today and in total", async () => {
    const { wrapper } = render();
    await flushPromises();
    expect(wrapper.get('[data-testid="api-key-binding"]').text()).toBe("Group: team-a");
    expect(wrapper.get('[data-testid="api-key-cost-today"]').text()).toBe("Today $1.25 / $5.00");
    expect(wrapper.get('[data-testid="api-key-cost-total"]').text()).toBe("Total $40.00");
    expect(wrapper.get('[data-testid="api-key-usage-today"]').text()).toContain("Today: 12 req · 32K tokens");
    expect(wrapper.get('[data-testid="api-key-usage-total"]').text()).toBe("Total: 340 req · 1.2M tokens");
    wrapper.unmount();
  });

  it("disables a key with its switch", async () => {
    const { wrapper, updates } = render();
    await flushPromises();
    await wrapper.get('[data-testid="api-key-enabled"]').trigger("click");
    await vi.waitFor(() => expect(updates).toHaveLength(1), { timeout: 5_000 });
    expect(updates[0]).toMatchObject({ id: "k1", enabled: false });
    await vi.waitFor(() => expect(wrapper.get('[data-testid="api-key-state"]').text()).toBe("Disabled"), { timeout: 5_000 });
    wrapper.unmount();
  });

  it("edits one limit and sends only what changed", async () => {
    const { wrapper, updates } = render();
    await flushPromises();
    await wrapper.get('[data-testid="edit-api-key"]').trigger("click");
    await vi.waitFor(() => expect(document.querySelector('[data-testid="api-key-form-rate-requests"] input')).not.toBeNull(), { timeout: 5_000 });
    const requests = document.querySelector('[data-testid="api-key-form-rate-requests"] input') as HTMLInputElement;
    expect(requests.value).toBe("100");
    await vi.waitFor(() => expect(document.querySelector('[data-testid="api-key-form-bound-group"]')?.textContent).toContain("team-a"), { timeout: 5_000 });
    requests.value = "250";
    requests.dispatchEvent(new Event("input"));
    requests.dispatchEvent(new Event("change"));
    await flushPromises();
    (document.querySelector('[data-testid="api-key-form-submit"]') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(updates).toHaveLength(1), { timeout: 5_000 });
    expect(updates[0]).toMatchObject({ id: "k1", rateLimit: { windowSeconds: 3_600, maxRequests: 250, maxTokens: 0n } });
    expect(updates[0]?.enabled).toBeUndefined();
    expect(updates[0]?.costLimits).toBeUndefined();
    expect(updates[0]?.boundGroup).toBeUndefined();
    wrapper.unmount();
  });

  it("shows which platforms each key may use and its group on each", async () => {
    const { wrapper } = render();
    await flushPromises();
    const cells = wrapper.findAll('[data-testid="api-key-platforms"]');
    expect(cells[0]?.text()).toBe("All platforms");
    expect(cells[1]?.findAll('[data-testid="platform-tag"]').map((tag) => tag.attributes("data-platform"))).toEqual(["gemini"]);
    expect(cells[1]?.get('[data-testid="api-key-platform-group"]').text()).toBe("Gemini: group gem-team");
    wrapper.unmount();
  });

  it("creates a key for Gemini only, bound there to a group of Gemini accounts", async () => {
    const { wrapper, creates } = render();
    await flushPromises();
    await openCreate(wrapper);
    expect(q('[data-testid="api-key-form-group-claude"]')).not.toBeNull();
    expect(q('[data-testid="api-key-form-group-openai"]')).not.toBeNull();
    await togglePlatform("claude");
    await togglePlatform("openai");
    expect(q('[data-testid="api-key-form-group-claude"]')).toBeNull();
    expect(q('[data-testid="api-key-form-group-openai"]')).toBeNull();
    (q('[data-testid="api-key-form-group-gemini"] .el-select__wrapper') as HTMLElement).click();
    await flushPromises();
    const options = [...document.querySelectorAll(".el-select-dropdown__item")].map((el) => el.textContent?.trim());
    expect(options).toContain("gem-team");
    expect(options).not.toContain("team-a");
    ([...document.querySelectorAll(".el-select-dropdown__item")].find((el) => el.textContent?.trim() === "gem-team") as HTMLElement).click();
    await flushPromises();
    (q('[data-testid="api-key-form-submit"]') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(creates).toHaveLength(1), { timeout: 5_000 });
    expect(creates[0]).toMatchObject({ name: "new-key", platforms: [Platform.GEMINI], platformGroups: [{ platform: Platform.GEMINI, group: "gem-team" }] });
    wrapper.unmount();
  });

  it("refuses a key with no platform, and opens a Gemini-only key to every platform", async () => {
    const { wrapper, creates, updates } = render();
    await flushPromises();
    await openCreate(wrapper);
    await togglePlatform("claude");
    await togglePlatform("gemini");
    await togglePlatform("openai");
    (q('[data-testid="api-key-form-submit"]') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(q('[data-testid="form-error"]')?.textContent).toContain("Choose at least one platform"), { timeout: 5_000 });
    expect(creates).toEqual([]);
    (document.querySelector(".el-dialog__footer .el-button") as HTMLElement).click();
    await flushPromises();

    await wrapper.findAll('[data-testid="edit-api-key"]')[1]?.trigger("click");
    await vi.waitFor(() => expect(q('[data-testid="api-key-form-group-gemini"]')?.textContent).toContain("gem-team"), { timeout: 5_000 });
    await togglePlatform("claude");
    await togglePlatform("openai");
    (q('[data-testid="api-key-form-submit"]') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(updates).toHaveLength(1), { timeout: 5_000 });
    expect(updates[0]?.platforms?.platforms).toEqual([]);
    expect(updates[0]?.platformGroups).toBeUndefined();
    wrapper.unmount();
  });

  it("shows each key's wait for a free slot, and clears one back to the default", async () => {
    const { wrapper, updates } = render();
    await flushPromises();
    expect(wrapper.findAll('[data-testid="api-key-queue-wait"]').map((cell) => cell.text())).toEqual(["Waits up to 30 s", "Waits: default"]);
    await wrapper.get('[data-testid="edit-api-key"]').trigger("click");
    await vi.waitFor(() => expect(q('[data-testid="api-key-form-queue-wait"] input')).not.toBeNull(), { timeout: 5_000 });
    const wait = q('[data-testid="api-key-form-queue-wait"] input') as HTMLInputElement;
    expect(wait.value).toBe("30");
    wait.value = "";
    wait.dispatchEvent(new Event("input"));
    wait.dispatchEvent(new Event("change"));
    await flushPromises();
    (q('[data-testid="api-key-form-submit"]') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(updates).toHaveLength(1), { timeout: 5_000 });
    expect(updates[0]).toMatchObject({ id: "k1", clearQueueWaitMs: true });
    expect(updates[0]?.queueWaitMs).toBeUndefined();
    expect(updates[0]?.rateLimit).toBeUndefined();
    await vi.waitFor(() => expect(wrapper.findAll('[data-testid="api-key-queue-wait"]')[0]?.text()).toBe("Waits: default"), { timeout: 5_000 });
    wrapper.unmount();
  });

  it("creates a key that is refused at once when every account is full", async () => {
    const { wrapper, creates } = render();
    await flushPromises();
    await openCreate(wrapper);
    const wait = q('[data-testid="api-key-form-queue-wait"] input') as HTMLInputElement;
    expect(wait.value).toBe("");
    expect(wait.placeholder).toBe("Default");
    wait.value = "0";
    wait.dispatchEvent(new Event("input"));
    wait.dispatchEvent(new Event("change"));
    await flushPromises();
    (q('[data-testid="api-key-form-submit"]') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(creates).toHaveLength(1), { timeout: 5_000 });
    expect(creates[0]?.queueWaitMs).toBe(0);
    wrapper.unmount();
  });
});
