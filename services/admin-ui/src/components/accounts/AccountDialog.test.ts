import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  AccountSchema,
  AccountService,
  AccountType,
  type Account,
  type CreateAccountRequest,
  type ExchangeOAuthCodeRequest,
  type GenerateOAuthUrlRequest,
  type UpdateAccountRequest,
} from "@claude-relay/proto/admin";
import { createRouterTransport } from "@connectrpc/connect";
import { flushPromises, mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { afterEach, describe, expect, it, vi } from "vitest";
import { transportKey } from "../../api/transport.js";
import { createAppI18n } from "../../i18n/index.js";
import AccountDialog from "./AccountDialog.vue";

const AUTHORIZE_URL = "https://claude.ai/oauth/authorize?client_id=x&state=st-1";
const GOOGLE_URL = "https://accounts.google.com/o/oauth2/v2/auth?client_id=g&state=g-1";
const CHATGPT_URL = "https://auth.openai.com/oauth/authorize?client_id=o&state=o-1";
const CREDS = JSON.stringify({ access_token: "ya29.a", refresh_token: "1//r", token_type: "Bearer", expiry_date: 1_700_000_000_000 });

function render(account?: Account) {
  const exchanges: ExchangeOAuthCodeRequest[] = [];
  const updates: UpdateAccountRequest[] = [];
  const creates: CreateAccountRequest[] = [];
  const links: GenerateOAuthUrlRequest[] = [];
  const transport = createRouterTransport(({ service }) => {
    service(AccountService, {
      generateOAuthUrl: async (req) => {
        links.push(req);
        const expiresAt = timestampFromMs(Date.now() + 600_000);
        if (req.type === AccountType.OPENAI_OAUTH) return { authorizeUrl: CHATGPT_URL, state: "o-1", expiresAt };
        const google = req.type === AccountType.GEMINI_OAUTH;
        return { authorizeUrl: google ? GOOGLE_URL : AUTHORIZE_URL, state: google ? "g-1" : "st-1", expiresAt };
      },
      exchangeOAuthCode: async (req) => {
        exchanges.push(req);
        const type = req.state === "g-1" ? AccountType.GEMINI_OAUTH : req.state === "o-1" ? AccountType.OPENAI_OAUTH : AccountType.CLAUDE_OAUTH;
        const account = create(AccountSchema, { id: "acc-9", name: req.name, type, priority: req.priority ?? 50, group: req.group, schedulable: true, projectId: req.projectId });
        return { account, created: true };
      },
      createAccount: async (req) => {
        creates.push(req);
        return { account: create(AccountSchema, { id: "acc-10", name: req.name, type: req.type }) };
      },
      updateAccount: async (req) => {
        updates.push(req);
        return { account: create(AccountSchema, { id: req.id, name: "sub", type: AccountType.CLAUDE_OAUTH, schedulable: req.schedulable ?? true }) };
      },
    });
  });
  const wrapper = mount(AccountDialog, {
    props: { visible: false, account, groups: ["team-a"] },
    global: { plugins: [createAppI18n("en"), ElementPlus], provide: { [transportKey as symbol]: transport } },
    attachTo: document.body,
  });
  return { wrapper, exchanges, updates, creates, links };
}

const q = (testid: string) => document.querySelector(`[data-testid="${testid}"]`);

async function type(testid: string, value: string): Promise<void> {
  const input = document.querySelector(`[data-testid="${testid}"] input`) as HTMLInputElement;
  input.value = value;
  input.dispatchEvent(new Event("input"));
  input.dispatchEvent(new Event("change"));
  await flushPromises();
}

async function typeArea(testid: string, value: string): Promise<void> {
  const area = document.querySelector(`[data-testid="${testid}"] textarea`) as HTMLTextAreaElement;
  area.value = value;
  area.dispatchEvent(new Event("input"));
  await flushPromises();
}

/** The form's radio choices: types are Claude Console, Claude OAuth, Gemini API key, Gemini OAuth, OpenAI API key, ChatGPT OAuth. */
async function choose(testid: string, index: number): Promise<void> {
  (document.querySelectorAll(`[data-testid="${testid}"] input`)[index] as HTMLInputElement).click();
  await flushPromises();
}

async function open(wrapper: ReturnType<typeof render>["wrapper"], typeIndex = 1): Promise<void> {
  await wrapper.setProps({ visible: true });
  await vi.waitFor(() => expect(q("account-form-name")).not.toBeNull(), { timeout: 5_000 });
  await type("account-form-name", "sub");
  await choose("account-form-type", typeIndex);
}

const submit = async () => {
  (q("account-form-submit") as HTMLButtonElement).click();
  await flushPromises();
};

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

describe("AccountDialog adding Gemini accounts", { timeout: 30_000 }, () => {
  it("offers the four types and creates a Gemini API key account against the default base URL", async () => {
    const { wrapper, creates } = render();
    await open(wrapper, 2);
    expect(q("account-form-type")?.textContent).toContain("Claude Console key");
    expect(q("account-form-type")?.textContent).toContain("Gemini OAuth");
    expect(q("account-form-base-url")?.textContent).toContain("Leave blank for https://generativelanguage.googleapis.com");
    await type("account-form-api-key", "AIza-test");
    await submit();
    await vi.waitFor(() => expect(wrapper.emitted("saved")).toHaveLength(1), { timeout: 5_000 });
    expect(creates[0]).toMatchObject({ name: "sub", type: AccountType.GEMINI_API, baseUrl: "https://generativelanguage.googleapis.com", apiKey: "AIza-test" });
    wrapper.unmount();
  });

  it("signs in with Google: a link for the Gemini type, then the pasted code and the project go to the exchange", async () => {
    const { wrapper, exchanges, links, updates } = render();
    await open(wrapper, 3);
    expect(q("oauth-authorize")?.textContent).toContain("signed in to the Google account");
    expect(q("account-form-project-id")).not.toBeNull();
    (q("oauth-generate") as HTMLButtonElement).click();
    await vi.waitFor(() => expect(q("oauth-url")?.getAttribute("href")).toBe(GOOGLE_URL), { timeout: 5_000 });
    expect(links).toEqual([expect.objectContaining({ type: AccountType.GEMINI_OAUTH })]);
    await submit();
    await vi.waitFor(() => expect(q("form-error")?.textContent).toContain("Paste the authorization code Google showed"), { timeout: 5_000 });
    await type("account-form-oauth-code", "4/0Ab-code");
    await type("account-form-project-id", "proj-1");
    await submit();
    await vi.waitFor(() => expect(wrapper.emitted("saved")).toHaveLength(1), { timeout: 5_000 });
    expect(exchanges[0]).toMatchObject({ code: "4/0Ab-code", state: "g-1", name: "sub", projectId: "proj-1" });
    expect(updates).toEqual([]);
    wrapper.unmount();
  });

  it("does not reuse a Claude link after switching to Gemini OAuth", async () => {
    const { wrapper, links } = render();
    await open(wrapper, 1);
    (q("oauth-generate") as HTMLButtonElement).click();
    await vi.waitFor(() => expect(q("oauth-url")).not.toBeNull(), { timeout: 5_000 });
    await choose("account-form-type", 3);
    expect(q("oauth-url")).toBeNull();
    expect(q("oauth-generate")).not.toBeNull();
    expect(links).toHaveLength(1);
    wrapper.unmount();
  });

  it("creates a Gemini OAuth account from a pasted credentials file, and refuses one that is not JSON", async () => {
    const { wrapper, creates } = render();
    await open(wrapper, 3);
    await choose("account-form-oauth-method", 1);
    expect(q("oauth-authorize")).toBeNull();
    expect(q("account-form-access-token")).toBeNull();
    await typeArea("account-form-credentials-json", "ya29.not-the-file");
    await submit();
    await vi.waitFor(() => expect(q("form-error")?.textContent).toContain("not valid JSON"), { timeout: 5_000 });
    expect(q("form-error")?.textContent).not.toContain("ya29");
    expect(creates).toEqual([]);
    await typeArea("account-form-credentials-json", CREDS);
    await submit();
    await vi.waitFor(() => expect(wrapper.emitted("saved")).toHaveLength(1), { timeout: 5_000 });
    expect(creates[0]).toMatchObject({ type: AccountType.GEMINI_OAUTH, credentialsJson: CREDS, projectId: "", tokenUrl: "" });
    expect(creates[0]?.oauth).toBeUndefined();
    wrapper.unmount();
  });

  it("edits a Gemini OAuth account's project and token URL, keeping its tokens", async () => {
    const account = create(AccountSchema, { id: "acc-g", name: "gem", type: AccountType.GEMINI_OAUTH, priority: 50, schedulable: true, projectId: "proj-1" });
    const { wrapper, updates } = render(account);
    await wrapper.setProps({ visible: true });
    await vi.waitFor(() => expect(q("account-form-project-id")).not.toBeNull(), { timeout: 5_000 });
    expect((q("account-form-project-id")?.querySelector("input") as HTMLInputElement).value).toBe("proj-1");
    expect(q("account-form-credentials-json")?.textContent).toContain("Leave blank to keep the current tokens");
    await type("account-form-project-id", "proj-2");
    await type("account-form-token-url", "https://oauth2.example/token");
    await submit();
    await vi.waitFor(() => expect(updates).toHaveLength(1), { timeout: 5_000 });
    expect(updates[0]).toMatchObject({ id: "acc-g", projectId: "proj-2", tokenUrl: "https://oauth2.example/token", credentialsJson: "" });
    expect(updates[0]?.name).toBeUndefined();
    wrapper.unmount();
  });
});

const AUTH_JSON = JSON.stringify({ OPENAI_API_KEY: null, tokens: { id_token: "eyJ.id", access_token: "eyJ.at", refresh_token: "rt_1", account_id: "acct-1" } });

describe("AccountDialog adding OpenAI accounts", { timeout: 30_000 }, () => {
  it("offers the OpenAI types after Gemini's and creates an API key account against https://api.openai.com/v1", async () => {
    const { wrapper, creates } = render();
    await open(wrapper, 4);
    const labels = [...document.querySelectorAll('[data-testid="account-form-type"] .el-radio-button')].map((label) => label.textContent?.trim());
    expect(labels).toEqual(["Claude Console key", "Claude OAuth", "Gemini API key", "Gemini OAuth", "OpenAI API key", "ChatGPT OAuth"]);
    expect(q("account-form-base-url")?.textContent).toContain("Leave blank for https://api.openai.com/v1");
    expect(q("account-form-base-url")?.textContent).toContain("Azure OpenAI");
    expect((q("account-form-api-key")?.querySelector("input") as HTMLInputElement).placeholder).toBe("sk-…");
    await type("account-form-api-key", "sk-proj-test");
    await submit();
    await vi.waitFor(() => expect(wrapper.emitted("saved")).toHaveLength(1), { timeout: 5_000 });
    expect(creates[0]).toMatchObject({ name: "sub", type: AccountType.OPENAI_API, baseUrl: "https://api.openai.com/v1", apiKey: "sk-proj-test" });
    wrapper.unmount();
  });

  it("signs in with ChatGPT: a link for the OpenAI type, then the pasted localhost:1455 address gives the code to exchange", async () => {
    const { wrapper, exchanges, links } = render();
    await open(wrapper, 5);
    expect(q("account-form-oauth-method")?.textContent).toContain("Sign in with ChatGPT");
    expect(q("account-form-project-id")).toBeNull();
    expect(q("oauth-intro")?.textContent).toContain("localhost:1455");
    (q("oauth-generate") as HTMLButtonElement).click();
    await vi.waitFor(() => expect(q("oauth-url")?.getAttribute("href")).toBe(CHATGPT_URL), { timeout: 5_000 });
    expect(links).toEqual([expect.objectContaining({ type: AccountType.OPENAI_OAUTH })]);
    expect(q("oauth-step2")?.textContent).toContain("Copy its whole address");
    await submit();
    await vi.waitFor(() => expect(q("form-error")?.textContent).toContain("Paste the address of the localhost:1455 page"), { timeout: 5_000 });
    await type("account-form-oauth-code", "http://localhost:1455/auth/callback?code=stale&state=other");
    await submit();
    await vi.waitFor(() => expect(q("form-error")?.textContent).toContain("belongs to another sign-in link"), { timeout: 5_000 });
    expect(exchanges).toEqual([]);
    await type("account-form-oauth-code", "http://localhost:1455/auth/callback?code=ac_live-1&scope=openid&state=o-1");
    await submit();
    await vi.waitFor(() => expect(wrapper.emitted("saved")).toHaveLength(1), { timeout: 5_000 });
    expect(exchanges[0]).toMatchObject({ code: "ac_live-1", state: "o-1", name: "sub", projectId: "" });
    wrapper.unmount();
  });

  it("creates a ChatGPT account from a pasted auth.json, and points a file holding only an API key to the API key type", async () => {
    const { wrapper, creates } = render();
    await open(wrapper, 5);
    await choose("account-form-oauth-method", 1);
    expect(q("oauth-authorize")).toBeNull();
    expect(q("account-form-credentials-json")?.textContent).toContain("~/.codex/auth.json");
    await typeArea("account-form-credentials-json", '{"OPENAI_API_KEY":"sk-secret-1","tokens":null}');
    await submit();
    await vi.waitFor(() => expect(q("form-error")?.textContent).toContain("add the key as an OpenAI API key account"), { timeout: 5_000 });
    expect(q("form-error")?.textContent).not.toContain("sk-secret-1");
    expect(creates).toEqual([]);
    await typeArea("account-form-credentials-json", AUTH_JSON);
    await type("account-form-token-url", "https://auth.example/oauth/token");
    await submit();
    await vi.waitFor(() => expect(wrapper.emitted("saved")).toHaveLength(1), { timeout: 5_000 });
    expect(creates[0]).toMatchObject({ type: AccountType.OPENAI_OAUTH, credentialsJson: AUTH_JSON, tokenUrl: "https://auth.example/oauth/token" });
    expect(creates[0]?.oauth).toBeUndefined();
    wrapper.unmount();
  });
});
