import { create } from "@bufbuild/protobuf";
import {
  AccountSchema,
  AccountService,
  ApiKeySchema,
  ApiKeyService,
  UsageService,
  type ApiKey,
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
      costLimits: { dailyUsd: 5, totalUsd: 0, weeklyOpusUsd: 0 },
      rateLimit: { windowSeconds: 3_600, maxRequests: 100, maxTokens: 0n },
      spend: { todayUsd: 1.25, totalUsd: 40, opusThisWeekUsd: 0, windowRequests: 3, windowTokens: 900n, todayRequests: 12n, todayTokens: 32_000n, totalRequests: 340n, totalTokens: 1_200_000n },
    }),
  ];
  const updates: UpdateApiKeyRequest[] = [];
  const transport = createRouterTransport(({ service }) => {
    service(ApiKeyService, {
      listApiKeys: async () => ({ apiKeys: keys }),
      updateApiKey: async (req) => {
        updates.push(req);
        const key = keys.find((k) => k.id === req.id) as ApiKey;
        if (req.enabled !== undefined) key.enabled = req.enabled;
        if (req.rateLimit) key.rateLimit = req.rateLimit;
        return { apiKey: key };
      },
    });
    service(AccountService, { listAccounts: async () => ({ accounts: [create(AccountSchema, { id: "acc-1", name: "primary", group: "team-a" })] }) });
    service(UsageService, {
      getUsageSummary: async () => ({ topKeys: [{ id: "k1", name: "ci", usage: { requests: 12n, inputTokens: 30_000n, outputTokens: 2_000n } }] }),
    });
  });
  const wrapper = mount(ApiKeysView, {
    global: { plugins: [createAppI18n("en"), ElementPlus], provide: { [transportKey as symbol]: transport } },
    attachTo: document.body,
  });
  return { wrapper, updates };
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
});
