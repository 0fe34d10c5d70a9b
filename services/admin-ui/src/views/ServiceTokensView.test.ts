import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  ServiceTokenSchema,
  ServiceTokenService,
  ServiceTokenState,
  type CreateServiceTokenRequest,
  type ServiceToken,
} from "@claude-relay/proto/admin";
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { flushPromises, mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { afterEach, describe, expect, it, vi } from "vitest";
import { transportKey } from "../api/transport.js";
import { createAppI18n } from "../i18n/index.js";
import ServiceTokensView from "./ServiceTokensView.vue";

const T0 = 1_750_000_000_000;
const SECRET = `crst_${"s".repeat(43)}`;

/** A fake ServiceTokenService over an in-memory list. */
function render(options: { failList?: boolean; locale?: "en" | "zh-CN" } = {}) {
  const list: ServiceToken[] = [
    create(ServiceTokenSchema, {
      id: "t1",
      name: "onboarding",
      tokenPrefix: "crst_AbCdEf",
      scopes: ["keys:write"],
      state: ServiceTokenState.ACTIVE,
      createdAt: timestampFromMs(T0),
      lastUsedAt: timestampFromMs(T0 + 60_000),
    }),
    create(ServiceTokenSchema, { id: "t2", name: "retired", tokenPrefix: "crst_ZyXwVu", scopes: ["read"], state: ServiceTokenState.REVOKED, createdAt: timestampFromMs(T0) }),
  ];
  const creates: CreateServiceTokenRequest[] = [];
  const revokes: string[] = [];
  const transport = createRouterTransport(({ service }) => {
    service(ServiceTokenService, {
      listServiceTokens: async () => {
        if (options.failList) throw new ConnectError("the control plane's state store is unavailable", Code.Unavailable);
        return { serviceTokens: list };
      },
      createServiceToken: async (req) => {
        creates.push(req);
        const token = create(ServiceTokenSchema, { id: "t3", name: req.name, scopes: req.scopes, tokenPrefix: "crst_ssssss", state: ServiceTokenState.ACTIVE });
        list.unshift(token);
        return { serviceToken: token, token: SECRET };
      },
      revokeServiceToken: async (req) => {
        revokes.push(req.id);
        const token = list.find((t) => t.id === req.id);
        if (token === undefined) throw new ConnectError("not found", Code.NotFound);
        token.state = ServiceTokenState.REVOKED;
        return { serviceToken: token };
      },
    });
  });
  const wrapper = mount(ServiceTokensView, {
    global: { plugins: [createAppI18n(options.locale ?? "en"), ElementPlus], provide: { [transportKey as symbol]: transport } },
    attachTo: document.body,
  });
  return { wrapper, creates, revokes };
}

type Wrapper = ReturnType<typeof render>["wrapper"];
const q = (selector: string) => document.querySelector(selector) as HTMLElement | null;
const texts = (wrapper: Wrapper, testid: string) => wrapper.findAll(`[data-testid="${testid}"]`).map((el) => el.text());

afterEach(() => {
  document.body.innerHTML = "";
  vi.restoreAllMocks();
});

// Element Plus tables and dialogs render slowly in happy-dom on a loaded machine.
describe("ServiceTokensView", { timeout: 30_000 }, () => {
  it("lists each token with its scopes, expiry, last use and state", async () => {
    const { wrapper } = render();
    await flushPromises();
    expect(texts(wrapper, "service-token-name")).toEqual(["onboarding", "retired"]);
    expect(texts(wrapper, "service-token-scope")).toEqual(["keys:write", "read"]);
    expect(texts(wrapper, "service-token-expires")).toEqual(["Never", "Never"]);
    expect(texts(wrapper, "service-token-last-used")[1]).toBe("Never");
    expect(texts(wrapper, "service-token-last-used")[0]).not.toBe("Never");
    expect(texts(wrapper, "service-token-state")).toEqual(["Active", "Revoked"]);
    // Only an active token can be revoked.
    expect(wrapper.findAll('[data-testid="revoke-service-token"]')).toHaveLength(1);
    wrapper.unmount();
  });

  it("creates a token with the chosen scopes and shows its secret once, with a copy button", async () => {
    const writeText = vi.fn(async (_text: string) => undefined);
    vi.spyOn(navigator, "clipboard", "get").mockReturnValue({ writeText } as unknown as Clipboard);
    const { wrapper, creates } = render();
    await flushPromises();
    await wrapper.get('[data-testid="create-service-token"]').trigger("click");
    await vi.waitFor(() => expect(q('[data-testid="service-token-form-name"] input')).not.toBeNull(), { timeout: 5_000 });
    const name = q('[data-testid="service-token-form-name"] input') as HTMLInputElement;
    name.value = "finance";
    name.dispatchEvent(new Event("input"));
    (q('[data-testid="scope-usage:read"] input') as HTMLInputElement).click();
    await flushPromises();
    (q('[data-testid="scope-read"] input') as HTMLInputElement).click();
    await flushPromises();
    (q('[data-testid="service-token-form-submit"]') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(creates).toHaveLength(1), { timeout: 5_000 });
    expect(creates[0]).toMatchObject({ name: "finance", scopes: ["usage:read"] });
    expect(creates[0]?.expiresAt).toBeUndefined();
    await vi.waitFor(() => expect(q('[data-testid="plaintext-key"]')?.textContent).toBe(SECRET), { timeout: 5_000 });
    expect(document.body.textContent).toContain("Your new service token");
    (q('[data-testid="copy-secret"]') as HTMLButtonElement).click();
    await flushPromises();
    expect(writeText).toHaveBeenCalledWith(SECRET);
    await vi.waitFor(() => expect(texts(wrapper, "service-token-name")[0]).toBe("finance"), { timeout: 5_000 });
    wrapper.unmount();
  });

  it("asks for a scope before calling", async () => {
    const { wrapper, creates } = render();
    await flushPromises();
    await wrapper.get('[data-testid="create-service-token"]').trigger("click");
    await vi.waitFor(() => expect(q('[data-testid="service-token-form-name"] input')).not.toBeNull(), { timeout: 5_000 });
    const name = q('[data-testid="service-token-form-name"] input') as HTMLInputElement;
    name.value = "x";
    name.dispatchEvent(new Event("input"));
    (q('[data-testid="scope-read"] input') as HTMLInputElement).click();
    await flushPromises();
    (q('[data-testid="service-token-form-submit"]') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(q('[data-testid="form-error"]')?.textContent).toContain("Choose at least one scope."), { timeout: 5_000 });
    expect(creates).toEqual([]);
    wrapper.unmount();
  });

  it("revokes a token only after the confirmation", async () => {
    const { wrapper, revokes } = render();
    await flushPromises();
    await wrapper.get('[data-testid="revoke-service-token"]').trigger("click");
    await vi.waitFor(() => expect(q(".el-message-box")).not.toBeNull(), { timeout: 5_000 });
    expect(q(".el-message-box")?.textContent).toContain("Revoke the token onboarding?");
    expect(revokes).toEqual([]);
    (q(".el-message-box__btns .el-button--primary") as HTMLButtonElement).click();
    await vi.waitFor(() => expect(revokes).toEqual(["t1"]), { timeout: 5_000 });
    await vi.waitFor(() => expect(texts(wrapper, "service-token-state")).toEqual(["Revoked", "Revoked"]), { timeout: 5_000 });
    wrapper.unmount();
  });

  it("says why the list could not be loaded", async () => {
    const { wrapper } = render({ failList: true });
    await flushPromises();
    expect(wrapper.get('[data-testid="service-tokens-error"]').text()).toContain("the control plane's state store is unavailable");
    wrapper.unmount();
  });

  it("is translated into Chinese", async () => {
    const { wrapper } = render({ locale: "zh-CN" });
    await flushPromises();
    expect(wrapper.get('[data-testid="create-service-token"]').text()).toBe("创建令牌");
    expect(texts(wrapper, "service-token-state")).toEqual(["有效", "已撤销"]);
    wrapper.unmount();
  });
});
