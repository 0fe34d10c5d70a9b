import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AccountSchema, AccountService, AccountType, type ExchangeOAuthCodeRequest, type UpdateAccountRequest } from "@claude-relay/proto/admin";
import { createRouterTransport } from "@connectrpc/connect";
import { flushPromises, mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { afterEach, describe, expect, it, vi } from "vitest";
import { transportKey } from "../../api/transport.js";
import { createAppI18n } from "../../i18n/index.js";
import AccountDialog from "./AccountDialog.vue";

const AUTHORIZE_URL = "https://claude.ai/oauth/authorize?client_id=x&state=st-1";

function render() {
  const exchanges: ExchangeOAuthCodeRequest[] = [];
  const updates: UpdateAccountRequest[] = [];
  const transport = createRouterTransport(({ service }) => {
    service(AccountService, {
      generateOAuthUrl: async () => ({ authorizeUrl: AUTHORIZE_URL, state: "st-1", expiresAt: timestampFromMs(Date.now() + 600_000) }),
      exchangeOAuthCode: async (req) => {
        exchanges.push(req);
        const account = create(AccountSchema, { id: "acc-9", name: req.name, type: AccountType.CLAUDE_OAUTH, priority: req.priority ?? 50, group: req.group, schedulable: true });
        return { account, created: true };
      },
      updateAccount: async (req) => {
        updates.push(req);
        return { account: create(AccountSchema, { id: req.id, name: "sub", type: AccountType.CLAUDE_OAUTH, schedulable: req.schedulable ?? true }) };
      },
    });
  });
  const wrapper = mount(AccountDialog, {
    props: { visible: false, account: undefined, groups: ["team-a"] },
    global: { plugins: [createAppI18n("en"), ElementPlus], provide: { [transportKey as symbol]: transport } },
    attachTo: document.body,
  });
  return { wrapper, exchanges, updates };
}

const q = (testid: string) => document.querySelector(`[data-testid="${testid}"]`);

async function type(testid: string, value: string): Promise<void> {
  const input = document.querySelector(`[data-testid="${testid}"] input`) as HTMLInputElement;
  input.value = value;
  input.dispatchEvent(new Event("input"));
  input.dispatchEvent(new Event("change"));
  await flushPromises();
}

async function open(wrapper: ReturnType<typeof render>["wrapper"]): Promise<void> {
  await wrapper.setProps({ visible: true });
  await vi.waitFor(() => expect(q("account-form-name")).not.toBeNull(), { timeout: 5_000 });
  await type("account-form-name", "sub");
  (document.querySelectorAll('[data-testid="account-form-type"] input')[1] as HTMLInputElement).click();
  await flushPromises();
}

afterEach(() => {
  document.body.innerHTML = "";
});

describe("AccountDialog authorizing with Claude", { timeout: 30_000 }, () => {
  it("asks for a link before saving an OAuth account that is authorized in the browser", async () => {
    const { wrapper, exchanges } = render();
    await open(wrapper);
    expect(q("oauth-authorize")).not.toBeNull();
    expect(q("account-form-access-token")).toBeNull();
    (q("account-form-submit") as HTMLButtonElement).click();
    await vi.waitFor(() => expect(q("form-error")?.textContent).toContain("Generate an authorization link first"), { timeout: 5_000 });
    expect(exchanges).toEqual([]);
    wrapper.unmount();
  });

  it("shows the authorization link, then exchanges the pasted code and applies the settings the exchange lacks", async () => {
    const { wrapper, exchanges, updates } = render();
    await open(wrapper);
    (q("oauth-generate") as HTMLButtonElement).click();
    await vi.waitFor(() => expect(q("oauth-url")?.getAttribute("href")).toBe(AUTHORIZE_URL), { timeout: 5_000 });
    (q("account-form-submit") as HTMLButtonElement).click();
    await vi.waitFor(() => expect(q("form-error")?.textContent).toContain("Paste the code"), { timeout: 5_000 });
    await type("account-form-oauth-code", " the-code#st-1 ");
    (q("account-form-schedulable")?.querySelector(".el-switch") as HTMLElement).click();
    await flushPromises();
    (q("account-form-submit") as HTMLButtonElement).click();
    await vi.waitFor(() => expect(wrapper.emitted("saved")).toHaveLength(1), { timeout: 5_000 });
    expect(exchanges).toHaveLength(1);
    expect(exchanges[0]).toMatchObject({ code: "the-code#st-1", state: "st-1", name: "sub", accountId: "" });
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ id: "acc-9", schedulable: false });
    wrapper.unmount();
  });

  it("still offers pasting tokens instead", async () => {
    const { wrapper } = render();
    await open(wrapper);
    (document.querySelectorAll('[data-testid="account-form-oauth-method"] input')[1] as HTMLInputElement).click();
    await flushPromises();
    expect(q("oauth-authorize")).toBeNull();
    expect(q("account-form-access-token")).not.toBeNull();
    wrapper.unmount();
  });
});
